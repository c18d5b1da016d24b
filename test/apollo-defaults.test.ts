// Apollo Server's protective settings, as a client sees them: CSRF prevention and no batching everywhere;
// in production no introspection, masked internal errors and no "Did you mean" hints, on HTTP and WebSocket.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FormattedExecutionResult, GraphQLFormattedError } from 'graphql';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { DesignsDocument } from './generated/graphql.js';
import { startTestApp, type TestApp } from './support/app.js';
import { signUp, type TestUser } from './support/users.js';
import { wsUrl } from './support/ws.js';

/** Runs one operation over graphql-ws: its first result, or the errors it was refused with. */
async function overWebSocket(app: TestApp, query: string, variables?: Record<string, unknown>) {
  const client = createClient({ url: wsUrl(app.url), webSocketImpl: WebSocket, retryAttempts: 0 });
  try {
    return await new Promise<{ refused?: readonly GraphQLFormattedError[]; result?: FormattedExecutionResult<Record<string, unknown>, unknown> }>(
      (resolve, reject) => {
        client.subscribe(
          { query, variables },
          {
            next: (result) => resolve({ result }),
            error: (error) => (Array.isArray(error) ? resolve({ refused: error }) : reject(new Error(`socket closed: ${(error as { code?: number }).code}`))),
            complete: () => {},
          },
        );
      },
    );
  } finally {
    await client.dispose();
  }
}

const INTROSPECTION = '{ __schema { types { name } } }';
const MISSPELLED_FIELD = '{ designs { totlCount } }';
const MISSPELLED_ENUM = ['query($category: DesignCategory) { designs(filter: { category: $category }) { totalCount } }', { category: 'RINGG' }] as const;

