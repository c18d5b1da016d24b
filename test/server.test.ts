import { execFile } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DesignsDocument } from './generated/graphql.js';
import { TEST_JWT_SECRET, startTestApp, type TestApp } from './support/app.js';
import { ROOT } from './support/process.js';
import { signUp } from './support/users.js';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(() => t?.stop());

const endpoint = (path: string) => new URL(path, t.origin);

interface ErrorBody {
  data?: unknown;
  errors: Array<{ message: string; extensions?: Record<string, unknown> }>;
}
interface ReadyBody {
  status: string;
  checks: Record<string, string>;
}

describe('health and readiness', () => {
  it('GET /healthz answers 200 {status: "ok"}', async () => {
    const res = await fetch(endpoint('/healthz'));
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok' });
  });

  it('GET /readyz answers 200 with the database check ok', async () => {
    const res = await fetch(endpoint('/readyz'));
    expect(res.status).toBe(200);
    const body = (await res.json()) as ReadyBody;
    expect(body.status).toBe('ready');
    expect(body.checks.database).toBe('ok');
  });
});

describe('unexpected failures', () => {
  it('are masked: no SQL, stack or internal message reaches the client', async () => {
    // given: a server whose database disappears under it
    const broken = await startTestApp();
    try {
      await broken.db.drop();

      // when: a client lists designs
      const res = await fetch(broken.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: '{ designs(first: 5) { totalCount edges { node { id } } } }' }),
      });

      // then: a generic error with a code, nothing more
      expect(await res.json()).toEqual({
        errors: [{ message: 'Internal server error', path: ['designs'], locations: [{ line: 1, column: 3 }], extensions: { code: 'INTERNAL_SERVER_ERROR' } }],
        data: null,
      });

      // and the readiness probe reports the database as down
      const ready = await fetch(new URL('/readyz', broken.origin));
      expect(ready.status).toBe(503);
      // The public endpoint says what is wrong, not the database's own message.
      expect(((await ready.json()) as ReadyBody).checks.database).toBe('unreachable');
    } finally {
      await broken.stop();
    }
  });
});

describe('HTTP protections', () => {
  it('refuses a text/plain POST of a mutation as a possible CSRF (400), without running it', async () => {
    const designer = await signUp(t.gql, 'DESIGNER');
    const mutation = 'mutation { createDesign(input: { title: "Forged", category: RING }) { design { id } errors { code } } }';

    const res = await fetch(t.url, {
      method: 'POST',
      headers: { 'content-type': 'text/plain', authorization: `Bearer ${designer.token}` },
      body: JSON.stringify({ query: mutation }),
    });

    expect(res.status).toBe(400);
    const body = (await res.json()) as ErrorBody;
    expect(body.errors[0].message).toMatch(/Cross-Site Request Forgery/);
    expect(body.data).toBeUndefined();
    const designs = await t.gql(DesignsDocument, { first: 1, filter: { designerId: designer.id } }, designer.token);
    expect(designs.data!.designs.totalCount).toBe(0);
  });

  it('refuses a request body over 6 MB with 413', async () => {
    const body = JSON.stringify({ query: '{ __typename }', variables: { padding: 'x'.repeat(6.5 * 1024 * 1024) } });

    const res = await fetch(t.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });

    expect(res.status).toBe(413);
    expect(((await res.json()) as ErrorBody).errors[0].message).toMatch(/larger than 6mb/);
  });

  it('still answers a normal request after refusing those', async () => {
    const res = await t.gql('{ __typename }');
    expect(res.status).toBe(200);
    expect(res.data).toEqual({ __typename: 'Query' });
  });
});

describe('text PostgreSQL cannot store', () => {
  it('refuses a NUL character in variables or in the query with BAD_USER_INPUT, not an internal error', async () => {
    const designer = await signUp(t.gql, 'DESIGNER');
    const inVariables = await t.gql(
      'mutation($input: CreateDesignInput!) { createDesign(input: $input) { design { id } errors { code } } }',
      { input: { title: 'A\u0000B', category: 'RING' } },
      designer.token,
    );
    expect(inVariables.status).toBe(400);
    expect(inVariables.errors?.[0]).toMatchObject({ message: 'Text cannot contain the NUL character (U+0000).', extensions: { code: 'BAD_USER_INPUT' } });
    const inQuery = await t.gql('{ designs(filter: { material: "a\\u0000" }) { totalCount } }');
    expect(inQuery.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    const count = await t.gql(DesignsDocument, { filter: { designerId: designer.id } });
    expect(count.data!.designs.totalCount).toBe(0);
  });

  it('refuses a forged cursor with an out-of-range date as BAD_USER_INPUT', async () => {
    const forged = Buffer.from(JSON.stringify(['-271821-04-20T00:00:00.000Z', '00000000-0000-4000-8000-000000000000'])).toString('base64url');
    const res = await t.gql(DesignsDocument, { after: forged });
    expect(res.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
  });
});

describe('start-up failures', () => {
  it('says once, without a stack, that the port is taken and how to choose another', async () => {
    const result = await new Promise<{ code: number | null; output: string }>((resolve) => {
      execFile(
        process.execPath,
        ['dist/main.js'],
        { cwd: ROOT, env: { PATH: process.env.PATH, NODE_ENV: 'test', HOST: '127.0.0.1', PORT: new URL(t.origin).port, DATABASE_URL: t.db.url, JWT_SECRET: TEST_JWT_SECRET, LOG_LEVEL: 'warn' } },
        (error, stdout, stderr) => resolve({ code: error ? ((error as { code?: number }).code ?? null) : 0, output: stdout + stderr }),
      );
    });
    expect(result.code).toBe(1);
    expect(result.output).toMatch(/^Failed to start: port \d+ on 127\.0\.0\.1 is already in use \(another server running\?\); set PORT to use another$/m);
    expect(result.output).not.toContain('Internal error emitted');
    expect(result.output).not.toMatch(/\n\s+at /); // no stack
  }, 30_000);
});
