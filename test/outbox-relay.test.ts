// The relay's pass stays cheap however many events went before it: each event leaves dead entries in the
// partial indexes the pass reads (numbered, then published), and the pass must not visit them again and
// again until VACUUM comes. An index scan marks the entries it finds dead and skips them afterwards; a bitmap
// scan, a sequential scan or a hash join over one never does. So the pass's plan must read the outbox by plain
// index scans only. (How many buffers it then touches also depends on every other session of the server: an
// old snapshot anywhere keeps the entries from counting as dead. The plan is what this code decides.)
import { randomUUID } from 'node:crypto';
import { parse } from 'graphql';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RELAY_PASS_NAME, RELAY_PASS_SQL, RELAY_SESSION_SQL } from '../src/events/outbox.js';
import { startTestApp, type TestApp } from './support/app.js';
import { createTestDatabase, type TestDatabase } from './support/database.js';
import { createDesign, requestQuotes } from './support/quoting.js';
import { signUp, signUpManufacturer } from './support/users.js';
import { subscribe } from './support/ws.js';

let t: TestApp;
let db: pg.Client;
beforeAll(async () => {
  t = await startTestApp({ OUTBOX_POLL_MS: '100' });
  db = new pg.Client({ connectionString: t.db.url });
  await db.connect();
});
afterAll(async () => {
  await db?.end();
  await t?.stop();
});

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Actual Rows'?: number;
  'Shared Hit Blocks'?: number;
  'Shared Read Blocks'?: number;
  Plans?: PlanNode[];
}

/** Every node of a plan, depth first. */
function nodesOf(plan: PlanNode): PlanNode[] {
  return [plan, ...(plan.Plans ?? []).flatMap(nodesOf)];
}

/** How the plan reads the outbox and joins: e.g. ['Index Scan', 'Nested Loop', ...] without duplicates. */
function outboxAccess(plan: PlanNode): string[] {
  const kinds = nodesOf(plan)
    .filter((n) => (n['Relation Name'] === 'event_outbox' && /Scan/.test(n['Node Type'])) || /Join|Nested Loop|Hash/.test(n['Node Type']))
    .map((n) => n['Node Type']);
  return [...new Set(kinds)].sort();
}

/** The pass's plan, from EXPLAIN (ANALYZE, BUFFERS); it runs the pass. */
async function passPlan(client: pg.Client, publishedThrough: string): Promise<PlanNode> {
  const { rows } = await client.query<{ 'QUERY PLAN': Array<{ Plan: PlanNode }> }>(`explain (analyze, buffers, format json) ${RELAY_PASS_SQL}`, [
    publishedThrough,
  ]);
  return rows[0]['QUERY PLAN'][0].Plan;
}

/** Plain index scans (and nested loops over them) only: no bitmap, sequential or hash access to the outbox. */
const INDEX_SCANS_ONLY = /^(Index Scan|Index Only Scan|Nested Loop)$/;

describe('outbox relay pass', () => {
  it('reads the outbox by index scans after 3,000 relayed events, not by bitmap scans over every dead entry', async () => {
    // Given 3,000 events, committed in 30 transactions and relayed (numbered, published, marked) by the app
    for (let i = 0; i < 30; i++) {
      await db.query(
        `insert into event_outbox (feed, type, audience, quote_request_id, occurred_at)
         select 'QUOTE_REQUEST', 'REQUESTED', array[$1::uuid], $2::uuid, now() from generate_series(1, 100)`,
        [randomUUID(), randomUUID()],
      );
    }
    const deadline = Date.now() + 20_000;
    for (;;) {
      const { rows } = await db.query<{ waiting: string }>('select count(*) as waiting from event_outbox where published_at is null');
      if (rows[0].waiting === '0') break;
      if (Date.now() > deadline) throw new Error(`${rows[0].waiting} events still unpublished`);
      await new Promise((r) => setTimeout(r, 100));
    }
    const { rows } = await db.query<{ seq: string; events: string }>('select max(seq)::text as seq, count(*) as events from event_outbox');
    expect(rows[0].events).toBe('3000');

    // When a pass with nothing new runs on a connection set up like the relay's, then it reads the outbox by
    // index scans only. (Left to the statistics here, PostgreSQL picks bitmap scans, which re-read the heap
    // pages of all 6,000 dead entries on every pass: 71 buffers against under 20, more with every event.)
    const relay = new pg.Client({ connectionString: t.db.url });
    await relay.connect();
    try {
      await relay.query(RELAY_SESSION_SQL);
      const access = outboxAccess(await passPlan(relay, rows[0].seq));
      expect(access.length).toBeGreaterThan(0);
      for (const kind of access) expect(kind, `the pass reads the outbox by ${access.join(', ')}`).toMatch(INDEX_SCANS_ONLY);
    } finally {
      await relay.end();
    }
  });
});

