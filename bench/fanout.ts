// Live fan-out: N manufacturer feed subscribers (graphql-ws) spread over two server processes on one
// Redis, opened from two load-generator processes. For each of R requests (a consumer's requestQuotes
// naming nobody: every manufacturer covers RING, so all N are recipients) it measures the time from the
// mutation's response to the first and the last subscriber receiving it; then estimates submitted at a
// fixed rate (open loop, after a warm-up at the same rate) and the time from each submit to the consumer's
// estimateFeed. Meanwhile a small open-loop catalog load runs against the servers (its p99 shows stalls
// from outside) and an in-process
// probe (bench/probe.ts, preloaded) records event-loop delay. The floor runs the same subscribers as plain
// `ws` sockets on bench/fanout-floor.ts, with the same payload published through the same Redis.
//
//   node dist/bench/fanout.js [--sizes 1000,5000] [--requests 20] [--rate 200] [--seconds 10] [--warmup 60]
//                             [--no-floor] [--no-product] [--cpu-prof <dir>] [--node-args=<flags for the product's node>]
import { fork, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { createClient as createWsClient, type Client } from 'graphql-ws';
import { createClient as createRedisClient } from 'redis';
import pg from 'pg';
import WebSocket from 'ws';

const createPg = (connectionString: string) => new pg.Client({ connectionString });
import type { ClientCommand, ClientReply } from './fanout-client.js';
import {
  FANOUT_DB,
  PROBE,
  REDIS_URL,
  RESULTS_DIR,
  ROOT,
  freePort,
  isMain,
  cpuTimes,
  load,
  log,
  machine,
  mintToken,
  now,
  procCpuMs,
  readProbe,
  round,
  settle,
  sleep,
  spawnNode,
  startLoad,
  postJson,
  startProduct,
  stats,
  waitReady,
  writeResult,
  type ProbeReading,
  type Proc,
} from './lib.js';
import { CATALOG_QUERY } from './http.js';
import { seedFanout } from './seed.js';

/**
 * Seconds of submits at the rate (with the catalog load) before the measured ones: the servers were started
 * for this run, and V8 is still optimising this much code long after. After a 5 s warm-up each server
 * optimised about 430 functions during the measured 10 s (TurboFan threads: a tenth of the machine's CPU),
 * after 30 s about 55; the warm-up's own deliveries are reported too (`warmup`), as a cold server's figure.
 */
const ESTIMATE_WARMUP_SECONDS = 60;

export const FEED_QUERY = 'subscription { quoteRequestFeed { type cursor occurredAt quoteRequest { id status createdAt items { quantity design { title } } } } }';
const ESTIMATE_FEED_QUERY =
  'subscription ($id: ID!) { estimateFeed(requestId: $id) { type cursor estimate { id status price { amount currencyCode } manufacturer { displayName } } } }';
const REQUEST_QUOTES =
  'mutation ($input: RequestQuotesInput!) { requestQuotes(input: $input) { quoteRequest { id } errors { code message } } }';
const SUBMIT_ESTIMATE = 'mutation ($input: SubmitEstimateInput!) { submitEstimate(input: $input) { estimate { id } errors { code message } } }';
const CATALOG_BODY = JSON.stringify({ query: CATALOG_QUERY });

export interface FanoutOptions {
  sizes: number[];
  requests: number;
  rate: number;
  seconds: number;
  /** Give up on one broadcast after this long (the run always ends). */
  requestTimeoutMs: number;
  /** Catalog requests per second and server during the fan-out (open loop). */
  catalogRate: number;
  floor: boolean;
  product: boolean;
  /** Extra node flags for the product's server processes (e.g. --cpu-prof). */
  productNodeArgs?: string[];
  /** Have PostgreSQL log every statement on the fan-out database (evidence of statements per event). */
  logStatements?: boolean;
  /** Seconds of estimates at the rate before the measured ones (default ESTIMATE_WARMUP_SECONDS). */
  warmupSeconds?: number;
}

// ---------------------------------------------------------------- load-generator processes

export class Generator {
  readonly child: ChildProcess;
  private readonly waiters: Array<{ match: (r: ClientReply) => boolean; resolve: (r: ClientReply) => void }> = [];
  readonly done = new Set<string>();

  constructor() {
    this.child = fork(path.join(ROOT, 'dist', 'bench', 'fanout-client.js'), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    this.child.on('message', (reply: ClientReply) => {
      if (reply.type === 'done') this.done.add(reply.id);
      const i = this.waiters.findIndex((w) => w.match(reply));
      if (i >= 0) this.waiters.splice(i, 1)[0].resolve(reply);
    });
  }

  ask<T extends ClientReply['type']>(command: ClientCommand, type: T, ms = 600_000): Promise<Extract<ClientReply, { type: T }>> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`generator: no ${type} in ${ms} ms`)), ms);
      this.waiters.push({
        match: (r) => r.type === type && (command.type !== 'collect' || (r as { id?: string }).id === command.id),
        resolve: (r) => {
          clearTimeout(timer);
          resolve(r as Extract<ClientReply, { type: T }>);
        },
      });
      this.child.send(command);
    });
  }

  async close(): Promise<void> {
    if (this.child.exitCode !== null) return;
    await this.ask({ type: 'close' }, 'closed', 60_000).catch(() => this.child.kill('SIGKILL'));
  }
}

