// Samples PostgreSQL's pg_stat_activity every 20 ms and writes what backends of one database wait on:
// statements over 40 ms, and moments when 3 or more backends wait on a lock or I/O at once. Run it beside
// a benchmark (it is not part of `npm run bench`):
//   node bench/pg-waits.mjs [seconds=150] [database=bench_jewelry_fanout] [out=/tmp/pg-waits.txt] &
//   node dist/bench/fanout.js --sizes 1000 --no-floor --warmup 20 --seconds 20
import fs from 'node:fs';
import pg from 'pg';

const [seconds = '150', database = 'bench_jewelry_fanout', file = '/tmp/pg-waits.txt'] = process.argv.slice(2);
const client = new pg.Client({ connectionString: process.env.BENCH_ADMIN_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres' });
await client.connect();
const out = fs.createWriteStream(file);
const end = Date.now() + Number(seconds) * 1000;
while (Date.now() < end) {
  const at = new Date().toISOString();
  const { rows } = await client.query(
    `select pid, state, coalesce(wait_event_type, '-') as wt, coalesce(wait_event, '-') as we,
            round(extract(epoch from (clock_timestamp() - coalesce(xact_start, query_start))) * 1000) as ms,
            left(regexp_replace(query, '\\s+', ' ', 'g'), 70) as q
       from pg_stat_activity where datname = $1 and state <> 'idle' and pid <> pg_backend_pid()`,
    [database],
  );
  const slow = rows.filter((r) => Number(r.ms) > 40);
  if (slow.length) out.write(`${at} active=${rows.length} ${slow.map((r) => `[${r.pid} ${r.state} ${r.wt}/${r.we} ${r.ms}ms ${r.q}]`).join(' ')}\n`);
  const waiting = rows.filter((r) => r.wt !== '-' && r.wt !== 'Client');
  if (waiting.length >= 3) out.write(`${at} WAITS ${waiting.map((r) => `${r.wt}/${r.we}`).join(',')}\n`);
  await new Promise((resolve) => setTimeout(resolve, 20));
}
out.end();
await client.end();
