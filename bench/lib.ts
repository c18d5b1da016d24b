// Shared pieces of the benchmarks: where things are, a seeded RNG, starting and stopping server
// processes on loopback, tokens, percentiles, the machine's load, and where results go.
import { spawn, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { SignJWT } from 'jose';

/** Compiled to dist/bench/*.js: the repository is two levels up. */
export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const RESULTS_DIR = path.join(ROOT, 'bench', 'results');

export const ADMIN_URL = process.env.BENCH_ADMIN_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
export const REDIS_URL = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';
export const BENCH_DB = 'bench_jewelry';
export const FANOUT_DB = 'bench_jewelry_fanout';
export const JWT_SECRET = 'bench-secret-that-is-long-enough-0123456789abcdef';
/** Every seeded account has this password (the hash is computed once by the seed). */
export const BENCH_PASSWORD = 'bench-jewelry-2026';

export function dbUrl(name: string): string {
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  return url.toString();
}

// ------------------------------------------------------------------ deterministic randomness

/** mulberry32: small, fast, and the same sequence for the same seed on every machine. */
export class Rng {
  private state: number;
  constructor(seed: number) {
    this.state = seed >>> 0;
  }
  next(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)];
  }
  weighted<T>(items: ReadonlyArray<readonly [T, number]>): T {
    const total = items.reduce((s, [, w]) => s + w, 0);
    let r = this.next() * total;
    for (const [item, w] of items) if ((r -= w) < 0) return item;
    return items[items.length - 1][0];
  }
  /** k distinct items. */
  sample<T>(items: readonly T[], k: number): T[] {
    const copy = [...items];
    for (let i = 0; i < Math.min(k, copy.length); i++) {
      const j = i + Math.floor(this.next() * (copy.length - i));
      [copy[i], copy[j]] = [copy[j], copy[i]];
    }
    return copy.slice(0, k);
  }
  uuid(): string {
    const b = Array.from({ length: 16 }, () => Math.floor(this.next() * 256));
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    const h = b.map((x) => x.toString(16).padStart(2, '0')).join('');
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
  }
}

// ------------------------------------------------------------------ processes

const children = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});

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

export interface Proc {
  child: ChildProcess;
  pid: number;
  output(): string;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves with the exit code. */
  stop(graceMs?: number): Promise<number | null>;
  exited: Promise<number | null>;
}

export function spawnNode(args: string[], env: Record<string, string | undefined>, options: { cwd?: string; quiet?: boolean } = {}): Proc {
  const child = spawn(process.execPath, args, {
    cwd: options.cwd ?? ROOT,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  let output = '';
  const keep = (chunk: Buffer) => {
    output += chunk.toString();
    if (output.length > 200_000) output = output.slice(-100_000);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => {
      children.delete(child);
      resolve(code);
    }),
  );
  return {
    child,
    pid: child.pid!,
    output: () => output,
    exited,
    stop: async (graceMs = 20_000) => {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `url` until it answers 200, the process exits, or `ms` pass. */
export async function waitReady(url: string, proc: Proc, ms = 60_000): Promise<number> {
  const started = performance.now();
  let exited = false;
  void proc.exited.then(() => (exited = true));
  while (performance.now() - started < ms) {
    if (exited) throw new Error(`process exited before ${url} was ready:\n${proc.output()}`);
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(1000) });
      await res.arrayBuffer();
      if (res.status === 200) return performance.now() - started;
    } catch {
      // not listening yet
    }
    await sleep(20);
  }
  throw new Error(`${url} not ready after ${ms} ms:\n${proc.output()}`);
}

export interface ProductServer extends Proc {
  url: string;
  origin: string;
}

/** The product as deployed: `node dist/main.js`, production mode, on a free loopback port. */
/**
 * The node flags the product runs with: those of `npm start` in package.json (`node <flags> dist/main.js`), so
 * the benchmarks measure the process as it is started.
 */
export const PRODUCT_NODE_FLAGS: string[] = (() => {
  const start: string = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')).scripts.start;
  const flags = /\bnode ((?:--\S+ )*)(?:dist\/main\.js|scripts\/start\.mjs)/.exec(start);
  if (!flags) throw new Error(`package.json's start script does not run "node [flags] scripts/start.mjs": ${start}`);
  return flags[1].split(' ').filter(Boolean);
})();

export async function startProduct(env: Record<string, string>, nodeArgs: string[] = []): Promise<ProductServer> {
  const port = await freePort();
  const proc = spawnNode([...PRODUCT_NODE_FLAGS, ...nodeArgs, 'dist/main.js'], {
    NODE_ENV: 'production',
    JWT_SECRET,
    LOG_LEVEL: 'warn',
    HOST: '127.0.0.1',
    PORT: String(port),
    ...env,
  });
  const origin = `http://127.0.0.1:${port}`;
  await waitReady(`${origin}/readyz`, proc);
  return { ...proc, url: `${origin}/graphql`, origin };
}

// ------------------------------------------------------------------ tokens

/** A sign-in token exactly as the server issues it (HS256, issuer, subject, role, expiry). */
export async function mintToken(user: { id: string; role: string }, secret = JWT_SECRET, ttlSeconds = 24 * 3600): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ role: user.role })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(user.id)
    .setIssuer('jewelry-marketplace')
    .setIssuedAt(now)
    .setExpirationTime(now + ttlSeconds)
    .sign(new TextEncoder().encode(secret));
}

// ------------------------------------------------------------------ numbers

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i];
}

export function stats(values: number[]) {
  const sorted = [...values].sort((a, b) => a - b);
  return {
    n: sorted.length,
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
    max: sorted.length ? sorted[sorted.length - 1] : NaN,
  };
}

export const round = (x: number, digits = 1) => (Number.isFinite(x) ? Number(x.toFixed(digits)) : x);