async function waitAllDone(generators: Generator[], id: string, ms: number): Promise<boolean> {
  const started = performance.now();
  while (performance.now() - started < ms) {
    if (generators.every((g) => g.done.has(id))) return true;
    await sleep(5);
  }
  return false;
}

/** First and last receipt over all generators, relative to `t0`; how many subscribers got it. */
async function collect(generators: Generator[], id: string, t0: number) {
  const reports = await Promise.all(generators.map((g) => g.ask({ type: 'collect', id }, 'report', 30_000)));
  const got = reports.filter((r) => r.count > 0);
  return {
    firstMs: got.length ? Math.min(...got.map((r) => r.first)) - t0 : NaN,
    lastMs: got.length ? Math.max(...got.map((r) => r.last)) - t0 : NaN,
    received: reports.reduce((s, r) => s + r.count, 0),
    errors: reports.reduce((s, r) => s + r.errors, 0),
  };
}

/** Listens on the product's event channel: when each request's REQUESTED message went out (epoch ms). */
async function listenToBus(databaseUrl: string) {
  const { eventsChannel } = (await import(pathToFileURL(path.join(ROOT, 'dist', 'events', 'bus.js')).href)) as { eventsChannel: (url: string) => string };
  const client = createRedisClient({ url: REDIS_URL });
  await client.connect();
  const seen = new Map<string, number>();
  await client.subscribe(eventsChannel(databaseUrl), (raw) => {
    const t = now();
    const requestId = /"requestId":"([^"]+)"/.exec(raw)?.[1];
    if (requestId && raw.includes('"type":"REQUESTED"') && !seen.has(requestId)) seen.set(requestId, t);
  });
  return { seen, close: () => client.close() };
}

interface CpuShare {
  serversMs: number;
  generatorsMs: number;
  machineBusyPct: number;
}

function cpuSnapshot(servers: Array<{ pid: number }>, generators: Generator[]) {
  return {
    servers: servers.reduce((sum, s) => sum + procCpuMs(s.pid), 0),
    generators: generators.reduce((sum, g) => sum + procCpuMs(g.child.pid!), 0),
    machine: cpuTimes(),
  };
}

function cpuShare(a: ReturnType<typeof cpuSnapshot>, b: ReturnType<typeof cpuSnapshot>): CpuShare {
  return {
    serversMs: round(b.servers - a.servers, 0),
    generatorsMs: round(b.generators - a.generators, 0),
    machineBusyPct: round((100 * (b.machine.busy - a.machine.busy)) / Math.max(1, b.machine.total - a.machine.total), 0),
  };
}

async function gql(url: string, query: string, variables: unknown, token: string) {
  const res = await postJson(url, JSON.stringify({ query, variables }), { authorization: `Bearer ${token}` });
  return JSON.parse(res.body) as { data?: any; errors?: unknown[] };
}

const inDays = (days: number) => new Date(Date.now() + days * 24 * 3600 * 1000).toISOString();

function summarize(rows: Array<{ firstMs: number; lastMs: number }>) {
  const first = stats(rows.map((r) => r.firstMs).filter(Number.isFinite));
  const last = stats(rows.map((r) => r.lastMs).filter(Number.isFinite));
  return {
    first: { p50: round(first.p50), p99: round(first.p99), max: round(first.max) },
    last: { p50: round(last.p50), p99: round(last.p99), max: round(last.max) },
  };
}

