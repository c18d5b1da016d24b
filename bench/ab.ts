// A/B of the catalog read between builds, interleaved: every variant is started at once on the benchmark data,
// then loaded one at a time, round after round in alternating order, so that a machine that speeds up or slows
// down during the run (this workplace's VMs do, by 20 % and more within minutes) shifts all variants alike.
// Reported per round: req/s and server CPU ms per request of each variant, and each one's ratio to the first
// variant in the same round; then the medians. How the "before and after" figures of BENCHMARKS.md were made.
//
//   node dist/bench/ab.js [--rounds 6] [--duration 5] [--warmup 12] [--connections 32] <variant>...
//
// A variant is `floor` (bench/floor-server.ts), `.` (this checkout's dist/main.js, from `npm run build`) or a
// git revision (built with tsc into /var/tmp/jewelry-bench-ab/<commit>, against this checkout's
// node_modules). A product variant runs with the node flags of `npm start` unless flags follow a colon,
// comma-separated (`HEAD~3:--max-semi-space-size=64`; `.:` for none). Uses bench_jewelry (seeded if absent).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import pg from 'pg';
import { CATALOG_QUERY } from './http.js';
import { ADMIN_URL, BENCH_DB, JWT_SECRET, PRODUCT_NODE_FLAGS, ROOT, freePort, isMain, log, machine, procCpuMs, round, settle, spawnNode, waitReady, writeResult, type Proc } from './lib.js';
import { seedBench } from './seed.js';

const BUILDS = '/var/tmp/jewelry-bench-ab';

interface Variant {
  spec: string;
  script: string;
  flags: string[];
  proc?: Proc;
  url?: string;
  rps: number[];
  cpuMsPerReq: number[];
}

/** Builds a revision once (tsc of its src into BUILDS/<commit>) and returns its main.js. */
function buildRevision(rev: string): string {
  const commit = execFileSync('git', ['rev-parse', '--verify', `${rev}^{commit}`], { cwd: ROOT, encoding: 'utf8' }).trim();
  const out = path.join(BUILDS, commit);
  const main = path.join(out, 'dist', 'main.js');
  if (existsSync(path.join(out, 'package.json'))) return main;
  rmSync(out, { recursive: true, force: true });
  const tree = path.join(BUILDS, `${commit}-src`);
  rmSync(tree, { recursive: true, force: true });
  mkdirSync(BUILDS, { recursive: true });
  execFileSync('git', ['worktree', 'add', '--detach', '--force', tree, commit], { cwd: ROOT, stdio: 'ignore' });
  try {
    symlinkSync(path.join(ROOT, 'node_modules'), path.join(tree, 'node_modules'));
    log(`building ${rev} (${commit.slice(0, 7)})`);
    execFileSync(process.execPath, [path.join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json', '--outDir', path.join(out, 'dist'), '--tsBuildInfoFile', path.join(out, 'tsbuildinfo')], {
      cwd: tree,
      stdio: 'inherit',
    });
  } finally {
    execFileSync('git', ['worktree', 'remove', '--force', tree], { cwd: ROOT, stdio: 'ignore' });
  }
  // Resolved from there as from this checkout: its packages, and ES modules.
  symlinkSync(path.join(ROOT, 'node_modules'), path.join(out, 'node_modules'));
  writeFileSync(path.join(out, 'package.json'), '{ "type": "module" }\n');
  return main;
}

function variantOf(spec: string): Variant {
  if (spec === 'floor') return { spec, script: 'dist/bench/floor-server.js', flags: [], rps: [], cpuMsPerReq: [] };
  const colon = spec.indexOf(':');
  const rev = colon === -1 ? spec : spec.slice(0, colon);
  const flags = colon === -1 ? PRODUCT_NODE_FLAGS : spec.slice(colon + 1).split(',').filter(Boolean);
  const script = rev === '.' ? 'dist/main.js' : buildRevision(rev);
  return { spec, script, flags, rps: [], cpuMsPerReq: [] };
}

async function benchDatabaseUrl(): Promise<string> {
  const admin = new pg.Client({ connectionString: ADMIN_URL });
  await admin.connect();
  const { rows } = await admin.query('select 1 from pg_database where datname = $1', [BENCH_DB]);
  await admin.end();
  if (rows.length === 0) return (await seedBench()).url;
  const url = new URL(ADMIN_URL);
  url.pathname = `/${BENCH_DB}`;
  return url.toString();
}

