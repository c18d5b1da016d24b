// `npm run db:migrate`: applies pending migrations to DATABASE_URL (or the embedded database) and exits.
import 'reflect-metadata';
import { ConfigError, loadConfig } from '../config.js';
import { openDatabase } from '../db/database.js';
import { connectOrm, migrate } from '../db/orm.js';
import { createLogger } from '../logger.js';

try {
  const config = loadConfig();
  const logger = createLogger(config.logLevel);
  const database = await openDatabase(config.databaseUrl, config.dataDir, logger, 'tool');
  try {
    const orm = await connectOrm(database.url, { logger });
    const applied = await migrate(orm);
    await orm.close();
    process.stdout.write(applied.length ? `Applied: ${applied.join(', ')}\n` : 'The database is up to date.\n');
  } finally {
    await database.stop();
  }
} catch (error) {
  process.stderr.write(`${error instanceof ConfigError ? error.message : error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
}
