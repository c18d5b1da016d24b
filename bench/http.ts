// HTTP reads side by side on the same database and data: the product (built, NODE_ENV=production), the
// floor (node:http + pg, hand-written SQL) and the peer (PostGraphile v5), each driven by autocannon at a
// fixed concurrency for a fixed time after a warm-up, for two workloads: the catalog page and one quote
// request's detail with its estimates (as its consumer, with a token from the product's own signIn).
// Before measuring, each server's answer is checked against the product's (same data).
//
//   node dist/bench/http.js [--duration 10] [--warmup 15] [--connections 32] [--rounds 2]
//                           [--targets product,floor,peer] [--workloads catalog,detail] [--cpu-prof <dir>]
//                           [--node-args '<flags for the product's node>']
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { Decimal } from 'decimal.js';
import pg from 'pg';
import { BENCH_PASSWORD, JWT_SECRET, cpuTimes, freePort, isMain, load, log, machine, procCpuMs, round, settle, spawnNode, startProduct, waitReady, writeResult, type Proc } from './lib.js';
import { seedBench, type BenchSeed } from './seed.js';

export const CATALOG_QUERY =
  '{ designs(first: 20) { edges { node { id title category referencePrice { amount currencyCode } designer { id displayName } images { url position } } } } }';
export const DETAIL_QUERY =
  'query Detail($id: ID!) { quoteRequest(id: $id) { id status note createdAt expiresAt budget { amount currencyCode } items { quantity design { id title category imageUrl } } estimates { id status version price { amount currencyCode } leadTimeDays validUntil note manufacturer { id displayName } } } }';
// PostGraphile's equivalent: its own names for the same columns; archived designs and other consumers'
// requests are hidden by row-level security instead of resolver code.
const PEER_CATALOG_QUERY =
  '{ allDesigns(first: 20, orderBy: [CREATED_AT_DESC, ROW_ID_DESC]) { nodes { rowId title category priceMin currencyCode userByDesignerId { rowId displayName } images } } }';
const PEER_DETAIL_QUERY =
  'query Detail($id: UUID!) { quoteRequestByRowId(rowId: $id) { rowId status note createdAt expiresAt budgetAmount budgetCurrency quoteRequestItemsByRequestId(orderBy: [POSITION_ASC]) { nodes { quantity designId designTitle designCategory designImageUrl } } estimatesByRequestId(orderBy: [CREATED_AT_ASC, ROW_ID_ASC]) { nodes { rowId status version amount currencyCode leadTimeDays validUntil note userByManufacturerId { rowId displayName } } } } }';

/** Row-level security for the peer's role (bench_jewelry only; the product and the floor connect as the owner and bypass it). */
const PEER_SETUP_SQL = `
  do $$ begin create role bench_peer nologin; exception when duplicate_object then null; end $$;
  grant usage on schema public to bench_peer;
  grant select on all tables in schema public to bench_peer;
  alter table designs enable row level security;
  alter table quote_requests enable row level security;
  alter table quote_request_items enable row level security;
  alter table estimates enable row level security;
  drop policy if exists bench_peer_designs on designs;
  drop policy if exists bench_peer_requests on quote_requests;
  drop policy if exists bench_peer_items on quote_request_items;
  drop policy if exists bench_peer_estimates on estimates;
  create policy bench_peer_designs on designs for select to bench_peer
    using (status = 'ACTIVE' or designer_id = nullif(current_setting('jwt.claims.user_id', true), '')::uuid);
  create policy bench_peer_requests on quote_requests for select to bench_peer
    using (consumer_id = nullif(current_setting('jwt.claims.user_id', true), '')::uuid);
  create policy bench_peer_items on quote_request_items for select to bench_peer
    using (exists (select 1 from quote_requests q where q.id = request_id));
  create policy bench_peer_estimates on estimates for select to bench_peer
    using (exists (select 1 from quote_requests q where q.id = request_id));`;

type Target = 'product' | 'floor' | 'peer';
type Workload = 'catalog' | 'detail';
const WORKLOADS: Workload[] = ['catalog', 'detail'];

interface Server {
  target: Target;
  proc: Proc;
  url: string;
}