function loopOf(readings: ProbeReading[]) {
  return {
    p99: Math.max(...readings.map((r) => r.eventLoopDelayMs.p99)),
    max: Math.max(...readings.map((r) => r.eventLoopDelayMs.max)),
    rssMiB: readings.map((r) => round(r.memory.rss / 2 ** 20, 0)),
    gcPauseMaxMs: Math.max(...readings.map((r) => r.gcPauses?.maxMs ?? 0)),
    /** The longest pause of each kind, per process (minor: young generation; major: the whole heap). */
    gcPauseMaxMsByKind: readings.map((r) => r.gcPauses?.maxMsByKind ?? {}),
  };
}

// ---------------------------------------------------------------- the product

async function productRun(n: number, options: FanoutOptions) {
  const seed = await seedFanout(n);
  if (options.logStatements) {
    const admin = createPg(seed.url);
    await admin.connect();
    await admin.query(`alter database ${FANOUT_DB} set log_statement = 'all'`);
    await admin.end();
  }
  const probeFiles = [0, 1].map((i) => path.join(ROOT, 'bench', 'results', `.probe-fanout-${process.pid}-${i}.json`));
  const servers = await Promise.all(
    probeFiles.map((file) =>
      startProduct({ DATABASE_URL: seed.url, REDIS_URL, SEED_DEMO_DATA: 'false', BENCH_PROBE_FILE: file }, ['--import', PROBE, ...(options.productNodeArgs ?? [])]),
    ),
  );
  const generators = [new Generator(), new Generator()];
  const consumerClients: Client[] = [];
  try {
    const tokens = await Promise.all(seed.manufacturers.map((id) => mintToken({ id, role: 'MANUFACTURER' })));
    const consumerToken = await mintToken({ id: seed.consumer.id, role: 'CONSUMER' });
    const requestQuotes = async (url: string, note: string) => {
      const res = await gql(url, REQUEST_QUOTES, { input: { items: [{ designId: seed.designId, quantity: 1 }], note } }, consumerToken);
      const id = res.data?.requestQuotes?.quoteRequest?.id as string | undefined;
      if (!id) throw new Error(`requestQuotes failed: ${JSON.stringify(res)}`);
      return id;
    };

    // The requests the estimates will answer are made before the subscribers connect, so that the
    // estimate phase measures estimate delivery, not the broadcast of these requests.
    const estimateRequests: string[] = [];
    for (let j = 0; j < 20; j++) estimateRequests.push(await requestQuotes(servers[j % 2].url, `estimates ${j + 1}`));

    const half = Math.ceil(tokens.length / 2);
    log(`fan-out ${n}: opening ${n} graphql-ws subscribers on two server processes`);
    const connected = await Promise.all(
      generators.map((g, i) =>
        g.ask({ type: 'connect', mode: 'graphql-ws', url: servers[i].url.replace(/^http/, 'ws'), credentials: tokens.slice(i * half, (i + 1) * half), query: FEED_QUERY }, 'connected'),
      ),
    );
    const subscribed = connected.reduce((s, c) => s + c.ok, 0);
    log(`fan-out ${n}: ${subscribed} subscribed (${connected.map((c) => `${c.ok} in ${round(c.ms / 1000, 1)} s${c.failed ? `, ${c.failed} failed: ${c.firstError}` : ''}`).join('; ')})`);
    await sleep(3000);

    // Catalog p99 with the subscribers connected but idle: the baseline for "during the fan-out".
    const idleLoad = servers.map((s) => startLoad(s.url, CATALOG_BODY, options.catalogRate));
    await sleep(5000);
    const catalogIdle = await Promise.all(idleLoad.map((l) => l.stop()));
    const loopIdle = await Promise.all(servers.map((s, i) => readProbe(s.pid, probeFiles[i])));

    // Estimates at a fixed rate, open loop, each from a different (request, manufacturer) pair, while the
    // N manufacturer subscribers stay connected; the consumer watches every request's estimateFeed.
    const received = new Map<string, number>();
    for (const [j, requestId] of estimateRequests.entries()) {
      const client = createWsClient({
        url: servers[j % 2].url.replace(/^http/, 'ws'),
        webSocketImpl: WebSocket,
        lazy: false,
        retryAttempts: 0,
        connectionParams: { authorization: `Bearer ${consumerToken}` },
      });
      consumerClients.push(client);
      client.subscribe<{ estimateFeed: { estimate: { id: string } } }>(
        { query: ESTIMATE_FEED_QUERY, variables: { id: requestId } },
        { next: (v) => v.data && received.set(v.data.estimateFeed.estimate.id, now()), error: () => {}, complete: () => {} },
      );
    }
    await sleep(1500);
    await Promise.all(servers.map((s, i) => readProbe(s.pid, probeFiles[i])));
    // Submits at the rate, open loop; `pick(i)` names the request and the manufacturer of the i-th.
    const submitAtRate = (count: number, pick: (i: number) => { requestId: string; maker: string }) => {
      const sent: Array<{ t0: number; tResp: number; id: string | null }> = [];
      const pending: Promise<void>[] = [];
      const start = now();
      const done = (async () => {
        for (let i = 0; i < count; i++) {
          const due = start + (i * 1000) / options.rate;
          const wait = due - now();
          if (wait > 1) await sleep(wait);
          const { requestId, maker } = pick(i);
          const amount = `${1000 + i}.00`;
          const entry = { t0: now(), tResp: NaN, id: null as string | null };
          sent.push(entry);
          pending.push(
            gql(
              servers[i % 2].url,
              SUBMIT_ESTIMATE,
              {
                input: {
                  requestId,
                  price: { amount, currencyCode: 'USD' },
                  lineItems: [{ label: 'Casting and setting', amount: { amount, currencyCode: 'USD' } }],
                  leadTimeDays: 30,
                  validUntil: inDays(10),
                },
              },
              maker,
            ).then(
              (res) => {
                entry.tResp = now();
                entry.id = res.data?.submitEstimate?.estimate?.id ?? null;
              },
              () => {
                entry.tResp = now();
              },
            ),
          );
        }
        return (now() - start) / 1000;
      })();
      return { sent, done, settled: async () => Promise.all(pending) };
    };
    // Warm-up: the same mix (submits at the rate and the catalog load) for a few seconds, by manufacturers from
    // the other end of the list (no pair is used twice), so that the measured submits meet code optimised for
    // that mix, as a running server's would. (Warmed without the catalog load, the code both share was
    // re-optimised about a second into the measured phase: a 100 ms burst of late deliveries, every run.)
    const warmupLoad = servers.map((s) => startLoad(s.url, CATALOG_BODY, options.catalogRate));
    const warmupSeconds = options.warmupSeconds ?? ESTIMATE_WARMUP_SECONDS;
    const warmup = submitAtRate(options.rate * warmupSeconds, (i) => ({
      requestId: estimateRequests[i % estimateRequests.length],
      maker: tokens[tokens.length - 1 - (Math.floor(i / estimateRequests.length) % tokens.length)],
    }));
    // The measured phase follows without a pause (a server left idle for a second or two before it met the
    // load again showed a burst of late deliveries in its first second), the catalog load continuing.
    await warmup.done;
    await Promise.all(servers.map((s, i) => readProbe(s.pid, probeFiles[i]))); // event-loop delay from here on
    const estimateLoad = servers.map((s) => startLoad(s.url, CATALOG_BODY, options.catalogRate));
    void warmup.settled().then(() => Promise.all(warmupLoad.map((l) => l.stop())));
    // The measuring process's own event-loop delay: a stall here would delay its timestamps, not the servers.
    const ownLoop = monitorEventLoopDelay({ resolution: 10 });
    ownLoop.enable();
    const cpuBefore = servers.map((s) => procCpuMs(s.pid));
    const total = options.rate * options.seconds;
    const run = submitAtRate(total, (i) => ({
      requestId: estimateRequests[i % estimateRequests.length],
      maker: tokens[Math.floor(i / estimateRequests.length) % tokens.length],
    }));
    const sent = run.sent;
    const sendSeconds = await run.done;
    await run.settled();
    const deadline = now() + 10_000;
    while (now() < deadline && sent.some((s) => s.id && !received.has(s.id))) await sleep(20);
    const serverCpuMs = servers.reduce((sum, s, i) => sum + procCpuMs(s.pid) - cpuBefore[i], 0);
    const catalogEstimates = await Promise.all(estimateLoad.map((l) => l.stop()));
    const loopEstimates = await Promise.all(servers.map((s, i) => readProbe(s.pid, probeFiles[i])));
    const ok = sent.filter((s) => s.id);
    const delivered = ok.filter((s) => received.has(s.id!));
    const fromSubmit = stats(delivered.map((s) => received.get(s.id!)! - s.t0));
    const fromResponse = stats(delivered.map((s) => received.get(s.id!)! - s.tResp));
    const mutation = stats(ok.map((s) => s.tResp - s.t0));
    // The warm-up's own deliveries: a server's first minute, and its first ten seconds (as long as the
    // measured phase), under the same load.
    const warmSent = warmup.sent.filter((w) => w.id && received.has(w.id));
    const warmStats = (list: typeof warmSent) => {
      const st = stats(list.map((w) => received.get(w.id!)! - w.t0));
      return { submits: list.length, p50: round(st.p50), p99: round(st.p99), max: round(st.max) };
    };
    const estimates = {
      warmup: {
        seconds: warmupSeconds,
        submitToConsumerMs: warmStats(warmSent),
        firstTenSecondsMs: warmStats(warmSent.filter((w) => w.t0 - warmup.sent[0].t0 < 10_000)),
      },
      submitted: total,
      accepted: ok.length,
      delivered: delivered.length,
      achievedRatePerSec: round(total / sendSeconds, 1),
      submitToConsumerMs: { p50: round(fromSubmit.p50), p99: round(fromSubmit.p99), max: round(fromSubmit.max) },
      responseToConsumerMs: { p50: round(fromResponse.p50), p99: round(fromResponse.p99), max: round(fromResponse.max) },
      submitMutationMs: { p50: round(mutation.p50), p99: round(mutation.p99) },
      /** When the measured phase began (epoch ms), to line its slowest deliveries up with other records. */
      startedAtEpochMs: Math.round(sent[0].t0),
      /** The 20 slowest deliveries: when (ms into the phase) the submit was sent, mutation and delivery ms. */
      benchProcessEventLoopMaxMs: round(ownLoop.max / 1e6),
      slowest: delivered
        .map((s) => ({ atMs: round(s.t0 - sent[0].t0), mutationMs: round(s.tResp - s.t0), deliveredMs: round(received.get(s.id!)! - s.t0) }))
        .sort((a, b) => b.deliveredMs - a.deliveredMs)
        .slice(0, 20),
      /** Both server processes' CPU over the phase (submits, their delivery, and the small catalog load) per submit. */
      serverCpuMsPerSubmit: round(serverCpuMs / total, 1),
      catalogDuring: catalogEstimates.map((c) => ({ p50: round(c.p50), p99: round(c.p99), max: round(c.max), n: c.n })),
      eventLoop: loopOf(loopEstimates),
    };
    log(`fan-out ${n}: estimates at ${options.rate}/s (achieved ${estimates.achievedRatePerSec}/s): submit-to-consumer p50 ${estimates.submitToConsumerMs.p50} ms, p99 ${estimates.submitToConsumerMs.p99} ms, ${delivered.length}/${total} delivered, event loop max ${estimates.eventLoop.max} ms`);
    await sleep(1000);

    // Broadcasts: one request at a time, each to all N; the first that does not reach everyone within
    // the time limit ends the phase (the servers are then still working through it).
    await Promise.all(servers.map((s, i) => readProbe(s.pid, probeFiles[i])));
    const broadcastLoad = servers.map((s) => startLoad(s.url, CATALOG_BODY, options.catalogRate));
    // Where a broadcast's time goes: when its event is on the bus (this process listens on the product's
    // channel too), and the CPU each party spends per broadcast (from /proc, from the mutation to the last receipt).
    const bus = await listenToBus(seed.url);
    const broadcasts: Array<{ firstMs: number; lastMs: number; received: number; errors: number; mutationMs: number; busMs: number; cpu: CpuShare }> = [];
    for (let i = 0; i < options.requests; i++) {
      const cpu0 = cpuSnapshot(servers, generators);
      const t0 = now();
      const id = await requestQuotes(servers[i % 2].url, `fan-out ${i + 1}`);
      const tResp = now();
      const complete = await waitAllDone(generators, id, options.requestTimeoutMs);
      const cpu = cpuShare(cpu0, cpuSnapshot(servers, generators));
      const r = await collect(generators, id, tResp);
      const busMs = round((bus.seen.get(id) ?? NaN) - tResp);
      broadcasts.push({ ...r, mutationMs: round(tResp - t0), busMs, cpu });
      log(
        `fan-out ${n}: request ${i + 1}: mutation ${round(tResp - t0)} ms, on the bus ${busMs} ms, first ${round(r.firstMs)} ms, last ${round(r.lastMs)} ms, ${r.received}/${subscribed} received${r.errors ? `, ${r.errors} subscription errors so far` : ''}; CPU ms: servers ${cpu.serversMs}, subscribers' processes ${cpu.generatorsMs}, machine ${cpu.machineBusyPct} % busy`,
      );
      if (!complete) {
        log(`fan-out ${n}: request ${i + 1} did not reach every subscriber in ${options.requestTimeoutMs} ms; stopping the broadcasts here`);
        break;
      }
      await sleep(200);
    }
    const catalogBroadcast = await Promise.all(broadcastLoad.map((l) => l.stop()));
    await bus.close();
    const loopBroadcast = await Promise.all(servers.map((s, i) => readProbe(s.pid, probeFiles[i])));

    return {
      subscribers: subscribed,
      broadcasts: {
        count: broadcasts.length,
        completed: broadcasts.filter((b) => b.received === subscribed).length,
        ...summarize(broadcasts),
        received: broadcasts.map((b) => b.received),
        subscriptionErrors: broadcasts.at(-1)?.errors ?? 0,
        mutationMs: stats(broadcasts.map((b) => b.mutationMs)),
        /** From the mutation's response to the event's message on Redis (the outbox relay's part). */
        responseToBusMs: stats(broadcasts.map((b) => b.busMs).filter(Number.isFinite)),
        /** CPU per broadcast, median over the broadcasts: both servers, both subscriber processes, the machine. */
        cpuPerBroadcast: {
          serversMs: stats(broadcasts.map((b) => b.cpu.serversMs)).p50,
          generatorsMs: stats(broadcasts.map((b) => b.cpu.generatorsMs)).p50,
          machineBusyPct: stats(broadcasts.map((b) => b.cpu.machineBusyPct)).p50,
        },
      },
      catalogIdle: catalogIdle.map((c) => ({ p50: round(c.p50), p99: round(c.p99), max: round(c.max), n: c.n })),
      eventLoopIdle: loopOf(loopIdle),
      catalogDuringBroadcasts: catalogBroadcast.map((c) => ({ p50: round(c.p50), p99: round(c.p99), max: round(c.max), n: c.n })),
      eventLoopDuringBroadcasts: loopOf(loopBroadcast),
      estimates,
      load: load(),
    };
  } finally {
    await Promise.allSettled(consumerClients.map((c) => c.dispose()));
    await Promise.allSettled(generators.map((g) => g.close()));
    await Promise.allSettled(servers.map((s) => s.stop()));
  }
}

