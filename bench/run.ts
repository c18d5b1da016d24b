// `npm run bench`: every benchmark of BENCHMARKS.md, in order, on loopback only, each bounded in time:
// seed -> HTTP reads (product, floor, PostGraphile) -> live fan-out (1,000 and 5,000 subscribers, and
// the floor) -> memory -> start-up. Prints one summary (Markdown) and writes bench/results/*.json.
// Needs PostgreSQL (BENCH_ADMIN_URL, default postgresql://postgres@127.0.0.1:5432/postgres) and Redis
// (BENCH_REDIS_URL, default redis://127.0.0.1:6379); drops and recreates only bench_jewelry and
// bench_jewelry_fanout.
//
//   npm run bench                       # everything (about 11 minutes on 2 cores)
//   npm run bench -- --only http,memory # some of it
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { printFanout, runFanout } from './fanout.js';
import { printHttp, runHttp } from './http.js';
import { RESULTS_DIR, load, log, machine, settle } from './lib.js';
import { printMemory, runMemory } from './memory.js';
import { seedBench } from './seed.js';
import { printStartup, runStartup } from './startup.js';

const { values } = parseArgs({
  options: {
    only: { type: 'string', default: 'http,fanout,memory,startup' },
    rounds: { type: 'string', default: '2' },
    duration: { type: 'string', default: '10' },
    sizes: { type: 'string', default: '1000,5000' },
  },
});
const only = new Set(values.only.split(','));
const m = machine();
const sections: string[] = [
  `# npm run bench: ${m.date}`,
  `machine: ${m.nproc} cores, ${m.cpu}, ${m.memoryGiB} GiB, Node ${m.node}; load at start ${load()}`,
];
const print = (text: string) => {
  sections.push(text);
  process.stdout.write(`\n${text}\n`);
};

if (only.has('http')) {
  log('seeding bench_jewelry');
  const seed = await seedBench();
  print(`Seed: ${Object.entries(seed.counts).map(([k, v]) => `${v} ${k}`).join(', ')} in ${seed.ms} ms`);
  // 15 s of warm-up: V8 needs about that long to optimise the product's request path (measured: 4.5-5 CPU ms
  // per catalog request in the first 8 s, 2.8-3 from 15 s on); every server gets the same warm-up.
  print(printHttp(await runHttp({ duration: Number(values.duration), warmup: 15, connections: 32, rounds: Number(values.rounds), seed })));
}
if (only.has('fanout')) {
  await settle();
  print(
    printFanout(
      await runFanout({
        sizes: values.sizes.split(',').map(Number),
        requests: 20,
        rate: 200,
        seconds: 10,
        requestTimeoutMs: 60_000,
        catalogRate: 25,
        floor: true,
        product: true,
      }),
    ),
  );
}
// Each part starts on a quiet machine (the previous part's processes may still be exiting).
if (only.has('memory')) {
  await settle();
  print(printMemory(await runMemory({ connections: 5000, cycles: 10_000, concurrency: 50, holdMs: 10 })));
}
if (only.has('startup')) {
  await settle();
  print(printStartup(await runStartup({ later: 3 })));
}

sections.push(`load at end ${load()}`);
writeFileSync(path.join(RESULTS_DIR, 'summary.md'), `${sections.join('\n\n')}\n`);
log(`summary written to ${path.join(RESULTS_DIR, 'summary.md')}`);
process.exit(0);
