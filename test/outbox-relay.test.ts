// The relay's pass stays cheap however many events went before it: each event leaves dead entries in the
// partial indexes the pass reads (numbered, then published), and the pass must not visit them again and
// again until VACUUM comes. Measured as work (buffers touched by the statement), not as time.
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RELAY_PASS_SQL, RELAY_SESSION_SQL } from '../src/events/outbox.js';
import { startTestApp, type TestApp } from './support/app.js';

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

/** Buffers the pass touches (shared hit + read), from EXPLAIN (ANALYZE, BUFFERS); it runs the pass. */
async function passBuffers(client: pg.Client, publishedThrough: string): Promise<number> {
  const { rows } = await client.query<{ 'QUERY PLAN': Array<{ Plan: Record<string, number> }> }>(
    `explain (analyze, buffers, format json) ${RELAY_PASS_SQL}`,
    [publishedThrough],
  );
  const plan = rows[0]['QUERY PLAN'][0].Plan;
  return plan['Shared Hit Blocks'] + plan['Shared Read Blocks'];
}

describe('outbox relay pass', () => {
  it('touches a few buffers after 3,000 relayed events, not every dead index entry they left', async () => {
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

    // When a pass with nothing new runs on a connection set up like the relay's (twice: the first may still
    // have dead entries to mark), then it touches a handful of buffers. With bitmap scans, every pass
    // re-reads the heap pages of all 6,000 dead entries (71 buffers here, more with every event).
    const relay = new pg.Client({ connectionString: t.db.url });
    await relay.connect();
    try {
      await relay.query(RELAY_SESSION_SQL);
      await passBuffers(relay, rows[0].seq);
      expect(await passBuffers(relay, rows[0].seq)).toBeLessThan(20);
    } finally {
      await relay.end();
    }
  });
});
