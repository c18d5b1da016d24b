// In-process measurements without touching the product's code: preloaded into a server process with
// `node --import ./dist/bench/probe.js dist/main.js` (add --expose-gc for heap readings after a full GC).
// On SIGUSR2 it writes one JSON line to $BENCH_PROBE_FILE: event-loop delay since the previous reading
// (perf_hooks.monitorEventLoopDelay, 10 ms resolution), garbage-collection pauses, memory, then resets.
import { writeFileSync } from 'node:fs';
import { PerformanceObserver, monitorEventLoopDelay } from 'node:perf_hooks';

const file = process.env.BENCH_PROBE_FILE;
if (file) {
  const histogram = monitorEventLoopDelay({ resolution: 10 });
  histogram.enable();
  // Garbage-collection pauses since the previous reading: how many, the longest, and their sum; and the
  // longest of each kind (minor: scavenge of the young generation; major: mark-compact of the whole heap).
  const KINDS: Record<number, string> = { 1: 'minor', 2: 'major', 4: 'incremental', 8: 'weakcb' };
  let gcPauses = { count: 0, maxMs: 0, totalMs: 0, maxMsByKind: {} as Record<string, number> };
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      gcPauses.count += 1;
      gcPauses.maxMs = Math.max(gcPauses.maxMs, entry.duration);
      gcPauses.totalMs += entry.duration;
      const kind = KINDS[(entry as unknown as { detail?: { kind?: number } }).detail?.kind ?? 0] ?? 'other';
      gcPauses.maxMsByKind[kind] = Math.round(Math.max(gcPauses.maxMsByKind[kind] ?? 0, entry.duration) * 10) / 10;
    }
  }).observe({ entryTypes: ['gc'] });
  const ms = (ns: number) => Math.round(ns / 1e4) / 100;
  process.on('SIGUSR2', () => {
    const gc = (globalThis as { gc?: () => void }).gc;
    const before = process.memoryUsage();
    if (gc && process.env.BENCH_PROBE_GC === '1') {
      gc();
      gc();
    }
    const after = process.memoryUsage();
    const reading = {
      at: Date.now(),
      eventLoopDelayMs: { p50: ms(histogram.percentile(50)), p99: ms(histogram.percentile(99)), max: ms(histogram.max), mean: ms(histogram.mean), count: histogram.count },
      memory: { rss: after.rss, heapUsed: after.heapUsed, heapTotal: after.heapTotal, external: after.external, arrayBuffers: after.arrayBuffers, heapUsedBeforeGc: before.heapUsed },
      gc: Boolean(gc && process.env.BENCH_PROBE_GC === '1'),
      gcPauses: { count: gcPauses.count, maxMs: Math.round(gcPauses.maxMs * 10) / 10, totalMs: Math.round(gcPauses.totalMs), maxMsByKind: gcPauses.maxMsByKind },
    };
    histogram.reset();
    gcPauses = { count: 0, maxMs: 0, totalMs: 0, maxMsByKind: {} };
    writeFileSync(file, `${JSON.stringify(reading)}\n`);
  });
}
