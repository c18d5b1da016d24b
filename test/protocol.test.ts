// The two wire protocols as their specifications and clients expect them: GraphQL over HTTP (the
// graphql-http audit suite) and graphql-transport-ws (close codes for every misbehaving client).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TokenService } from '../src/modules/accounts/tokens.js';
import type { Role } from '../src/modules/accounts/role.js';
import { print } from 'graphql';
import { serverAudits, type AuditFail, type AuditResult } from 'graphql-http';
import WebSocket from 'ws';
import { QuoteRequestFeedDocument } from './generated/graphql.js';
import { TEST_JWT_SECRET, startTestApp, type TestApp } from './support/app.js';
import { signUp, signUpManufacturer, type TestUser } from './support/users.js';
import { wsUrl } from './support/ws.js';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(() => t?.stop());

describe('GraphQL over HTTP (graphql-http audits)', () => {
  it('passes every MUST audit', async () => {
    const results: AuditResult[] = [];
    for (const audit of serverAudits({ url: t.url })) results.push(await audit.fn());
    const failing = results.filter((r): r is AuditFail => r.status !== 'ok');
    const line = (r: AuditFail) => `${r.name}: ${r.reason}`;
    const mustFailures = failing.filter((r) => r.name.startsWith('MUST')).map(line);
    // The SHOULD/MAY audits Apollo deliberately answers otherwise (400 rather than 200 for invalid documents
    // under application/json; GET without a content-type is a possible CSRF) are listed for information.
    const others = failing.filter((r) => !r.name.startsWith('MUST')).map(line);
    expect(mustFailures, `not met (SHOULD/MAY, for information):\n  ${others.join('\n  ')}`).toEqual([]);
    expect(results.length).toBeGreaterThan(40);
  });

  it('answers a syntax error with 400 GRAPHQL_PARSE_FAILED, not a server error', async () => {
    const res = await fetch(t.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json' },
      body: JSON.stringify({ query: '{ designs { totalCount ' }),
    });

    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({
      errors: [{ message: 'Syntax Error: Expected Name, found <EOF>.', locations: [{ line: 1, column: 24 }], extensions: { code: 'GRAPHQL_PARSE_FAILED' } }],
    });
  });

  it('refuses a subscription over HTTP with 400 and says where subscriptions are served', async () => {
    const maker = await signUpManufacturer(t.gql, ['RING']);

    const res = await t.gql(QuoteRequestFeedDocument, {}, maker.token);

    expect(res.status).toBe(400);
    expect(res.data).toBeUndefined();
    expect(res.errors).toEqual([
      { message: 'Subscriptions are served over WebSocket (graphql-transport-ws) at /graphql.', extensions: { code: 'BAD_REQUEST' } },
    ]);
  });
});

/** A bare graphql-transport-ws socket: sends what a test says, records what the server sends and how it closes. */
interface RawSocket {
  send(message: unknown): void;
  /** The next message from the server (rejects if the socket closes first). */
  nextMessage(): Promise<{ type: string; id?: string; payload?: unknown }>;
  /** Resolves with the close code and reason; rejects if the server has not closed the socket within `ms`. */
  closed(ms?: number): Promise<{ code: number; reason: string }>;
  close(): void;
}

async function openSocket(url: string): Promise<RawSocket> {
  const socket = new WebSocket(wsUrl(url), 'graphql-transport-ws');
  const inbox: Array<{ type: string; id?: string; payload?: unknown }> = [];
  let waiting: (() => void) | null = null;
  socket.on('message', (data) => {
    inbox.push(JSON.parse(String(data)));
    waiting?.();
  });
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    socket.on('close', (code, reason) => {
      resolve({ code, reason: reason.toString() });
      waiting?.();
    }),
  );
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('error', reject);
  });
  return {
    send: (message) => socket.send(typeof message === 'string' ? message : JSON.stringify(message)),
    nextMessage: async () => {
      while (inbox.length === 0) {
        if (socket.readyState === WebSocket.CLOSED) throw new Error(`socket closed: ${JSON.stringify(await closed)}`);
        await new Promise<void>((resolve) => (waiting = resolve));
        waiting = null;
      }
      return inbox.shift()!;
    },
    closed: (ms = 5000) =>
      Promise.race([
        closed,
        new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`the server did not close the socket within ${ms} ms`)), ms)),
      ]),
    close: () => socket.close(),
  };
}

