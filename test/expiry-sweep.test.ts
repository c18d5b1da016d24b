// The expiry sweep runs every EXPIRY_SWEEP_MS in every process: it must expire exactly what is due, and read
// only that, not every ACTIVE estimate of the marketplace each time.
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXPIRE_ESTIMATES_SQL } from '../src/modules/quoting/quoting.service.js';
import { arrayLiteral } from '../src/db/views.js';
import { startTestApp, type TestApp } from './support/app.js';
import { createDesign, requestQuotes } from './support/quoting.js';
import { signUp, signUpManufacturer, type TestUser } from './support/users.js';

let t: TestApp;
let db: pg.Client;
const requestIds: string[] = [];
beforeAll(async () => {
  // The background sweeper is parked: this test sweeps when it wants to.
  t = await startTestApp({ EXPIRY_SWEEP_MS: '3600000' });
  db = new pg.Client({ connectionString: t.db.url });
  await db.connect();

  const designer = await signUp(t.gql, 'DESIGNER');
  const ring = await createDesign(t.gql, designer, 'Sweep Ring', 'RING');
  const consumer = await signUp(t.gql, 'CONSUMER');
  const makers: TestUser[] = [];
  for (let i = 0; i < 12; i++) makers.push(await signUpManufacturer(t.gql, ['RING']));
  for (let i = 0; i < 25; i++) {
    const request = await requestQuotes(t.gql, consumer, { items: [{ designId: ring.id, quantity: 1 }], manufacturerIds: makers.map((m) => m.id) });
    requestIds.push(request.id);
  }
  // 300 ACTIVE estimates, one per recipient, valid for three more days
  await db.query(
    `insert into estimates (id, request_id, manufacturer_id, version, status, amount, currency_code, line_items, lead_time_days, valid_until)
     select gen_random_uuid(), request_id, manufacturer_id, 1, 'ACTIVE', 100, 'USD', '[]', 7, now() + interval '3 days' from quote_recipients`,
  );
  // Due: three estimates past their validity (requests 1-3), and request 0 past its expiry with its 12
  await db.query(
    `update estimates set valid_until = now() - interval '1 second'
     where id in (select distinct on (request_id) id from estimates where request_id = any($1::uuid[]) order by request_id, id)`,
    [requestIds.slice(1, 4)],
  );
  await db.query(`update quote_requests set expires_at = now() - interval '1 second' where id = $1`, [requestIds[0]]);
  await db.query('analyze estimates; analyze quote_requests');
});
afterAll(async () => {
  await db?.end();
  await t?.stop();
});

describe('expiry sweep', () => {
  it('reads only the due estimates and those of the request it expires, not all 300 ACTIVE ones', async () => {
    await db.query('begin');
    try {
      // At 300 rows a sequential scan of a few pages is the planner's right choice; with thousands it is not.
      // Without it, what the statement can reach by its indexes is what it reads.
      await db.query('set local enable_seqscan = off');
      const sql = EXPIRE_ESTIMATES_SQL.replace('?', '$1');
      const { rows } = await db.query<{ 'QUERY PLAN': Array<{ Plan: PlanNode }> }>(`explain (analyze, format json) ${sql}`, [arrayLiteral([requestIds[0]])]);
      const scanned = estimatesRowsRead(rows[0]['QUERY PLAN'][0].Plan);
      expect(scanned.updated).toBe(15);
      expect(scanned.read).toBeLessThanOrEqual(15);
    } finally {
      await db.query('rollback');
    }
  });

  it('expires the request, its 12 estimates and the 3 past their validity, and nothing else', async () => {
    const swept = await t.app.services.quoting.expireDue(t.app.orm.em.fork());
    expect(swept).toEqual({ requests: 1, estimates: 15 });
    const { rows } = await db.query<{ status: string; count: string }>(`select status, count(*) from estimates group by status order by status`);
    expect(rows).toEqual([
      { status: 'ACTIVE', count: '285' },
      { status: 'EXPIRED', count: '15' },
    ]);
    const expiredOfRequest = await db.query(`select count(*)::int as n from estimates where request_id = $1 and status = 'EXPIRED'`, [requestIds[0]]);
    expect(expiredOfRequest.rows[0].n).toBe(12);
    const again = await t.app.services.quoting.expireDue(t.app.orm.em.fork());
    expect(again).toEqual({ requests: 0, estimates: 0 });
  });
});

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Actual Rows'?: number;
  'Actual Loops'?: number;
  'Rows Removed by Filter'?: number;
  'Rows Removed by Index Recheck'?: number;
  Plans?: PlanNode[];
}

/** Rows the plan's scans of `estimates` produced or threw away (what it read), and rows it updated. */
function estimatesRowsRead(root: PlanNode): { read: number; updated: number } {
  let read = 0;
  const visit = (node: PlanNode) => {
    if (node['Relation Name'] === 'estimates' && node['Node Type'] !== 'ModifyTable') {
      const loops = node['Actual Loops'] ?? 1;
      read += ((node['Actual Rows'] ?? 0) + (node['Rows Removed by Filter'] ?? 0) + (node['Rows Removed by Index Recheck'] ?? 0)) * loops;
    }
    for (const child of node.Plans ?? []) visit(child);
  };
  visit(root);
  const updated = root['Node Type'] === 'ModifyTable' ? (root.Plans?.[0]?.['Actual Rows'] ?? 0) : 0;
  return { read, updated };
}
