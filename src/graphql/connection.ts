// Owns Relay connections: one shared shape, keyset cursors over (createdAt, id), `first` capped at 100.
import { GraphQLError } from 'graphql';
import type { EntityManager } from '@mikro-orm/postgresql';
import { ArgsType, Field, Int, ObjectType, type ClassType } from 'type-graphql';
import { preparedRows, rows } from '../db/views.js';

export const MAX_PAGE_SIZE = 100;
export const DEFAULT_PAGE_SIZE = 20;

@ObjectType()
export class PageInfo {
  @Field()
  hasNextPage!: boolean;

  @Field(() => String, { nullable: true })
  endCursor!: string | null;
}

@ArgsType()
export class PageArgs {
  @Field(() => Int, { nullable: true, description: `How many items to return (default ${DEFAULT_PAGE_SIZE}, at most ${MAX_PAGE_SIZE}).` })
  first?: number | null;

  @Field(() => String, { nullable: true, description: 'Return items after this cursor (an endCursor from a previous page).' })
  after?: string | null;
}

export interface Keyset {
  createdAt: Date;
  id: string;
}

export interface PageWindow {
  limit: number;
  after: Keyset | null;
}

const badInput = (message: string) => new GraphQLError(message, { extensions: { code: 'BAD_USER_INPUT' } });

export function encodeCursor(row: Keyset): string {
  return Buffer.from(JSON.stringify([row.createdAt.toISOString(), row.id])).toString('base64url');
}

export function decodeCursor(cursor: string): Keyset {
  try {
    const [iso, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown[];
    const createdAt = new Date(String(iso));
    const year = createdAt.getUTCFullYear();
    if (typeof iso !== 'string' || typeof id !== 'string' || Number.isNaN(createdAt.getTime()) || year < 2000 || year > 9999 || !isUuid(id)) {
      throw new Error('bad cursor');
    }
    return { createdAt, id };
  } catch {
    throw badInput('`after` is not a cursor returned by this list');
  }
}

export function isUuid(value: string): boolean {
  return /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(value);
}

export function pageWindow(args: PageArgs): PageWindow {
  const first = args.first ?? DEFAULT_PAGE_SIZE;
  if (!Number.isInteger(first) || first < 0 || first > MAX_PAGE_SIZE) {
    throw badInput(`\`first\` must be between 0 and ${MAX_PAGE_SIZE}`);
  }
  return { limit: first, after: args.after ? decodeCursor(args.after) : null };
}

export interface ConnectionShape<T> {
  edges: Array<{ cursor: string; node: T }>;
  pageInfo: PageInfo;
  totalCount: Promise<number> | number;
}

/** Builds a connection from `limit + 1` rows fetched in keyset order; the count runs only if asked for. */
export function toConnection<T extends Keyset & object>(rows: T[], window: PageWindow, count: () => Promise<number>) {
  const page = rows.slice(0, window.limit);
  // Cursors are encoded only when asked for (most pages read `pageInfo.endCursor` alone).
  const edges = page.map((node) => ({
    node,
    get cursor() {
      return encodeCursor(node);
    },
  }));
  const pageInfo = new PageInfo();
  pageInfo.hasNextPage = rows.length > window.limit;
  const last = page[page.length - 1];
  Object.defineProperty(pageInfo, 'endCursor', { get: () => (last ? encodeCursor(last) : null), enumerable: true });
  let counted: Promise<number> | undefined;
  return {
    edges,
    pageInfo,
    get totalCount() {
      counted ??= count();
      return counted;
    },
  };
}

export interface KeysetQuery<R, T> {
  /** The selected columns (`d.id, d.title, …`). */
  columns: string;
  /** The table with its alias (`designs d`); `alias` prefixes the keyset columns. */
  from: string;
  alias: string;
  /** Conditions joined with `and`, with their `?` parameters in order. */
  where: string[];
  params: unknown[];
  toView: (row: R) => T;
}

/**
 * One page of plain rows in keyset order (createdAt desc, id desc), `limit + 1` to know whether more follow;
 * `totalCount` runs its `count(*)` with the same conditions only when asked for.
 */
export async function keysetPage<R, T extends Keyset & object>(em: EntityManager, query: KeysetQuery<R, T>, window: PageWindow) {
  const { columns, from, alias, where, params } = query;
  const pageWhere = window.after ? [...where, `(${alias}.created_at, ${alias}.id) < (?::timestamptz, ?::uuid)`] : where;
  const pageParams = window.after ? [...params, window.after.createdAt.toISOString(), window.after.id] : params;
  const found = await preparedRows<R>(
    em,
    `select ${columns} from ${from} where ${pageWhere.join(' and ')} order by ${alias}.created_at desc, ${alias}.id desc limit ?`,
    [...pageParams, window.limit + 1],
  );
  return toConnection(found.map(query.toView), window, async () => {
    const [{ count }] = await rows<{ count: string }>(em, `select count(*) from ${from} where ${where.join(' and ')}`, params);
    return Number(count);
  });
}

/** Declares `<Name>Edge` and `<Name>Connection` types for a node type. */
export function ConnectionType<T extends object>(name: string, nodeType: ClassType<T>) {
  @ObjectType(`${name}Edge`)
  class Edge {
    @Field()
    cursor!: string;

    @Field(() => nodeType)
    node!: T;
  }

  @ObjectType(`${name}Connection`)
  class Connection {
    @Field(() => [Edge])
    edges!: Edge[];

    @Field(() => PageInfo)
    pageInfo!: PageInfo;

    // simple: false gives it a resolver: the count is a Promise, which graphql-jit awaits only from a resolver.
    @Field(() => Int, { description: 'How many items the whole list has, across all pages.', simple: false })
    totalCount!: number;
  }
  return Connection;
}
