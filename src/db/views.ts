// Owns read-only rows for hot read paths: plain SQL mapped to objects of the entity classes (so the GraphQL
// types and resolvers take them as they are), without MikroORM's identity map, change-set snapshots and
// per-property accessors. Writes always go through the EntityManager; a view is never flushed.
import type { EntityManager } from '@mikro-orm/postgresql';

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