describe('outbox relay pass, prepared, one event at a time', () => {
  // The relay runs its pass as a named statement: after five runs PostgreSQL may keep one generic plan
  // for good. Chosen while the outbox was small, that plan was a hash join over a sequential scan of the
  // whole outbox, and its index scans never marked the dead entries they met: a pass cost grew with every
  // event since the last VACUUM (0.4 ms after 300 events, 1.3 ms after 3,000, at 200 events a second).
  let db: TestDatabase;
  let writer: pg.Client;
  let relay: pg.Client;
  beforeAll(async () => {
    db = await createTestDatabase();
    await (await startTestApp({}, { db })).stop(); // migrated; no app (and no other relay) left running
    writer = new pg.Client({ connectionString: db.url });
    relay = new pg.Client({ connectionString: db.url });
    await Promise.all([writer.connect(), relay.connect()]);
    await relay.query(RELAY_SESSION_SQL);
  });
  afterAll(async () => {
    await Promise.all([writer?.end(), relay?.end()]);
    await db?.drop();
  });

  it('keeps index scans in its cached plan after 2,000 events relayed one per pass, as at 200 events a second', async () => {
    // Given 2,000 events, each committed alone and numbered by a pass of its own, as the relay runs it
    const pass = (published: string) => relay.query<{ seq: string }>({ name: RELAY_PASS_NAME, text: RELAY_PASS_SQL, values: [published] });
    const commitEvent = () =>
      writer.query(
        `insert into event_outbox (feed, type, audience, quote_request_id, occurred_at) values ('ESTIMATE', 'SUBMITTED', array[$1::uuid], $2::uuid, now())`,
        [randomUUID(), randomUUID()],
      );
    let published = '0';
    for (let i = 0; i < 2000; i++) {
      await commitEvent();
      const { rows } = await pass(published);
      expect(rows.map((r) => r.seq)).toEqual([String(BigInt(published) + 1n)]);
      published = rows[0].seq;
    }

    // When one more event commits and the same prepared pass (with its cached plan) numbers it, then that plan
    // reads the outbox by index scans only. (Without the relay's session settings, the generic plan kept after
    // five runs was a hash join over a sequential scan of the whole outbox: 58 buffers here, 20 more per 1,000
    // events, against about 23.)
    await commitEvent();
    const { rows } = await relay.query<{ 'QUERY PLAN': Array<{ Plan: PlanNode }> }>(
      `explain (analyze, buffers, format json) execute "${RELAY_PASS_NAME}"('${published}')`,
    );
    const plan = rows[0]['QUERY PLAN'][0].Plan;
    expect(plan['Actual Rows']).toBe(1); // the new event, numbered
    const access = outboxAccess(plan);
    expect(access.length).toBeGreaterThan(0);
    for (const kind of access) expect(kind, `the cached pass reads the outbox by ${access.join(', ')}`).toMatch(INDEX_SCANS_ONLY);
  });
});

describe('outbox numbering after retention', () => {
  let pruning: TestApp;
  beforeAll(async () => {
    pruning = await startTestApp({ OUTBOX_RETENTION_SECONDS: '1', EXPIRY_SWEEP_MS: '300' });
  });
  afterAll(() => pruning?.stop());

  it('keeps numbering after the outbox was pruned empty, so live events and cursors go on', async () => {
    type Event = { quoteRequestFeed: { type: string; cursor: string; quoteRequest: { id: string } } };
    const designer = await signUp(pruning.gql, 'DESIGNER');
    const ring = await createDesign(pruning.gql, designer, 'Prune Ring', 'RING');
    const maker = await signUpManufacturer(pruning.gql, ['RING']);
    const consumer = await signUp(pruning.gql, 'CONSUMER');
    const feed = await subscribe<Event, Record<string, never>>(pruning.url, maker.token, parse('subscription { quoteRequestFeed { type cursor quoteRequest { id } } }'));
    const ask = () => requestQuotes(pruning.gql, consumer, { items: [{ designId: ring.id, quantity: 1 }], manufacturerIds: [maker.id] });
    const first = await ask();
    const second = await ask();
    await feed.waitFor(2);

    // Given retention has deleted every event (published and older than a second)
    const admin = new pg.Client({ connectionString: pruning.db.url });
    await admin.connect();
    try {
      const deadline = Date.now() + 15_000;
      while ((await admin.query<{ n: number }>('select count(*)::int as n from event_outbox')).rows[0].n > 0) {
        if (Date.now() > deadline) throw new Error('the outbox was not pruned');
        await new Promise((r) => setTimeout(r, 100));
      }
    } finally {
      await admin.end();
    }

    // When another request is made, then it arrives live, with a cursor after the earlier ones
    const third = await ask();
    const events = await feed.waitFor(3);
    expect(events.map((e) => e.quoteRequestFeed.quoteRequest.id)).toEqual([first.id, second.id, third.id]);
    const cursors = events.map((e) => BigInt(e.quoteRequestFeed.cursor));
    expect(cursors[2] > cursors[1] && cursors[1] > cursors[0]).toBe(true);
    await feed.close();
  });
});

describe('waking the relay', () => {
  // PostgreSQL serialises the commits of notifying transactions on one lock held through the WAL flush: a
  // NOTIFY inside every event-writing transaction kept those commits from sharing a flush (BENCHMARKS.md).
  it('sends no NOTIFY from inside a transaction that writes events; the relay still publishes them', async () => {
    const listener = new pg.Client({ connectionString: t.db.url });
    await listener.connect();
    const heard: string[] = [];
    listener.on('notification', (message) => heard.push(message.channel));
    await listener.query('listen event_outbox');
    try {
      const requestId = randomUUID();
      await db.query('begin');
      await db.query(
        `insert into event_outbox (feed, type, audience, quote_request_id, occurred_at) values ('QUOTE_REQUEST', 'REQUESTED', array[$1::uuid], $2::uuid, now())`,
        [randomUUID(), requestId],
      );
      await db.query('commit');
      // The relay (polling every 100 ms here) numbers and publishes it
      const deadline = Date.now() + 10_000;
      for (;;) {
        const { rows } = await db.query<{ published: boolean }>('select published_at is not null as published from event_outbox where quote_request_id = $1', [requestId]);
        if (rows[0]?.published) break;
        if (Date.now() > deadline) throw new Error('the relay did not publish the event in 10 s');
        await new Promise((r) => setTimeout(r, 50));
      }
      expect(heard).toEqual([]);
    } finally {
      await listener.end();
    }
  });
});
