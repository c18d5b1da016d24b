// The read pipeline (src/db/read-pipeline.ts): statements asked for in one turn of the event loop go out as one
// batch on one connection, each answers with its own rows or its own error, and a lost connection fails what
// was in flight and is replaced on the next read.
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ReadPipeline } from '../src/db/read-pipeline.js';
import { preparedRows } from '../src/db/views.js';
import { createTestDatabase, type TestDatabase } from './support/database.js';
import { startTestApp } from './support/app.js';

let db: TestDatabase;
let pipeline: ReadPipeline;

beforeAll(async () => {
  db = await createTestDatabase();
  const setup = new pg.Client({ connectionString: db.url });
  await setup.connect();
  await setup.query(`create table gems (id int primary key, name text not null, found_at timestamptz not null)`);
  await setup.query(`insert into gems select n, 'gem ' || n, timestamptz '2026-01-01 00:00:00+00' + n * interval '1 day' from generate_series(1, 50) n`);
  await setup.end();
  pipeline = new ReadPipeline({ connectionString: db.url, connections: 2 });
});
afterAll(async () => {
  await pipeline?.close();
  await db?.drop();
});

const byId = (id: number) => pipeline.query<{ id: number; name: string }>('gem-by-id', 'select id, name from gems where id = $1', [id]);

describe('the read pipeline', () => {
  it('sends the statements of one turn together and gives each its own rows, in any number', async () => {
    await byId(1); // connected and prepared
    const before = { ...pipeline.stats };
    const ids = Array.from({ length: 40 }, (_, i) => i + 1);
    const answers = await Promise.all(ids.map(byId));
    expect(answers).toEqual(ids.map((id) => [{ id, name: `gem ${id}` }]));
    expect(pipeline.stats.statements - before.statements).toBe(40);
    expect(pipeline.stats.batches - before.batches).toBe(1);
  });

  it('fails a bad statement alone: the ones before and after it in the batch still answer', async () => {
    const [first, bad, unnamed, last] = await Promise.allSettled([
      byId(3),
      pipeline.query('gem-bad', 'select id from gems where id = $1::int', ['not a number']),
      pipeline.query(undefined, 'select count(*)::int as n from gems where id <= $1', [10]),
      byId(4),
    ]);
    expect(first).toEqual({ status: 'fulfilled', value: [{ id: 3, name: 'gem 3' }] });
    expect(bad).toMatchObject({ status: 'rejected', reason: { code: '22P02' } });
    expect(unnamed).toEqual({ status: 'fulfilled', value: [{ n: 10 }] });
    expect(last).toEqual({ status: 'fulfilled', value: [{ id: 4, name: 'gem 4' }] });
  });

  it('parses rows with the types it is given (timestamps as text, as the ORM reads them)', async () => {
    const types = new pg.TypeOverrides();
    types.setTypeParser(1184, (text: string) => text);
    const asText = new ReadPipeline({ connectionString: db.url, types, connections: 1 });
    try {
      expect(await asText.query('gem-found', 'select found_at from gems where id = $1', [1])).toEqual([{ found_at: '2026-01-02 00:00:00+00' }]);
      expect(await pipeline.query('gem-found', 'select found_at from gems where id = $1', [1])).toEqual([{ found_at: new Date('2026-01-02T00:00:00Z') }]);
    } finally {
      await asText.close();
    }
  });

  it('sends a read whose connection was lost once more on a fresh connection, and reconnects for the next reads', async () => {
    await Promise.all([byId(1), byId(2)]);
    const admin = new pg.Client({ connectionString: db.url });
    await admin.connect();
    const terminate = async () =>
      (
        await admin.query<{ n: number }>(
          `select count(pg_terminate_backend(pid))::int as n from pg_stat_activity where datname = current_database() and application_name = 'read-pipeline'`,
        )
      ).rows[0].n;
    try {
      // A statement still running when PostgreSQL ends the sessions (a restart, an administrator)
      const slow = pipeline.query<{ done: number }>(undefined, 'select pg_sleep(0.5), 1 as done', []);
      await new Promise((r) => setTimeout(r, 200));
      expect(await terminate()).toBe(2);
      // Reads asked for right after, while the connections are going away
      const next = Promise.all([byId(7), byId(8)]);
      expect(await slow).toEqual([{ pg_sleep: '', done: 1 }]);
      expect(await next).toEqual([[{ id: 7, name: 'gem 7' }], [{ id: 8, name: 'gem 8' }]]);
      // A second loss under the resent statement is reported, not retried forever
      const again = expect(pipeline.query(undefined, 'select pg_sleep(0.5), 1 as done', [])).rejects.toThrow(/terminat/i);
      await new Promise((r) => setTimeout(r, 200));
      expect(await terminate()).toBeGreaterThan(0);
      await new Promise((r) => setTimeout(r, 200));
      expect(await terminate()).toBeGreaterThan(0);
      await again;
      expect(await byId(9)).toEqual([{ id: 9, name: 'gem 9' }]);
    } finally {
      await admin.end();
    }
  });

  it('ends a statement that runs too long, and the ones behind it on its connection answer', async () => {
    const strict = new ReadPipeline({ connectionString: db.url, connections: 1, statementTimeoutMs: 200 });
    try {
      const [slow, behind] = await Promise.allSettled([strict.query(undefined, 'select pg_sleep(5)', []), strict.query('gem-by-id', 'select id, name from gems where id = $1', [5])]);
      expect(slow).toMatchObject({ status: 'rejected', reason: { code: '57014' } }); // query_canceled
      expect(behind).toEqual({ status: 'fulfilled', value: [{ id: 5, name: 'gem 5' }] });
    } finally {
      await strict.close();
    }
  });

  it('does not queue a read behind a slow statement: it goes to another connection, opened if need be', async () => {
    const held = new ReadPipeline({ connectionString: db.url, connections: 1, maxConnections: 2 });
    try {
      await held.query(undefined, 'select 1', []);
      expect(held.connectionCount).toBe(1);
      let slowDone = false;
      const slow = held.query(undefined, 'select pg_sleep(1.5)', []).then(() => (slowDone = true));
      await new Promise((r) => setTimeout(r, 100));
      // The read asked for now answers while the slow statement still holds the first connection.
      expect(await held.query('gem-by-id', 'select id, name from gems where id = $1', [6])).toEqual([{ id: 6, name: 'gem 6' }]);
      expect(slowDone).toBe(false);
      expect(held.connectionCount).toBe(2);
      await slow;
      // No more than maxConnections, however many are held up.
      const slows = [held.query(undefined, 'select pg_sleep(0.5)', [])];
      await new Promise((r) => setTimeout(r, 100));
      slows.push(held.query(undefined, 'select pg_sleep(0.5)', []));
      await new Promise((r) => setTimeout(r, 100));
      expect(await held.query('gem-by-id', 'select id, name from gems where id = $1', [7])).toEqual([{ id: 7, name: 'gem 7' }]);
      expect(held.connectionCount).toBe(2);
      await Promise.all(slows);
    } finally {
      await held.close();
    }
  });

  it('refuses reads once closed, without hanging', async () => {
    const closing = new ReadPipeline({ connectionString: db.url, connections: 1 });
    await closing.query(undefined, 'select 1', []);
    const queued = expect(closing.query(undefined, 'select 1', [])).rejects.toThrow(/closed/);
    await closing.close();
    await queued;
    await expect(closing.query(undefined, 'select 1', [])).rejects.toThrow(/closed/);
  });
});