describe('everywhere', () => {
  let t: TestApp;
  let designer: TestUser;
  beforeAll(async () => {
    t = await startTestApp({ NODE_ENV: 'development' });
    designer = await signUp(t.gql, 'DESIGNER');
  });
  afterAll(() => t?.stop());

  const designCount = async () => (await t.gql(DesignsDocument, { first: 1, filter: { designerId: designer.id } }, designer.token)).data!.designs.totalCount;
  const forged = JSON.stringify({ query: 'mutation { createDesign(input: { title: "Forged", category: RING }) { design { id } } }' });

  it('CSRF prevention: refuses a mutation a browser could send from any site (text/plain, form encodings) with 400, without running it', async () => {
    for (const contentType of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x']) {
      const res = await fetch(t.url, { method: 'POST', headers: { 'content-type': contentType, authorization: `Bearer ${designer.token}` }, body: forged });

      expect(res.status, contentType).toBe(400);
      const body = (await res.json()) as { errors: Array<{ message: string }>; data?: unknown };
      expect(body.errors[0].message).toMatch(/potential Cross-Site Request Forgery \(CSRF\)/);
      expect(body).not.toHaveProperty('data');
    }
    expect(await designCount()).toBe(0);
  });

  it('CSRF prevention: a GET query needs a content-type or a preflight header, which browsers cannot add cross-site without asking', async () => {
    const url = `${t.url}?query=${encodeURIComponent('{ __typename }')}`;

    expect((await fetch(url)).status).toBe(400);
    const withPreflightHeader = await fetch(url, { headers: { 'apollo-require-preflight': 'true' } });
    expect(withPreflightHeader.status).toBe(200);
    expect(await withPreflightHeader.json()).toEqual({ data: { __typename: 'Query' } });
  });

  it('batching is off: a JSON array of operations is refused with 400 and none of them runs', async () => {
    const operation = { query: 'mutation { createDesign(input: { title: "Batched", category: RING }) { design { id } } }' };

    const res = await fetch(t.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${designer.token}` },
      body: JSON.stringify([operation, operation]),
    });

    expect(res.status).toBe(400);
    expect(await res.text()).toMatch(/batching/i);
    expect(await designCount()).toBe(0);
  });

  it('outside production, introspection works and errors suggest the field or value meant', async () => {
    const introspection = await t.gql(INTROSPECTION);
    expect(introspection.errors).toBeUndefined();

    const field = await t.gql(MISSPELLED_FIELD);
    expect(field.errors?.[0].message).toBe('Cannot query field "totlCount" on type "DesignConnection". Did you mean "totalCount"?');
    const value = await t.gql(...MISSPELLED_ENUM);
    expect(value.errors?.[0].message).toMatch(/Did you mean the enum value "RING"\?/);
    const overWs = await overWebSocket(t, MISSPELLED_FIELD);
    expect(overWs.refused?.[0].message).toMatch(/Did you mean "totalCount"\?/);
  });
});

describe('in production', () => {
  let prod: TestApp;
  beforeAll(async () => {
    prod = await startTestApp({ NODE_ENV: 'production' });
  });
  afterAll(() => prod?.stop());

  it('refuses introspection over HTTP', async () => {
    for (const query of [INTROSPECTION, '{ __type(name: "Design") { fields { name } } }']) {
      const res = await prod.gql(query);

      expect(res.status).toBe(400);
      expect(res.data).toBeUndefined();
      expect(res.errors?.[0]).toMatchObject({ message: expect.stringMatching(/introspection is not allowed/), extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } });
    }
  });

  it('refuses introspection over WebSocket', async () => {
    const answer = await overWebSocket(prod, INTROSPECTION);

    expect(answer.result).toBeUndefined();
    expect(answer.refused?.[0]).toMatchObject({ message: expect.stringMatching(/introspection has been disabled/), extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } });
  });

  it('still answers __typename, which client caches ask for', async () => {
    expect((await prod.gql('{ __typename designs(first: 1) { __typename } }')).data).toEqual({ __typename: 'Query', designs: { __typename: 'DesignConnection' } });
  });

  it('gives no "Did you mean" hints, on HTTP or WebSocket, for fields or for enum values', async () => {
    const field = await prod.gql(MISSPELLED_FIELD);
    expect(field.errors?.[0]).toMatchObject({ message: 'Cannot query field "totlCount" on type "DesignConnection".', extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } });

    const value = await prod.gql(...MISSPELLED_ENUM);
    expect(value.errors?.[0]).toMatchObject({
      message: 'Variable "$category" got invalid value "RINGG"; Value "RINGG" does not exist in "DesignCategory" enum.',
      extensions: { code: 'BAD_USER_INPUT' },
    });

    const fieldOverWs = await overWebSocket(prod, `subscription { quoteRequestFeed { typ } }`);
    expect(fieldOverWs.refused?.[0].message).toBe('Cannot query field "typ" on type "QuoteRequestFeedEvent".');
  });

  it('masks internal errors: no stack, no SQL, no internal message, on HTTP or WebSocket', async () => {
    // given: a production server whose database disappears under it
    const broken = await startTestApp({ NODE_ENV: 'production' });
    try {
      await broken.db.drop();
      const query = '{ designs(first: 5) { totalCount edges { node { id title } } } }';

      // when: a client lists designs, over HTTP and over WebSocket
      const res = await fetch(broken.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query }) });
      const text = await res.text();
      const overWs = await overWebSocket(broken, query);

      // then: a generic error with a code, nothing more
      const masked = { message: 'Internal server error', path: ['designs'], locations: [{ line: 1, column: 3 }], extensions: { code: 'INTERNAL_SERVER_ERROR' } };
      expect(JSON.parse(text)).toEqual({ errors: [masked], data: null });
      expect(overWs.result).toEqual({ errors: [masked], data: null });
      for (const leak of [/stack/i, /select/i, /database/i, /mkt_test_/, /postgres/i, /\.ts:\d+/]) {
        expect(text).not.toMatch(leak);
        expect(JSON.stringify(overWs)).not.toMatch(leak);
      }
    } finally {
      await broken.stop();
    }
  });
});

describe('in production with INTROSPECTION=true', () => {
  let prod: TestApp;
  beforeAll(async () => {
    prod = await startTestApp({ NODE_ENV: 'production', INTROSPECTION: 'true' });
  });
  afterAll(() => prod?.stop());

  it('answers introspection over HTTP and WebSocket', async () => {
    const res = await prod.gql<{ __schema: { types: Array<{ name: string }> } }>(INTROSPECTION);
    expect(res.errors).toBeUndefined();
    expect(res.data!.__schema.types.map((type) => type.name)).toContain('Design');

    const overWs = await overWebSocket(prod, INTROSPECTION);
    expect(overWs.result?.errors).toBeUndefined();
    expect(JSON.stringify(overWs.result?.data)).toContain('"Design"');
  });
});
