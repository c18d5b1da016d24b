// Owns assembly: config -> database -> migrations -> seed -> events -> services -> schema -> server,
// and the reverse on stop. main.ts runs it as a process; tests run it in-process on a free port.
import 'reflect-metadata';
import type { MikroORM } from '@mikro-orm/postgresql';
import type { GraphQLSchema } from 'graphql';
import type { Config } from './config.js';
import type { Logger } from './logger.js';
import { openDatabase, type Database } from './db/database.js';
import { connectOrm, migrate } from './db/orm.js';
import { ReadPipeline, type ReadPipelineOptions } from './db/read-pipeline.js';
import { useReadPipeline } from './db/views.js';
import { seedDemoData, type SeedSummary } from './db/seed/seed.js';
import { createBus, withTimeout, type EventBus } from './events/bus.js';
import { buildAppSchema } from './graphql/schema.js';
import { startServer, type RunningServer } from './server/server.js';
import { createServices, createResolvers, type Services } from './services.js';

export interface App {
  config: Config;
  orm: MikroORM;
  database: Database;
  bus: EventBus;
  /** The connections of hot reads (src/db/read-pipeline.ts). */
  reads: ReadPipeline;
  services: Services;
  schema: GraphQLSchema;
  server: RunningServer;
  seeded: SeedSummary | null;
  stop(): Promise<void>;
}

export interface AppOptions {
  /** Called with every SQL statement (tests pin statement counts with it). */
  onQuery?: (sql: string) => void;
}

export async function startApp(config: Config, logger: Logger, options: AppOptions = {}): Promise<App> {
  const cleanups: Array<() => Promise<void>> = [];
  const stopAll = async () => {
    for (const cleanup of cleanups.reverse()) {
      await cleanup().catch((err) => logger.warn({ err }, 'error during shutdown'));
    }
    cleanups.length = 0;
  };
  try {
    const database = await openDatabase(config.databaseUrl, config.dataDir, logger);
    cleanups.push(() => database.stop());
    const orm = await connectOrm(database.url, { logger, onQuery: options.onQuery }).catch((error: Error) => {
      const where = new URL(database.url);
      throw new Error(
        `Could not connect to PostgreSQL at ${database.embedded ? 'the embedded database' : 'DATABASE_URL'} ` +
          `(${where.hostname}:${where.port || 5432}${where.pathname}): ${error.message}`,
      );
    });
    cleanups.push(() => orm.close());
    // The ORM's row parsing (timestamps as text, arrays), so a hot read gives the rows any other read gives.
    const { types } = orm.em.getConnection().getConnectionOptions() as { types?: ReadPipelineOptions['types'] };
    const reads = new ReadPipeline({ connectionString: database.url, types, logger });
    useReadPipeline(orm.em, reads);
    cleanups.push(async () => {
      useReadPipeline(orm.em, null);
      await reads.close();
    });
    const applied = await migrate(orm);
    if (applied.length) logger.info({ migrations: applied }, 'applied database migrations');

    const bus = await createBus(config.redisUrl, database.url, logger);
    cleanups.push(() => bus.close());
    if (bus.mode === 'memory') logger.info('REDIS_URL is not set: single-process mode, events stay in this process');

    const services = createServices(config, orm, bus, logger, database.url);
    await services.start();
    cleanups.push(() => services.stop());
    const seeded = config.seedDemoData ? await seedDemoData(orm.em.fork(), services, logger) : null;

    const schema = await buildAppSchema(createResolvers(services));
    const readiness = async () => {
      const checks: Record<string, string> = {};
      let ok = true;
      try {
        await withTimeout(orm.em.getConnection().execute('select 1'), 2000);
        checks.database = 'ok';
      } catch (error) {
        ok = false;
        checks.database = 'unreachable';
        logger.warn({ err: error instanceof Error ? error.message : String(error) }, 'readiness: database unreachable');
      }
      const events = await bus.health();
      checks.events = events.detail;
      ok &&= events.ok;
      return { ok, checks };
    };
    const server = await startServer(
      { config, logger, schema, em: orm.em, tokens: services.tokens, feeds: services.feeds, readiness },
      config.port,
      config.host,
    );
    cleanups.push(() => server.stop());

    let stopped: Promise<void> | undefined;
    return {
      config,
      orm,
      database,
      bus,
      reads,
      services,
      schema,
      server,
      seeded,
      stop: () => (stopped ??= stopAll()),
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}
