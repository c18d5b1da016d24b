// Owns the MikroORM setup: configuration, connection, migrations at start-up (never schema sync).
import { MikroORM, type Options } from '@mikro-orm/postgresql';
import type { Logger } from 'pino';
import { installIdleAsyncContext } from './async-context.js';
import { entities } from './entities.js';
import { loadMigrations, migrationNames } from './migrations/index.js';

export interface OrmOptions {
  logger?: Logger;
  /** Called with every SQL statement; used by tests that pin statement counts. */
  onQuery?: (sql: string) => void;
  poolMax?: number;
}

export function ormConfig(clientUrl: string, options: OrmOptions = {}): Options {
  return {
    clientUrl,
    entities,
    forceUtcTimezone: true,
    allowGlobalContext: false,
    // Explicit `type` on every property: no reflection needed at runtime, same result built or under vitest.
    discovery: { disableDynamicFileAccess: true, requireEntitiesArray: true },
    dynamicImportProvider: (id: string) => import(id),
    pool: { min: 0, max: options.poolMax ?? 10 },
    // knex would print its pool's warnings (a connection PostgreSQL dropped: "Connection Error: …") with
    // console.log, past the logger and LOG_LEVEL: they go through the logger instead.
    driverOptions: {
      log: {
        warn: (message: string) => options.logger?.warn({ knex: String(message) }, 'database connection warning'),
        error: (message: string) => options.logger?.error({ knex: String(message) }, 'database connection error'),
        deprecate: (message: string) => options.logger?.debug({ knex: String(message) }, 'database driver deprecation'),
        debug: (message: string) => options.logger?.debug({ knex: String(message) }),
      },
    },
    migrations: {
      tableName: 'mikro_orm_migrations',
      migrationsList: [], // filled by migrate() when one is pending
      path: 'src/db/migrations',
      emit: 'ts',
      transactional: true,
      allOrNothing: true,
      snapshot: false,
    },
    debug: options.onQuery ? ['query'] : false,
    logger: options.onQuery
      ? (message: string) => options.onQuery?.(message)
      : (message: string) => options.logger?.debug({ orm: message }),
  };
}

export async function connectOrm(clientUrl: string, options: OrmOptions = {}): Promise<MikroORM> {
  installIdleAsyncContext();
  return MikroORM.init(ormConfig(clientUrl, options));
}

const MIGRATION_LOCK_KEY = 727_002;

/**
 * Applies pending migrations; returns the names applied. Processes starting together take turns
 * (a session advisory lock), so only the first applies them and the others find nothing to do.
 */
export async function migrate(orm: MikroORM): Promise<string[]> {
  const knex = orm.em.getKnex();
  const connection = await knex.client.acquireConnection();
  try {
    await connection.query('select pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    type Rows<T> = { rows: T[] };
    const table = (await connection.query(`select to_regclass('mikro_orm_migrations') is not null as present`)) as Rows<{ present: boolean }>;
    const applied0 = table.rows[0].present ? ((await connection.query('select name from mikro_orm_migrations')) as Rows<{ name: string }>).rows : [];
    const done = new Set(applied0.map((row) => row.name));
    if (migrationNames.every((name) => done.has(name))) return [];
    const { Migrator } = await import('@mikro-orm/migrations');
    orm.config.set('migrations', { ...orm.config.get('migrations'), migrationsList: await loadMigrations() });
    const applied = await new Migrator(orm.em).up();
    return applied.map((m) => m.name);
  } finally {
    await connection.query('select pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]).catch(() => {});
    await knex.client.releaseConnection(connection);
  }
}
