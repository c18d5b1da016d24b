// Memory: RSS per idle subscribed WebSocket at 5,000 connections, and the heap after 10,000
// subscribe/close cycles compared with before. One product process (NODE_ENV=production, Redis events),
// started with --expose-gc and the in-process probe, which forces a full GC before each reading; RSS is
// also read from outside (/proc/<pid>/status VmRSS). Subscribers are graphql-ws clients on the
// manufacturer feed, opened from a separate load-generator process.
//
//   node dist/bench/memory.js [--connections 5000] [--cycles 10000]
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { FEED_QUERY, Generator } from './fanout.js';
import { PROBE, REDIS_URL, RESULTS_DIR, isMain, load, log, machine, mintToken, procMemory, readProbe, round, sleep, startProduct, writeResult } from './lib.js';
import { seedFanout } from './seed.js';

export interface MemoryOptions {
  connections: number;
  cycles: number;
  concurrency: number;
  holdMs: number;
}

const MiB = 2 ** 20;

export async function runMemory(options: MemoryOptions) {
  mkdirSync(RESULTS_DIR, { recursive: true });
  const seed = await seedFanout(options.connections);
  const probeFile = path.join(RESULTS_DIR, `.probe-memory-${process.pid}.json`);
  const server = await startProduct(
    { DATABASE_URL: seed.url, REDIS_URL, SEED_DEMO_DATA: 'false', BENCH_PROBE_FILE: probeFile, BENCH_PROBE_GC: '1' },
    ['--expose-gc', '--import', PROBE],
  );
  const reading = async () => {
    await sleep(1000);
    const probe = await readProbe(server.pid, probeFile);
    return { rss: procMemory(server.pid).rssKiB * 1024, heapUsed: probe.memory.heapUsed, external: probe.memory.external };
  };
  let generator = new Generator();
  try {
    const tokens = await Promise.all(seed.manufacturers.map((id) => mintToken({ id, role: 'MANUFACTURER' })));
    const wsUrl = server.url.replace(/^http/, 'ws');

    // Warm up the code paths (JIT, pools, caches) with a few hundred cycles before the first reading.
    await generator.ask({ type: 'churn', url: wsUrl, credentials: tokens, query: FEED_QUERY, cycles: 500, concurrency: 25, holdMs: options.holdMs }, 'churned');
    const idle = await reading();
    log(`memory: before: RSS ${round(idle.rss / MiB)} MiB, heap ${round(idle.heapUsed / MiB)} MiB`);

    const connected = await generator.ask({ type: 'connect', mode: 'graphql-ws', url: wsUrl, credentials: tokens.slice(0, options.connections), query: FEED_QUERY }, 'connected');
    await sleep(2000);
    const open = await reading();
    const perSocket = {
      rssKiB: round((open.rss - idle.rss) / connected.ok / 1024, 1),
      heapKiB: round((open.heapUsed - idle.heapUsed) / connected.ok / 1024, 1),
    };
    log(`memory: ${connected.ok} idle subscriptions: RSS ${round(open.rss / MiB)} MiB (+${perSocket.rssKiB} KiB each), heap ${round(open.heapUsed / MiB)} MiB (+${perSocket.heapKiB} KiB each)`);
    await generator.close();
    generator = new Generator();
    await sleep(2000);
    const closed = await reading();

    const beforeChurn = await reading();
    const churn = await generator.ask(
      { type: 'churn', url: wsUrl, credentials: tokens, query: FEED_QUERY, cycles: options.cycles, concurrency: options.concurrency, holdMs: options.holdMs },
      'churned',
    );
    await sleep(3000);
    const afterChurn = await reading();
    const heapGrowth = afterChurn.heapUsed - beforeChurn.heapUsed;
    log(`memory: ${churn.ok} subscribe/close cycles in ${round(churn.ms / 1000, 1)} s (${churn.failed} failed): heap ${round(beforeChurn.heapUsed / MiB, 2)} -> ${round(afterChurn.heapUsed / MiB, 2)} MiB`);
    const result = {
      machine: machine(),
      settings: options,
      subscribers: connected.ok,
      connectFailed: connected.failed,
      mib: {
        before: { rss: round(idle.rss / MiB), heap: round(idle.heapUsed / MiB, 2) },
        with5000: { rss: round(open.rss / MiB), heap: round(open.heapUsed / MiB, 2) },
        afterClose: { rss: round(closed.rss / MiB), heap: round(closed.heapUsed / MiB, 2) },
        beforeChurn: { rss: round(beforeChurn.rss / MiB), heap: round(beforeChurn.heapUsed / MiB, 2) },
        afterChurn: { rss: round(afterChurn.rss / MiB), heap: round(afterChurn.heapUsed / MiB, 2) },
      },
      perIdleSubscription: perSocket,
      churn: { cycles: churn.ok, failed: churn.failed, seconds: round(churn.ms / 1000, 1), heapGrowthKiB: round(heapGrowth / 1024, 1), heapGrowthBytesPerCycle: round(heapGrowth / Math.max(churn.ok, 1), 1) },
      targetsMet: {
        atMost64KiBRssPerIdleSubscription: perSocket.rssKiB <= 64,
        // "No growth": within 1 MiB after 10,000 cycles (under 105 bytes a cycle), allowing for GC noise.
        noHeapGrowthAfterChurn: heapGrowth <= MiB,
      },
      load: load(),
    };
    writeResult('memory', result);
    return result;
  } finally {
    await generator.close();
    await server.stop();
  }
}

export function printMemory(result: Awaited<ReturnType<typeof runMemory>>): string {
  return [
    `Memory (one server process, ${result.subscribers} idle graphql-ws subscriptions; ${result.churn.cycles} subscribe/close cycles)`,
    `| measure | value |`,
    `| --- | ---: |`,
    `| RSS before / with ${result.subscribers} / after closing them (MiB) | ${result.mib.before.rss} / ${result.mib.with5000.rss} / ${result.mib.afterClose.rss} |`,
    `| RSS per idle subscription | ${result.perIdleSubscription.rssKiB} KiB |`,
    `| heap per idle subscription | ${result.perIdleSubscription.heapKiB} KiB |`,
    `| heap after a full GC, before -> after churn (MiB) | ${result.mib.beforeChurn.heap} -> ${result.mib.afterChurn.heap} (${result.churn.heapGrowthKiB} KiB, ${result.churn.heapGrowthBytesPerCycle} B/cycle) |`,
    `targets: <= 64 KiB RSS per idle subscription: ${result.targetsMet.atMost64KiBRssPerIdleSubscription ? 'met' : 'MISSED'}; no heap growth after churn: ${result.targetsMet.noHeapGrowthAfterChurn ? 'met' : 'MISSED'}`,
  ].join('\n');
}

if (isMain(import.meta.url)) {
  const { values } = parseArgs({
    options: {
      connections: { type: 'string', default: '5000' },
      cycles: { type: 'string', default: '10000' },
      concurrency: { type: 'string', default: '50' },
      hold: { type: 'string', default: '10' },
    },
  });
  const result = await runMemory({ connections: Number(values.connections), cycles: Number(values.cycles), concurrency: Number(values.concurrency), holdMs: Number(values.hold) });
  process.stdout.write(`${printMemory(result)}\n`);
  process.exit(0);
}