// ---------------------------------------------------------------- the floor

async function floorRun(n: number, options: FanoutOptions) {
  const seed = { manufacturers: Array.from({ length: n }, (_, i) => `maker-${i}`) };
  const channel = `bench-fanout-floor:${process.pid}`;
  const probeFiles = [0, 1].map((i) => path.join(ROOT, 'bench', 'results', `.probe-floor-${process.pid}-${i}.json`));
  const servers: Array<Proc & { url: string }> = [];
  for (const file of probeFiles) {
    const port = await freePort();
    const proc = spawnNode(['--import', PROBE, 'dist/bench/fanout-floor.js'], { REDIS_URL, CHANNEL: channel, PORT: String(port), BENCH_PROBE_FILE: file });
    await waitReady(`http://127.0.0.1:${port}/readyz`, proc);
    servers.push({ ...proc, url: `ws://127.0.0.1:${port}/` });
  }
  const generators = [new Generator(), new Generator()];
  const publisher = createRedisClient({ url: REDIS_URL });
  await publisher.connect();
  let consumer: WebSocket | null = null;
  try {
    const half = Math.ceil(n / 2);
    const connected = await Promise.all(
      generators.map((g, i) => g.ask({ type: 'connect', mode: 'ws', url: servers[i].url, credentials: seed.manufacturers.slice(i * half, (i + 1) * half) }, 'connected')),
    );
    const subscribed = connected.reduce((s, c) => s + c.ok, 0);
    await sleep(1000);
    await Promise.all(servers.map((s, i) => readProbe(s.pid, probeFiles[i])));
    const broadcasts: Array<{ firstMs: number; lastMs: number; received: number; cpu: CpuShare }> = [];
    for (let i = 0; i < options.requests; i++) {
      const id = `floor-request-${i + 1}`;
      const payload = JSON.stringify({
        id: '1',
        type: 'next',
        payload: {
          data: {
            quoteRequestFeed: {
              type: 'REQUESTED',
              cursor: String(i + 1),
              occurredAt: new Date().toISOString(),
              quoteRequest: { id, status: 'OPEN', createdAt: new Date().toISOString(), items: [{ quantity: 1, design: { title: 'Fan-out Solitaire Ring' } }] },
            },
          },
        },
      });
      const cpu0 = cpuSnapshot(servers, generators);
      const t0 = now();
      await publisher.publish(channel, JSON.stringify({ audience: seed.manufacturers, payload }));
      await waitAllDone(generators, id, options.requestTimeoutMs);
      const cpu = cpuShare(cpu0, cpuSnapshot(servers, generators));
      broadcasts.push({ ...(await collect(generators, id, t0)), cpu });
      await sleep(200);
    }
    const loopBroadcast = await Promise.all(servers.map((s, i) => readProbe(s.pid, probeFiles[i])));

    // One consumer socket; estimate events published at the same rate, addressed to it.
    const received = new Map<string, number>();
    consumer = new WebSocket(`${servers[0].url}?user=consumer`);
    await new Promise((resolve, reject) => consumer!.once('open', resolve).once('error', reject));
    consumer.on('message', (data) => {
      const m = JSON.parse(data.toString()) as { payload: { data: { estimateFeed: { estimate: { id: string } } } } };
      received.set(m.payload.data.estimateFeed.estimate.id, now());
    });
    const total = options.rate * options.seconds;
    const sent = new Map<string, number>();
    const start = now();
    for (let i = 0; i < total; i++) {
      const due = start + (i * 1000) / options.rate;
      const wait = due - now();
      if (wait > 1) await sleep(wait);
      const id = `floor-estimate-${i}`;
      const payload = JSON.stringify({
        id: '1',
        type: 'next',
        payload: { data: { estimateFeed: { type: 'SUBMITTED', cursor: String(i), estimate: { id, status: 'ACTIVE', price: { amount: '1000.00', currencyCode: 'USD' }, manufacturer: { displayName: 'Maker' } } } } },
      });
      sent.set(id, now());
      void publisher.publish(channel, JSON.stringify({ audience: ['consumer'], payload }));
    }
    const deadline = now() + 5000;
    while (now() < deadline && received.size < total) await sleep(20);
    const latency = stats([...sent].filter(([id]) => received.has(id)).map(([id, t]) => received.get(id)! - t));
    return {
      subscribers: subscribed,
      broadcasts: {
        count: broadcasts.length,
        ...summarize(broadcasts),
        received: broadcasts.map((b) => b.received),
        cpuPerBroadcast: {
          serversMs: stats(broadcasts.map((b) => b.cpu.serversMs)).p50,
          generatorsMs: stats(broadcasts.map((b) => b.cpu.generatorsMs)).p50,
          machineBusyPct: stats(broadcasts.map((b) => b.cpu.machineBusyPct)).p50,
        },
      },
      eventLoopDuringBroadcasts: loopOf(loopBroadcast),
      estimates: { submitted: total, delivered: received.size, publishToConsumerMs: { p50: round(latency.p50), p99: round(latency.p99), max: round(latency.max) } },
      load: load(),
    };
  } finally {
    consumer?.terminate();
    await publisher.close().catch(() => {});
    await Promise.allSettled(generators.map((g) => g.close()));
    await Promise.allSettled(servers.map((s) => s.stop()));
  }
}