export interface HttpOptions {
  duration: number;
  warmup: number;
  connections: number;
  rounds: number;
  seed?: BenchSeed;
  /** Start the product with these extra node flags (e.g. --cpu-prof). */
  productNodeArgs?: string[];
  targets?: Target[];
  /** Measure only these workloads (default both). */
  workloads?: Workload[];
}

async function startTarget(target: Target, databaseUrl: string, productNodeArgs: string[]): Promise<Server> {
  if (target === 'product') {
    const p = await startProduct({ DATABASE_URL: databaseUrl, SEED_DEMO_DATA: 'false' }, productNodeArgs);
    return { target, proc: p, url: p.url };
  }
  const port = await freePort();
  const script = target === 'floor' ? 'dist/bench/floor-server.js' : 'dist/bench/peer-server.js';
  const proc = spawnNode([script], { DATABASE_URL: databaseUrl, JWT_SECRET, PORT: String(port), NODE_ENV: 'production', GRAPHILE_ENV: 'production' });
  await waitReady(`http://127.0.0.1:${port}/readyz`, proc);
  return { target, proc, url: `http://127.0.0.1:${port}/graphql` };
}

function bodyFor(target: Target, workload: Workload, requestId: string): string {
  if (workload === 'catalog') return JSON.stringify({ query: target === 'peer' ? PEER_CATALOG_QUERY : CATALOG_QUERY });
  return JSON.stringify({ query: target === 'peer' ? PEER_DETAIL_QUERY : DETAIL_QUERY, variables: { id: requestId } });
}

async function post(url: string, body: string, token?: string): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body,
  });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

// ---------------------------------------------------------------- the same data, three shapes

const fmt = (amount: string | null, currency: string | null) => (amount === null || currency === null ? null : { amount: new Decimal(amount).toFixed(2), currencyCode: currency });
const isoOf = (pgTime: string) => new Date(pgTime).toISOString();

/** PostGraphile's answer in the product's shape (every bench currency has two minor digits). */
function peerAsProduct(workload: Workload, data: any): unknown {
  if (workload === 'catalog') {
    return {
      designs: {
        edges: data.allDesigns.nodes.map((n: any) => ({
          node: {
            id: n.rowId,
            title: n.title,
            category: n.category,
            referencePrice: fmt(n.priceMin, n.currencyCode),
            designer: { id: n.userByDesignerId.rowId, displayName: n.userByDesignerId.displayName },
            images: n.images.map((i: any) => ({ url: i.url, position: i.position })),
          },
        })),
      },
    };
  }
  const q = data.quoteRequestByRowId;
  return {
    quoteRequest: {
      id: q.rowId,
      status: q.status,
      note: q.note,
      createdAt: isoOf(q.createdAt),
      expiresAt: isoOf(q.expiresAt),
      budget: fmt(q.budgetAmount, q.budgetCurrency),
      items: q.quoteRequestItemsByRequestId.nodes.map((i: any) => ({
        quantity: i.quantity,
        design: { id: i.designId, title: i.designTitle, category: i.designCategory, imageUrl: i.designImageUrl },
      })),
      estimates: q.estimatesByRequestId.nodes
        .filter((e: any) => e.status !== 'SUPERSEDED')
        .map((e: any) => ({
          id: e.rowId,
          status: e.status,
          version: e.version,
          price: fmt(e.amount, e.currencyCode),
          leadTimeDays: e.leadTimeDays,
          validUntil: isoOf(e.validUntil),
          note: e.note,
          manufacturer: { id: e.userByManufacturerId.rowId, displayName: e.userByManufacturerId.displayName },
        })),
    },
  };
}

async function checkSame(server: Server, workload: Workload, requestId: string, token: string, expected: unknown): Promise<void> {
  const { status, json } = await post(server.url, bodyFor(server.target, workload, requestId), workload === 'detail' ? token : undefined);
  if (status !== 200 || json.errors) throw new Error(`${server.target} ${workload}: HTTP ${status} ${JSON.stringify(json).slice(0, 500)}`);
  const data = server.target === 'peer' ? peerAsProduct(workload, json.data) : json.data;
  const a = JSON.stringify(data);
  const b = JSON.stringify(expected);
  if (a !== b) throw new Error(`${server.target} ${workload} answers differently from the product:\n${a.slice(0, 800)}\n---\n${b.slice(0, 800)}`);
}

