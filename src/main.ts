// The process: read config (exit 1 listing every bad variable), start the app, print where it answers,
// stop in order on SIGINT/SIGTERM.
import 'reflect-metadata';
import { ConfigError, loadConfig } from './config.js';
import { createLogger } from './logger.js';
import { startApp } from './app.js';

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
  const logger = createLogger(config.logLevel);
  const started = Date.now();
  const app = await startApp(config, logger);
  logger.info({ url: app.server.url, ms: Date.now() - started, events: app.bus.mode, database: app.database.embedded ? 'embedded' : 'external' }, 'server ready');

  const lines = [
    '',
    `  Jewelry quote marketplace is ready at ${app.server.url}`,
    `  Database: ${app.database.embedded ? `embedded PostgreSQL in ${config.dataDir}` : 'DATABASE_URL'}; events: ${app.bus.mode === 'redis' ? 'Redis' : 'in-process (single-process mode)'}`,
  ];
  if (app.seeded) {
    lines.push(`  Seeded ${app.seeded.designs} sample designs and demo accounts (password for all: ${app.seeded.password}):`);
    for (const a of app.seeded.accounts) lines.push(`    ${a.role.padEnd(12)} ${a.email.padEnd(26)} ${a.displayName}`);
  }
  lines.push(`  Try: curl -s ${app.server.url} -H 'content-type: application/json' -d '{"query":"{ designs(first: 5) { totalCount } }"}'`, '');
  process.stdout.write(`${lines.join('\n')}\n`);

  // A second signal means "now", but not the same press twice: Ctrl-C in a terminal signals the whole
  // process group, npm and this server, and npm passes its own on, so one press arrives twice within
  // milliseconds. A repeat within a second is that echo.
  let firstSignalAt: number | null = null;
  const shutdown = (signal: string) => {
    if (firstSignalAt !== null) {
      if (Date.now() - firstSignalAt < SIGNAL_ECHO_MS) return;
      logger.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    firstSignalAt = Date.now();
    logger.info({ signal }, 'shutting down: finishing in-flight requests');
    const force = setTimeout(() => {
      logger.error('shutdown took longer than 20 s; exiting');
      process.exit(1);
    }, 20_000);
    force.unref();
    app
      .stop()
      .then(() => {
        logger.info('stopped');
        process.exit(0);
      })
      .catch((err) => {
        logger.error({ err }, 'error while stopping');
        process.exit(1);
      });
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
}

const SIGNAL_ECHO_MS = 1000;

main().catch((error) => {
  const verbose = ['debug', 'trace'].includes(process.env.LOG_LEVEL ?? '');
  const text = error instanceof Error ? (verbose ? (error.stack ?? error.message) : error.message) : String(error);
  process.stderr.write(`Failed to start: ${text}\n${verbose ? '' : '(LOG_LEVEL=debug shows the stack)\n'}`);
  process.exit(1);
});