export async function runFanout(options: FanoutOptions) {
  mkdirSync(RESULTS_DIR, { recursive: true });
  const sizes: Record<string, unknown> = {};
  for (const n of options.sizes) {
    const entry: Record<string, unknown> = {};
    // Each server starts on a quiet machine: the previous one's thousands of sockets and processes are gone.
    if (options.floor) {
      await settle();
      log(`fan-out floor ${n}`);
      entry.floor = await floorRun(n, options);
      log(`fan-out floor ${n}: ${JSON.stringify((entry.floor as any).broadcasts)}`);
    }
    if (options.product) {
      await settle();
      log(`fan-out product ${n}`);
      entry.product = await productRun(n, options);
    }
    sizes[n] = entry;
  }
  const p1000 = (sizes['1000'] as any)?.product;
  const targetsMet = p1000
    ? {
        broadcast1000LastP99Within250ms: p1000.broadcasts.completed === options.requests && p1000.broadcasts.last.p99 <= 250,
        estimateP99Within50msAt200PerSec: (p1000.estimates?.submitToConsumerMs?.p99 ?? Infinity) <= 50,
        noEventLoopStallOver100ms: Object.values(sizes).every((e: any) => !e.product || Math.max(e.product.eventLoopDuringBroadcasts.max, e.product.estimates?.eventLoop?.max ?? 0) <= 100),
      }
    : null;
  const result = { machine: machine(), settings: options, sizes, targetsMet };
  writeResult('fanout', result);
  return result;
}

