// Start-up with zero configuration (the embedded PostgreSQL in DATA_DIR): time from spawn to /readyz 200,
// first run (fresh DATA_DIR: cluster init, migrations, demo seed) and later runs (same DATA_DIR). Measured
// for `node dist/main.js` (the server alone) and for `npm start` itself (npm, then scripts/start.mjs: the
// incremental build, which finds nothing changed and only checks, and the server in the same process).
//
//   node dist/bench/startup.js [--later 3]
import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { PRODUCT_NODE_FLAGS, ROOT, freePort, isMain, load, log, machine, round, spawnNode, waitReady, writeResult, type Proc } from './lib.js';

export interface StartupOptions {
  later: number;
}

/** As root the embedded PostgreSQL runs as `postgres`, which must reach DATA_DIR: not under /root. */
const dataDir = () => `/var/tmp/jewelry-bench-startup-${process.pid}`;

async function timeStart(command: 'node' | 'npm', dir: string): Promise<{ ms: number; stopMs: number }> {
  const port = await freePort();
  const env = { PORT: String(port), HOST: '127.0.0.1', DATA_DIR: dir, LOG_LEVEL: 'warn' };
  const started = performance.now();
  let proc: Proc;
  if (command === 'node') {
    proc = spawnNode([...PRODUCT_NODE_FLAGS, 'dist/main.js'], env);
  } else {
    // npm start, in its own process group so that the signal reaches the server under npm and sh.
    const child = spawn('npm', ['start', '--silent'], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let output = '';
    child.stdout!.on('data', (c) => (output += c));
    child.stderr!.on('data', (c) => (output += c));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    proc = {
      child,
      pid: child.pid!,
      output: () => output,
      exited,
      stop: async () => {
        process.kill(-child.pid!, 'SIGTERM');
        const timer = setTimeout(() => process.kill(-child.pid!, 'SIGKILL'), 30_000);
        const code = await exited;
        clearTimeout(timer);
        return code;
      },
    };
  }
  try {
    await waitReady(`http://127.0.0.1:${port}/readyz`, proc, 180_000);
    const ms = performance.now() - started;
    const stopStarted = performance.now();
    await proc.stop(30_000);
    return { ms: round(ms, 0), stopMs: round(performance.now() - stopStarted, 0) };
  } catch (error) {
    await proc.stop(5_000);
    throw error;
  }
}

export async function runStartup(options: StartupOptions) {
  const dir = dataDir();
  rmSync(dir, { recursive: true, force: true });
  try {
    log('start-up: first run (fresh DATA_DIR)');
    const first = await timeStart('node', dir);
    const later: Array<{ ms: number; stopMs: number }> = [];
    for (let i = 0; i < options.later; i++) {
      later.push(await timeStart('node', dir));
      log(`start-up: later run ${i + 1}: ${later[later.length - 1].ms} ms`);
    }
    const npmStarts: number[] = [];
    for (let i = 0; i < options.later; i++) {
      npmStarts.push((await timeStart('npm', dir)).ms);
      log(`start-up: later npm start ${i + 1}: ${npmStarts[npmStarts.length - 1]} ms`);
    }
    const laterMs = later.map((l) => l.ms).sort((a, b) => a - b);
    const result = {
      machine: machine(),
      firstRunMs: first.ms,
      laterRunsMs: later.map((l) => l.ms),
      laterMedianMs: laterMs[Math.floor(laterMs.length / 2)],
      laterWorstMs: laterMs[laterMs.length - 1],
      npmStartLaterMs: npmStarts,
      stopMs: [first, ...later].map((l) => l.stopMs),
      // The issue measures `npm start`: both ways of starting count, each at its worst.
      targetsMet: { laterStartsWithin3s: laterMs[laterMs.length - 1] <= 3000 && Math.max(...npmStarts) <= 3000 },
      load: load(),
    };
    writeResult('startup', result);
    return result;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function printStartup(result: Awaited<ReturnType<typeof runStartup>>): string {
  return [
    'Start-up to /readyz 200 with the embedded database',
    '| run | ms |',
    '| --- | ---: |',
    `| first (fresh DATA_DIR: initdb, migrations, demo seed) | ${result.firstRunMs} |`,
    `| later, node dist/main.js (each) | ${result.laterRunsMs.join(', ')} |`,
    `| later, npm start (incremental build check + start, each) | ${result.npmStartLaterMs.join(', ')} |`,
    `target: later starts ready within 3 s (worst of each, node dist/main.js and npm start): ${result.targetsMet.laterStartsWithin3s ? 'met' : 'MISSED'}`,
  ].join('\n');
}

if (isMain(import.meta.url)) {
  const { values } = parseArgs({ options: { later: { type: 'string', default: '3' } } });
  const result = await runStartup({ later: Number(values.later) });
  process.stdout.write(`${printStartup(result)}\n`);
}