/** Opens a socket and completes the handshake. */
async function acknowledged(url: string, payload: Record<string, unknown> = {}): Promise<RawSocket> {
  const socket = await openSocket(url);
  socket.send({ type: 'connection_init', payload });
  expect(await socket.nextMessage()).toEqual({ type: 'connection_ack' });
  return socket;
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

/** A token issued by the server's own TokenService, with the lifetime the test chooses. */
async function tokenFor(user: TestUser, expiresInSeconds: number): Promise<string> {
  return (await new TokenService(TEST_JWT_SECRET, expiresInSeconds).issue({ id: user.id, role: user.role as Role })).token;
}

const feed = print(QuoteRequestFeedDocument);

describe('graphql-transport-ws close codes', () => {
  it('closes with 4400 on a message that is not part of the protocol', async () => {
    const socket = await openSocket(t.url);

    socket.send('hello, is this GraphQL?');

    expect(await socket.closed()).toEqual({ code: 4400, reason: 'Invalid message received' });
  });

  it('closes with 4401 on a subscribe before the connection is acknowledged', async () => {
    const socket = await openSocket(t.url);

    socket.send({ id: '1', type: 'subscribe', payload: { query: '{ __typename }' } });

    expect(await socket.closed()).toEqual({ code: 4401, reason: 'Unauthorized' });
  });

  it('closes with 4408 when connection_init does not come in time', async () => {
    const impatient = await startTestApp({ WS_INIT_TIMEOUT_MS: '300' });
    try {
      const socket = await openSocket(impatient.url);

      expect(await socket.closed()).toEqual({ code: 4408, reason: 'Connection initialisation timeout' });
    } finally {
      await impatient.stop();
    }
  });

  it('closes with 4409 when an operation id is already in use', async () => {
    const maker = await signUpManufacturer(t.gql, ['RING']);
    const socket = await acknowledged(t.url, bearer(maker.token));

    socket.send({ id: 'feed', type: 'subscribe', payload: { query: feed } });
    socket.send({ id: 'feed', type: 'subscribe', payload: { query: feed } });

    expect(await socket.closed()).toEqual({ code: 4409, reason: 'Subscriber for feed already exists' });
  });

  it('closes with 4429 on a second connection_init', async () => {
    const socket = await acknowledged(t.url);

    socket.send({ type: 'connection_init', payload: {} });

    expect(await socket.closed()).toEqual({ code: 4429, reason: 'Too many initialisation requests' });
  });

  it('closes with 4403 when connection_init carries a bad token', async () => {
    for (const authorization of ['Bearer not-a-token', 'Basic dXNlcjpwYXNz', 42]) {
      const socket = await openSocket(t.url);

      socket.send({ type: 'connection_init', payload: { authorization } });

      expect(await socket.closed()).toEqual({ code: 4403, reason: 'Forbidden' });
    }
  });

  it('closes a signed-in socket with 4403 when its token expires', async () => {
    const maker = await signUpManufacturer(t.gql, ['RING']);
    const socket = await acknowledged(t.url, bearer(await tokenFor(maker, 2)));
    socket.send({ id: 'feed', type: 'subscribe', payload: { query: feed } });

    expect(await socket.closed(6000)).toEqual({ code: 4403, reason: 'Token expired' });
  });

  it('keeps a socket whose token lives longer than a timer can wait (over 24.8 days) open', async () => {
    const consumer = await signUp(t.gql, 'CONSUMER');
    const socket = await acknowledged(t.url, bearer(await tokenFor(consumer, 30 * 24 * 3600)));
    await new Promise((r) => setTimeout(r, 300));

    socket.send({ id: 'me', type: 'subscribe', payload: { query: '{ me { id } }' } });

    expect(await socket.nextMessage()).toEqual({ id: 'me', type: 'next', payload: { data: { me: { id: consumer.id } } } });
    expect(await socket.nextMessage()).toEqual({ id: 'me', type: 'complete' });
    socket.close();
  });
});

describe('graphql-transport-ws operation errors', () => {
  it('answers a syntax or validation error with an error message and its code, and keeps the socket open', async () => {
    const socket = await acknowledged(t.url);

    socket.send({ id: 'a', type: 'subscribe', payload: { query: 'subscription { quoteRequestFeed { ' } });
    expect(await socket.nextMessage()).toEqual({
      id: 'a',
      type: 'error',
      payload: [{ message: 'Syntax Error: Expected Name, found <EOF>.', locations: [{ line: 1, column: 35 }], extensions: { code: 'GRAPHQL_PARSE_FAILED' } }],
    });

    socket.send({ id: 'b', type: 'subscribe', payload: { query: 'subscription { quoteRequestFeed { typo } }' } });
    expect(await socket.nextMessage()).toEqual({
      id: 'b',
      type: 'error',
      payload: [
        {
          message: 'Cannot query field "typo" on type "QuoteRequestFeedEvent". Did you mean "type"?',
          locations: [{ line: 1, column: 35 }],
          extensions: { code: 'GRAPHQL_VALIDATION_FAILED' },
        },
      ],
    });

    socket.send({ id: 'c', type: 'subscribe', payload: { query: '{ __typename }' } });
    expect(await socket.nextMessage()).toEqual({ id: 'c', type: 'next', payload: { data: { __typename: 'Query' } } });
    socket.close();
  });

  it('answers variables that do not fit their types with BAD_USER_INPUT, as HTTP does, and keeps the socket open', async () => {
    const maker = await signUpManufacturer(t.gql, ['RING']);
    const socket = await acknowledged(t.url, bearer(maker.token));
    const query = 'subscription S($a: String) { quoteRequestFeed(after: $a) { type } }';

    socket.send({ id: 'v', type: 'subscribe', payload: { query, variables: { a: 5 } } });
    expect(await socket.nextMessage()).toEqual({
      id: 'v',
      type: 'error',
      payload: [
        {
          message: 'Variable "$a" got invalid value 5; String cannot represent a non string value: 5',
          locations: [{ line: 1, column: 16 }],
          extensions: { code: 'BAD_USER_INPUT' },
        },
      ],
    });
    // HTTP answers the same mistake the same way
    const http = await t.gql('query Q($n: Int) { designs(first: $n) { totalCount } }', { n: 'five' });
    expect(http.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');

    socket.send({ id: 'ok', type: 'subscribe', payload: { query: '{ __typename }' } });
    expect(await socket.nextMessage()).toEqual({ id: 'ok', type: 'next', payload: { data: { __typename: 'Query' } } });
    socket.close();
  });
});