export function printFanout(result: Awaited<ReturnType<typeof runFanout>>): string {
  const lines = [`Live fan-out (two server processes on one Redis; ${result.settings.requests} requests per size; estimates at ${result.settings.rate}/s for ${result.settings.seconds} s after a ${result.settings.warmupSeconds ?? ESTIMATE_WARMUP_SECONDS} s warm-up)`];
  lines.push('| subscribers | server | first p50 / p99 / max ms | last p50 / p99 / max ms | event-loop delay max ms (estimates / broadcasts) | catalog p99 ms per process: idle -> estimates -> broadcasts | estimate submit-to-consumer p50 / p99 ms |');
  lines.push('| ---: | --- | --- | --- | ---: | --- | --- |');
  for (const [n, entry] of Object.entries(result.sizes) as Array<[string, any]>) {
    for (const server of ['product', 'floor'] as const) {
      const e = entry[server];
      if (!e) continue;
      const b = e.broadcasts;
      const est = server === 'product' ? e.estimates?.submitToConsumerMs : e.estimates?.publishToConsumerMs;
      const catalog =
        server === 'product'
          ? `${e.catalogIdle.map((c: any) => c.p99).join('/')} -> ${e.estimates.catalogDuring.map((c: any) => c.p99).join('/')} -> ${e.catalogDuringBroadcasts.map((c: any) => c.p99).join('/')}`
          : 'n/a';
      lines.push(
        `| ${n} | ${server} | ${b.first.p50} / ${b.first.p99} / ${b.first.max} | ${b.last.p50} / ${b.last.p99} / ${b.last.max}${(b.completed ?? b.count) < result.settings.requests ? ` (${b.completed ?? b.count} of ${result.settings.requests} reached everyone; stopped after ${b.count}, ${b.received.join('/')} received)` : ''} | ${server === 'product' ? `${e.estimates.eventLoop.max} / ` : ''}${e.eventLoopDuringBroadcasts.max} | ${catalog} | ${est ? `${est.p50} / ${est.p99}` : 'skipped'} |`,
      );
    }
  }
  for (const [n, entry] of Object.entries(result.sizes) as Array<[string, any]>) {
    const w = entry.product?.estimates?.warmup;
    if (w) {
      lines.push(
        `${n} subscribers, estimates during the ${w.seconds} s warm-up before the measured ones (same load; the first estimates these servers handle): submit-to-consumer p50 / p99 ${w.submitToConsumerMs.p50} / ${w.submitToConsumerMs.p99} ms; first 10 s ${w.firstTenSecondsMs.p50} / ${w.firstTenSecondsMs.p99} ms`,
      );
    }
  }
  if (result.targetsMet) {
    lines.push(
      `targets: 1,000 subscribers last p99 <= 250 ms: ${result.targetsMet.broadcast1000LastP99Within250ms ? 'met' : 'MISSED'}; estimate p99 <= 50 ms at 200/s: ${result.targetsMet.estimateP99Within50msAt200PerSec ? 'met' : 'MISSED'}; no event-loop stall > 100 ms: ${result.targetsMet.noEventLoopStallOver100ms ? 'met' : 'MISSED'}`,
    );
  }
  return lines.join('\n');
}

