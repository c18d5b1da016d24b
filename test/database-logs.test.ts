// The database pool's own warnings (a pooled connection dropped by the server: "Connection Error: …") go
// through the app's logger at its level, not straight to the console past LOG_LEVEL.
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startTestApp, type TestApp } from './support/app.js';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(() => t?.stop());

describe('database connection warnings', () => {
  it('are logged by the app, not printed to the console, when PostgreSQL drops pooled connections', async () => {
    // Given pooled connections that have served requests
    await Promise.all(Array.from({ length: 4 }, () => t.gql('{ designs(first: 1) { totalCount } }')));
    const printed = (['log', 'warn', 'error'] as const).map((level) => vi.spyOn(console, level).mockImplementation(() => {}));
    const admin = new pg.Client({ connectionString: t.db.url });
    await admin.connect();
    try {
      // When PostgreSQL terminates them (a restart, a failover, an administrator)
      const { rows } = await admin.query<{ n: number }>(
        `select count(pg_terminate_backend(pid))::int as n from pg_stat_activity
         where datname = current_database() and pid <> pg_backend_pid() and application_name <> 'outbox-relay'`,
      );
      expect(rows[0].n).toBeGreaterThan(0);
      await new Promise((r) => setTimeout(r, 300));
      // Then the API still answers (the pool replaces them), and nothing was printed past the logger
      const res = await t.gql<{ designs: { totalCount: number } }>('{ designs(first: 1) { totalCount } }');
      expect(res.data?.designs.totalCount).toBe(0);
      expect(printed.flatMap((spy) => spy.mock.calls.map((c) => String(c[0])))).toEqual([]);
    } finally {
      for (const spy of printed) spy.mockRestore();
      await admin.end();
    }
  });
});