/** The 1-minute load average and what the machine is, for every result. */
export function load(): string {
  return os.loadavg().map((x) => x.toFixed(2)).join(' ');
}

export function machine() {
  const cpu = /model name\s*:\s*(.+)/.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? os.cpus()[0]?.model ?? 'unknown';
  return {
    nproc: os.availableParallelism(),
    cpu,
    memoryGiB: round(os.totalmem() / 2 ** 30, 1),
    node: process.version,
    date: new Date().toISOString(),
  };
}

/** VmRSS / VmHWM of a process, in KiB, read from /proc. */
export function procMemory(pid: number): { rssKiB: number; hwmKiB: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const field = (name: string) => Number(new RegExp(`${name}:\\s+(\\d+) kB`).exec(status)?.[1] ?? NaN);
  return { rssKiB: field('VmRSS'), hwmKiB: field('VmHWM') };
}

/** CPU time (user + system) a process has used so far, in ms, from /proc/<pid>/stat. */
export function procCpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  return (ticks * 1000) / 100; // USER_HZ is 100 on Linux
}

export function writeResult(name: string, result: unknown): string {
  mkdirSync(RESULTS_DIR, { recursive: true });
  const file = path.join(RESULTS_DIR, `${name}.json`);
  writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
  return file;
}

export function log(message: string): void {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)} load ${load()}] ${message}\n`);
}

/** True when this module is the script node was started with. */
export function isMain(importMetaUrl: string): boolean {
  return process.argv[1] !== undefined && path.resolve(process.argv[1]) === fileURLToPath(importMetaUrl);
}

/**
 * Reads the in-process probe (bench/probe.ts) of a process started with `--import dist/bench/probe.js`
 * and BENCH_PROBE_FILE=file: event-loop delay since the last reading, and memory.
 */
export async function readProbe(pid: number, file: string, ms = 10_000): Promise<ProbeReading> {
  const { existsSync, readFileSync: read, rmSync } = await import('node:fs');
  rmSync(file, { force: true });
  process.kill(pid, 'SIGUSR2');
  const started = performance.now();
  while (performance.now() - started < ms) {
    if (existsSync(file)) {
      const text = read(file, 'utf8');
      if (text.endsWith('\n')) return JSON.parse(text) as ProbeReading;
    }
    await sleep(10);
  }
  throw new Error(`no probe reading from ${pid} in ${ms} ms`);
}

export interface ProbeReading {
  at: number;
  eventLoopDelayMs: { p50: number; p99: number; max: number; mean: number; count: number };
  memory: { rss: number; heapUsed: number; heapTotal: number; external: number; arrayBuffers: number; heapUsedBeforeGc: number };
  gc: boolean;
  gcPauses?: { count: number; maxMs: number; totalMs: number; maxMsByKind?: Record<string, number> };
}

export const PROBE = path.join(ROOT, 'dist', 'bench', 'probe.js');
export const now = () => performance.timeOrigin + performance.now();

const keepAlive = new http.Agent({ keepAlive: true, maxSockets: 256 });

/**
 * POSTs JSON over a kept-alive connection and returns status and body. The load generators share the
 * benchmark's 2 cores with the servers, so they use node:http directly: 0.05–0.11 CPU ms per request
 * against 0.28–0.40 for `fetch` (undici), measured on this machine (4,000 POSTs, 8 in flight).
 */
export function postJson(url: string, body: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      { method: 'POST', agent: keepAlive, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), ...headers } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/**
 * An open-loop HTTP load: a POST every 1000/`rate` ms, whether or not the earlier ones have returned, until
 * stopped. Used as the "concurrent catalog load" whose p99 shows how much other work stalls the server.
 * Open loop, so a stall cannot hide itself: requests keep arriving during it and each one's latency is
 * counted from when it was due (a closed loop stops sending while the server stalls, and would also
 * take every spare CPU cycle, turning the other measurements into a contest with the readers).
 */
export function startLoad(url: string, body: string, rate: number) {
  let running = rate > 0;
  const latencies: number[] = [];
  const inFlight = new Set<Promise<void>>();
  let failures = 0;
  const shoot = (due: number) => {
    const request = (async () => {
      try {
        const res = await postJson(url, body);
        if (res.status === 200) latencies.push(performance.now() - due);
        else failures += 1;
      } catch {
        failures += 1;
      }
    })();
    inFlight.add(request);
    void request.finally(() => inFlight.delete(request));
  };
  const loop = (async () => {
    const start = performance.now();
    for (let i = 0; running; i++) {
      const due = start + (i * 1000) / rate;
      const wait = due - performance.now();
      if (wait > 1) await sleep(wait);
      if (running) shoot(due);
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      await Promise.all(inFlight);
      return { ...stats(latencies), failures };
    },
  };
}

/** Machine-wide CPU times from /proc/stat (busy and total, in ticks). */
export function cpuTimes(): { busy: number; total: number } {
  const [, ...fields] = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/);
  const n = fields.map(Number);
  const idle = n[3] + n[4];
  const total = n.reduce((a, b) => a + b, 0);
  return { busy: total - idle, total };
}

/**
 * Waits until the machine is quiet (under 15 % busy over a second; at most `maxMs`): processes of the previous
 * part (servers shutting down, an embedded PostgreSQL writing its shutdown checkpoint) must not be measured
 * as part of the next one.
 */
export async function settle(maxMs = 30_000): Promise<number> {
  const started = performance.now();
  for (;;) {
    const a = cpuTimes();
    await sleep(1000);
    const b = cpuTimes();
    const busy = (100 * (b.busy - a.busy)) / Math.max(b.total - a.total, 1);
    if (busy < 15 || performance.now() - started > maxMs) return Math.round(busy);
  }
}