if (isMain(import.meta.url)) {
  const { values } = parseArgs({
    options: {
      sizes: { type: 'string', default: '1000,5000' },
      requests: { type: 'string', default: '20' },
      rate: { type: 'string', default: '200' },
      seconds: { type: 'string', default: '10' },
      'request-timeout': { type: 'string', default: '60000' },
      'catalog-rate': { type: 'string', default: '25' },
      'no-floor': { type: 'boolean', default: false },
      'no-product': { type: 'boolean', default: false },
      'cpu-prof': { type: 'string' },
      'node-args': { type: 'string' },
      'log-statements': { type: 'boolean', default: false },
      warmup: { type: 'string', default: String(ESTIMATE_WARMUP_SECONDS) },
    },
  });
  const result = await runFanout({
    sizes: values.sizes.split(',').map(Number),
    requests: Number(values.requests),
    rate: Number(values.rate),
    seconds: Number(values.seconds),
    requestTimeoutMs: Number(values['request-timeout']),
    catalogRate: Number(values['catalog-rate']),
    floor: !values['no-floor'],
    product: !values['no-product'],
    logStatements: values['log-statements'],
    warmupSeconds: Number(values.warmup),
    productNodeArgs: [
      ...(values['cpu-prof'] ? ['--cpu-prof', `--cpu-prof-dir=${values['cpu-prof']}`] : []),
      ...(values['node-args']?.split(' ').filter(Boolean) ?? []),
    ],
  });
  process.stdout.write(`${printFanout(result)}\n`);
  process.exit(0);
}