export interface HttpRun {
  target: Target;
  workload: Workload;
  round: number;
  reqPerSec: number;
  p50: number;
  p99: number;
  requests: number;
  errors: number;
  non2xx: number;
  /** Server-process CPU (user+sys) per request, ms: comparable even when other load shares the machine. */
  serverCpuMsPerReq: number;
  /** Whole machine busy during the run (all processes, 2 cores = 100 %). */
  machineBusyPct: number;
  loadBefore: string;
}

async function measure(server: Server, workload: Workload, requestId: string, token: string, options: HttpOptions, roundNo: number): Promise<HttpRun> {
  const request = {
    url: server.url,
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(workload === 'detail' ? { authorization: `Bearer ${token}` } : {}) },
    body: bodyFor(server.target, workload, requestId),
    connections: options.connections,
  };
  await autocannon({ ...request, duration: options.warmup });
  const loadBefore = load();
  const cpu0 = procCpuMs(server.proc.pid);
  const m0 = cpuTimes();
  const result = await autocannon({ ...request, duration: options.duration });
  const m1 = cpuTimes();
  const cpu1 = procCpuMs(server.proc.pid);
  const ok = result['2xx'];
  const run: HttpRun = {
    target: server.target,
    workload,
    round: roundNo,
    reqPerSec: round(ok / options.duration, 1),
    p50: result.latency.p50,
    p99: result.latency.p99,
    requests: ok,
    errors: result.errors + result.timeouts,
    non2xx: result.non2xx,
    serverCpuMsPerReq: round((cpu1 - cpu0) / Math.max(ok, 1), 2),
    machineBusyPct: round((100 * (m1.busy - m0.busy)) / Math.max(m1.total - m0.total, 1), 0),
    loadBefore,
  };
  log(`${server.target.padEnd(7)} ${workload.padEnd(7)} round ${roundNo}: ${run.reqPerSec} req/s, p50 ${run.p50} ms, p99 ${run.p99} ms, ${run.serverCpuMsPerReq} CPU-ms/req, machine ${run.machineBusyPct}% busy${run.errors || run.non2xx ? `, ${run.errors} errors, ${run.non2xx} non-2xx` : ''}`);
  return run;
}

export interface HttpSummaryRow {
  target: Target;
  workload: Workload;
  reqPerSec: number;
  p50: number;
  p99: number;
  serverCpuMsPerReq: number;
  ratioToFloor: number;
  load: string;
}

