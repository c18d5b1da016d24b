// Owns read-only rows for hot read paths: plain SQL mapped to objects of the entity classes (so the GraphQL
// types and resolvers take them as they are), without MikroORM's identity map, change-set snapshots and
// per-property accessors. Writes always go through the EntityManager; a view is never flushed.
import type { EntityManager } from '@mikro-orm/postgresql';
import type { ReadPipeline } from './read-pipeline.js';

type Class<T> = abstract new (...args: never[]) => T;

/**
 * `data` becomes an instance of `cls` without running its constructor or the ORM's property setters: the
 * fields are own data properties, so type-graphql's `instanceof` check passes and no conversion happens.
 */
export function view<T extends object>(cls: Class<T>, data: Partial<Record<keyof T, unknown>>): T {
  return Object.setPrototypeOf(data, cls.prototype) as T;
}

/** PostgreSQL timestamps arrive as text through MikroORM's connection (`2026-12-03 15:19:38.123+00`). */
export function toDate(value: string | Date): Date {
  return value instanceof Date ? value : new Date(value);
}

export const toDateOrNull = (value: string | Date | null): Date | null => (value === null ? null : toDate(value));

/**
 * Runs one statement through the EntityManager's connection (its transaction, if any, and its query log, so
 * the statement counts in test/query-count). Parameters are `?` placeholders.
 */
export function rows<R>(em: EntityManager, sql: string, params: unknown[] = []): Promise<R[]> {
  return em.execute(sql, params as never[], 'all') as Promise<R[]>;
}

export type PgClient = { query<R>(config: { name?: string; text: string; values: unknown[] } | string): Promise<{ rows: R[] }> };

/**
 * Runs `work` on a pooled connection of the EntityManager's pool, outside any of its transactions, for a hot
 * statement that should be prepared (named): PostgreSQL then parses and plans it once per connection instead
 * of on every call. Statements are logged like the ORM's (`query` debug namespace).
 */
export async function onPooledConnection<T>(em: EntityManager, work: (client: PgClient) => Promise<T>): Promise<T> {
  const knexClient = em.getConnection().getKnex().client as { acquireConnection(): Promise<PgClient>; releaseConnection(c: PgClient): Promise<void> };
  const client = await knexClient.acquireConnection();
  try {
    return await work(client);
  } finally {
    await knexClient.releaseConnection(client);
  }
}

/**
 * A named prepared statement (`$n` placeholders) on `client`; the name must always go with the same text.
 * Without a name, the statement is parsed and planned on every call.
 */
export function prepared<R>(em: EntityManager, client: PgClient, name: string | undefined, text: string, values: unknown[]): Promise<R[]> {
  return logged(em, text, async () => (await client.query<R>(name ? { name, text, values } : { text, values })).rows);
}

/** Runs a statement sent past the ORM, logging it as the ORM logs its own (the `query` namespace). */
async function logged<R>(em: EntityManager, text: string, run: () => Promise<R[]>): Promise<R[]> {
  const started = performance.now();
  const found = await run();
  em.config.getLogger().logQuery({ query: text, took: Math.round(performance.now() - started), results: found.length, level: 'info' });
  return found;
}

/** Hot read statements get a prepared name each, up to this many texts per process; later texts run unnamed. */
export const MAX_PREPARED_VIEWS = 256;
const preparedViews = new Map<string, { name: string | undefined; text: string }>();

/**
 * `?` placeholders to `$1, $2, …` (none inside a quoted literal); null when a `?` sits in a literal or an
 * identifier, so the caller keeps knex's own binding.
 */
export function numberedPlaceholders(sql: string): string | null {
  let out = '';
  let n = 0;
  let quote: string | null = null;
  for (const c of sql) {
    if (quote) {
      if (c === quote) quote = null;
      else if (c === '?') return null;
    } else if (c === "'" || c === '"') quote = c;
    else if (c === '?') {
      out += `$${++n}`;
      continue;
    }
    out += c;
  }
  return out;
}

const pipelines = new WeakMap<object, ReadPipeline>();

/** Hot reads of this ORM's EntityManagers go through `pipeline` from now on (the app attaches one at start). */
export function useReadPipeline(em: EntityManager, pipeline: ReadPipeline | null): void {
  if (pipeline) pipelines.set(em.getConnection(), pipeline);
  else pipelines.delete(em.getConnection());
}

/**
 * Like `rows`, for a hot read (a catalog page, a loader's batch): a named prepared statement, so PostgreSQL
 * parses and plans each text once per connection, without the query builder in between; on the read
 * pipeline when one is attached (read-pipeline.ts), else on a pooled connection. A list parameter is one
 * PostgreSQL array (`= any(?::uuid[])`), so the text is the same for any number of ids. Inside a
 * transaction it goes through the transaction's connection (`rows`).
 */
export function preparedRows<R>(em: EntityManager, sql: string, params: unknown[]): Promise<R[]> {
  // Through the ORM's connection, knex would spread a list over `?, ?, …`: it gets the array's text instead.
  const throughOrm = () => rows<R>(em, sql, params.map((p) => (Array.isArray(p) ? arrayLiteral(p) : p)));
  if (em.getTransactionContext()) return throughOrm();
  let statement = preparedViews.get(sql);
  if (!statement) {
    const text = numberedPlaceholders(sql);
    if (text === null) return throughOrm();
    statement = { name: `view-${preparedViews.size + 1}`, text };
    if (preparedViews.size < MAX_PREPARED_VIEWS) preparedViews.set(sql, statement);
    else statement = { name: undefined, text };
  }
  const { name, text } = statement;
  const pipeline = pipelines.get(em.getConnection());
  if (pipeline) return logged(em, text, () => pipeline.query<R>(name, text, params));
  return onPooledConnection(em, (client) => prepared<R>(em, client, name, text, params));
}

/** A PostgreSQL array literal of text values (`{"a","b\\"c"}`); null stays NULL. */
export function arrayLiteral(values: unknown[]): string {
  return `{${values.map((v) => (v === null || v === undefined ? 'NULL' : `"${String(v).replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`)).join(',')}}`;
}