describe('the server', () => {
  it('reads catalog pages through the pipeline, concurrent ones answering like one at a time', async () => {
    const t = await startTestApp();
    try {
      const query = '{ designs(first: 3) { edges { node { id } } } }';
      const one = await t.gql(query);
      expect(one.errors).toBeUndefined();
      const before = { ...t.app.reads.stats };
      const many = await Promise.all(Array.from({ length: 20 }, () => t.gql(query)));
      expect(many.every((res) => JSON.stringify(res) === JSON.stringify(one))).toBe(true);
      expect(t.app.reads.stats.statements - before.statements).toBe(20);
    } finally {
      await t.stop();
    }
  });

  it('reads a list parameter as one array, on the pipeline and inside a transaction alike', async () => {
    const t = await startTestApp();
    try {
      const em = t.app.orm.em.fork();
      const odd = ['plain', 'with "quotes"', 'back\\slash', 'comma, brace }', null];
      const sql = 'select x from unnest(?::text[]) with ordinality as u(x, n) order by n';
      const expected = odd.map((x) => ({ x }));
      expect(await preparedRows(em, sql, [odd])).toEqual(expected);
      expect(await em.transactional((tx) => preparedRows(tx, sql, [odd]))).toEqual(expected);
    } finally {
      await t.stop();
    }
  });
});