export async function runHttp(options: HttpOptions) {
  const seed = options.seed ?? (await seedBench());
  const admin = new pg.Client({ connectionString: seed.url });
  await admin.connect();
  await admin.query(PEER_SETUP_SQL);
  await admin.end();

  const targets = options.targets ?? ['product', 'floor', 'peer'];
  const runs: HttpRun[] = [];
  let expected: Record<Workload, unknown> | null = null;
  let token = '';
  // Rounds alternate the targets (product, floor, peer, product, ...) so that other load on the machine
  // spreads over all of them; the best round of each is reported.
  for (let r = 1; r <= options.rounds; r++) {
    for (const target of targets) {
      // Each server starts on a quiet machine (after the seed, autovacuum and the previous server's exit).
      await settle();
      const server = await startTarget(target, seed.url, target === 'product' ? (options.productNodeArgs ?? []) : []);
      try {
        if (target === 'product' && !token) {
          const signIn = await post(
            server.url,
            JSON.stringify({
              query: 'mutation ($input: SignInInput!) { signIn(input: $input) { token errors { message } } }',
              variables: { input: { email: seed.detail.consumerEmail, password: BENCH_PASSWORD } },
            }),
          );
          token = (signIn.json as any).data?.signIn?.token;
          if (!token) throw new Error(`signIn failed: ${JSON.stringify(signIn.json)}`);
          expected = {
            catalog: (await post(server.url, bodyFor('product', 'catalog', seed.detail.requestId))).json.data,
            detail: (await post(server.url, bodyFor('product', 'detail', seed.detail.requestId), token)).json.data,
          };
        }
        for (const workload of options.workloads ?? WORKLOADS) {
          if (expected) await checkSame(server, workload, seed.detail.requestId, token, expected[workload]);
          runs.push(await measure(server, workload, seed.detail.requestId, token, options, r));
        }
      } finally {
        await server.proc.stop();
      }
    }
  }

  const best = (target: Target, workload: Workload) =>
    runs.filter((x) => x.target === target && x.workload === workload).sort((a, b) => b.reqPerSec - a.reqPerSec)[0];
  const summary: HttpSummaryRow[] = [];
  for (const workload of options.workloads ?? WORKLOADS) {
    const floor = best('floor', workload);
    for (const target of targets) {
      const b = best(target, workload);
      if (!b) continue;
      summary.push({
        target,
        workload,
        reqPerSec: b.reqPerSec,
        p50: b.p50,
        p99: b.p99,
        serverCpuMsPerReq: b.serverCpuMsPerReq,
        ratioToFloor: floor ? round(b.reqPerSec / floor.reqPerSec, 3) : NaN,
        load: b.loadBefore,
      });
    }
  }
  const catalog = (t: Target) => summary.find((s) => s.workload === 'catalog' && s.target === t);
  const targetsMet = {
    catalogAtLeastHalfOfFloor: (catalog('product')?.ratioToFloor ?? 0) >= 0.5,
    catalogAbovePeer: (catalog('product')?.reqPerSec ?? 0) > (catalog('peer')?.reqPerSec ?? Infinity),
  };
  const result = {
    machine: machine(),
    settings: { duration: options.duration, warmup: options.warmup, connections: options.connections, rounds: options.rounds },
    seed: { counts: seed.counts, detailRequestId: seed.detail.requestId },
    summary,
    targetsMet,
    runs,
  };
  writeResult('http', result);
  return result;
}

export function printHttp(result: Awaited<ReturnType<typeof runHttp>>): string {
  const lines = [`HTTP reads (autocannon, ${result.settings.connections} connections, ${result.settings.duration} s after ${result.settings.warmup} s warm-up, best of ${result.settings.rounds})`];
  lines.push('| workload | server | req/s | p50 ms | p99 ms | server CPU ms/req | ratio to floor | load (1/5/15 min) |', '| --- | --- | ---: | ---: | ---: | ---: | ---: | --- |');
  for (const s of result.summary) {
    lines.push(`| ${s.workload} | ${s.target} | ${s.reqPerSec} | ${s.p50} | ${s.p99} | ${s.serverCpuMsPerReq} | ${s.ratioToFloor} | ${s.load} |`);
  }
  lines.push(`targets: catalog >= 0.5 x floor: ${result.targetsMet.catalogAtLeastHalfOfFloor ? 'met' : 'MISSED'}; catalog above PostGraphile: ${result.targetsMet.catalogAbovePeer ? 'met' : 'MISSED'}`);
  return lines.join('\n');
}

if (isMain(import.meta.url)) {
  const { values } = parseArgs({
    options: {
      duration: { type: 'string', default: '10' },
      warmup: { type: 'string', default: '15' },
      connections: { type: 'string', default: '32' },
      rounds: { type: 'string', default: '2' },
      targets: { type: 'string' },
      workloads: { type: 'string' },
      'cpu-prof': { type: 'string' },
      'node-args': { type: 'string' },
    },
  });
  const result = await runHttp({
    duration: Number(values.duration),
    warmup: Number(values.warmup),
    connections: Number(values.connections),
    rounds: Number(values.rounds),
    targets: values.targets ? (values.targets.split(',') as Target[]) : undefined,
    workloads: values.workloads ? (values.workloads.split(',') as Workload[]) : undefined,
    productNodeArgs: [
      ...(values['node-args']?.split(' ').filter(Boolean) ?? []),
      ...(values['cpu-prof'] ? ['--cpu-prof', `--cpu-prof-dir=${values['cpu-prof']}`] : []),
    ],
  });
  process.stdout.write(`${printHttp(result)}\n`);
}