export async function runAb(specs: string[], options: { rounds: number; duration: number; warmup: number; connections: number }) {
  const databaseUrl = await benchDatabaseUrl();
  const variants = specs.map(variantOf);
  await settle();
  for (const v of variants) {
    const port = await freePort();
    const env = { NODE_ENV: 'production', JWT_SECRET, LOG_LEVEL: 'warn', HOST: '127.0.0.1', PORT: String(port), DATABASE_URL: databaseUrl, SEED_DEMO_DATA: 'false' };
    v.proc = spawnNode([...v.flags, v.script], env);
    await waitReady(`http://127.0.0.1:${port}/readyz`, v.proc);
    v.url = `http://127.0.0.1:${port}/graphql`;
  }
  const load = (v: Variant, duration: number) =>
    autocannon({ url: v.url!, method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: CATALOG_QUERY }), connections: options.connections, duration });
  try {
    for (const v of variants) await load(v, options.warmup);
    for (let r = 0; r < options.rounds; r++) {
      for (const v of r % 2 ? [...variants].reverse() : variants) {
        const before = procCpuMs(v.proc!.pid);
        const result = await load(v, options.duration);
        if (result.errors || result.non2xx) throw new Error(`${v.spec}: ${result.errors} errors, ${result.non2xx} non-2xx`);
        v.cpuMsPerReq.push(round((procCpuMs(v.proc!.pid) - before) / result.requests.total, 3));
        v.rps.push(round(result.requests.average, 0));
      }
      log(`round ${r + 1}: ${variants.map((v) => `${v.spec} ${v.rps[r]} req/s`).join(', ')}`);
    }
  } finally {
    for (const v of variants) await v.proc?.stop();
  }
  const median = (xs: number[]) => {
    const sorted = [...xs].sort((a, b) => a - b);
    const mid = sorted.length / 2;
    return Number.isInteger(mid) ? (sorted[mid - 1] + sorted[mid]) / 2 : sorted[Math.floor(mid)];
  };
  const [base] = variants;
  const summary = variants.map((v) => ({
    variant: v.spec,
    flags: v.flags.join(' '),
    medianReqPerSec: round(median(v.rps), 0),
    medianCpuMsPerReq: round(median(v.cpuMsPerReq), 3),
    ratioToFirstPerRound: v.rps.map((x, i) => round(x / base.rps[i], 3)),
    medianRatioToFirst: round(median(v.rps.map((x, i) => x / base.rps[i])), 3),
    rps: v.rps,
    cpuMsPerReq: v.cpuMsPerReq,
  }));
  const result = { machine: machine(), settings: options, query: CATALOG_QUERY, summary };
  writeResult('ab', result);
  return result;
}

export function printAb(result: Awaited<ReturnType<typeof runAb>>): string {
  const lines = [
    `Catalog A/B (autocannon, ${result.settings.connections} connections, ${result.settings.rounds} interleaved rounds of ${result.settings.duration} s after ${result.settings.warmup} s warm-up each)`,
    '| variant | node flags | median req/s | median CPU ms/req | req/s ratio to the first, per round | median ratio |',
    '| --- | --- | ---: | ---: | --- | ---: |',
  ];
  for (const s of result.summary) {
    lines.push(`| ${s.variant} | ${s.flags || '—'} | ${s.medianReqPerSec} | ${s.medianCpuMsPerReq} | ${s.ratioToFirstPerRound.join(' ')} | ${s.medianRatioToFirst} |`);
  }
  return lines.join('\n');
}

if (isMain(import.meta.url)) {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      rounds: { type: 'string', default: '6' },
      duration: { type: 'string', default: '5' },
      warmup: { type: 'string', default: '12' },
      connections: { type: 'string', default: '32' },
    },
  });
  if (positionals.length < 2) throw new Error('give at least two variants: floor, ., or git revisions (see the top of bench/ab.ts)');
  const result = await runAb(positionals, { rounds: Number(values.rounds), duration: Number(values.duration), warmup: Number(values.warmup), connections: Number(values.connections) });
  process.stdout.write(`${printAb(result)}\n`);
  process.exit(0);
}
