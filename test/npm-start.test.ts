// `npm start` as a process supervisor runs it: a SIGTERM to npm (docker stop, systemd, a process manager)
// must reach the server, which then stops in order. With npm's `sh -c` in between, dash did not pass the
// signal on and the server was left running without its parent.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from './support/database.js';
import { startServerProcess } from './support/process.js';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(() => db?.drop());

describe('npm start', () => {
  it('stops the server in order when npm gets SIGTERM', async () => {
    const server = await startServerProcess({ DATABASE_URL: db.url }, 'npm');
    expect((await fetch(server.url.replace('/graphql', '/healthz'))).status).toBe(200);

    const code = await Promise.race([server.stop('SIGTERM'), new Promise<string>((r) => setTimeout(() => r('still running after 20 s'), 20_000))]);
    expect(code).not.toBe('still running after 20 s');
    expect(server.output()).toContain('"msg":"stopped"');
    await expect(fetch(server.url.replace('/graphql', '/healthz'))).rejects.toThrow();
  }, 60_000);

  it('stops the server in order on Ctrl-C, which reaches npm and the server and which npm passes on too', async () => {
    const server = await startServerProcess({ DATABASE_URL: db.url }, 'npm', { ownGroup: true });
    expect((await fetch(server.url.replace('/graphql', '/healthz'))).status).toBe(200);

    const code = await Promise.race([
      server.stop('SIGINT', { group: true }),
      new Promise<string>((r) => setTimeout(() => r('still running after 20 s'), 20_000)),
    ]);
    expect(code).not.toBe('still running after 20 s');
    expect(server.output()).toContain('"msg":"shutting down: finishing in-flight requests"');
    expect(server.output()).not.toContain('second signal');
    expect(server.output()).toContain('"msg":"stopped"');
  }, 60_000);
});
