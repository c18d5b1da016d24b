// No event lost, none duplicated: resume after a disconnect, Redis connections killed and Redis
// restarted under three server processes, clean teardown of sockets, and outbox retention.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import WebSocket from 'ws';
import { EstimateFeedDocument, QuoteRequestFeedDocument } from './generated/graphql.js';
import { httpClient, startTestApp, type TestApp } from './support/app.js';
import { createTestDatabase } from './support/database.js';
import { startServerProcess, type ServerProcess } from './support/process.js';
import { createDesign, requestQuotes, submitEstimate } from './support/quoting.js';
import { PrivateRedis } from './support/redis.js';
import { signUp, signUpManufacturer } from './support/users.js';
import { subscribe, wsUrl } from './support/ws.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('resuming a feed', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ REDIS_URL: process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379' });
  });
  afterAll(() => t?.stop());

  it('gives a consumer that was away exactly the estimates it missed, then continues live', async () => {
    const designer = await signUp(t.gql, 'DESIGNER');
    const design = await createDesign(t.gql, designer, 'Resume Ring', 'RING');
    const [m1, m2, m3] = await Promise.all([1, 2, 3].map(() => signUpManufacturer(t.gql, ['RING'])));
    const consumer = await signUp(t.gql, 'CONSUMER');
    const request = await requestQuotes(t.gql, consumer, { items: [{ designId: design.id, quantity: 1 }], manufacturerIds: [m1.id, m2.id, m3.id] });

    // Connected: the first estimate arrives.
    const first = await subscribe(t.url, consumer.token, EstimateFeedDocument, { requestId: request.id });
    await submitEstimate(t.gql, m1, request.id, '300.00');
    const [seen] = await first.waitFor(1);
    const cursor = seen.estimateFeed.cursor;
    await first.close();

    // Away: two estimates arrive.
    await submitEstimate(t.gql, m2, request.id, '280.00');
    await submitEstimate(t.gql, m1, request.id, '260.00');

    // Back with the last cursor: exactly those two, in order, then the next one live.
    const resumed = await subscribe(t.url, consumer.token, EstimateFeedDocument, { requestId: request.id, after: cursor });
    const replayed = await resumed.waitFor(2);
    expect(replayed.map((e) => [e.estimateFeed.type, e.estimateFeed.estimate.price.amount])).toEqual([
      ['SUBMITTED', '280.00'],
      ['REVISED', '260.00'],
    ]);
    await submitEstimate(t.gql, m3, request.id, '310.00');
    await resumed.waitFor(3);
    await resumed.settle(500);
    expect(resumed.events.map((e) => e.estimateFeed.estimate.price.amount)).toEqual(['280.00', '260.00', '310.00']);
    const cursors = resumed.events.map((e) => BigInt(e.estimateFeed.cursor));
    expect(cursors.every((c, i) => c > BigInt(cursor) && (i === 0 || c > cursors[i - 1]))).toBe(true);
    await resumed.close();
  });

  it('refuses a cursor that is not one', async () => {
    const maker = await signUpManufacturer(t.gql, ['RING']);
    const feed = await subscribe(t.url, maker.token, QuoteRequestFeedDocument, { after: 'yesterday' });
    await feed.settle(300);
    expect(feed.errors).toEqual([expect.objectContaining({ extensions: { code: 'BAD_USER_INPUT' } })]);
    await feed.close();
  });
});

describe('the transactional outbox', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ OUTBOX_POLL_MS: '200' });
  });
  afterAll(() => t?.stop());

  it('publishes an event committed by a process that died before publishing it', async () => {
    const designer = await signUp(t.gql, 'DESIGNER');
    const design = await createDesign(t.gql, designer, 'Crash Ring', 'RING');
    const maker = await signUpManufacturer(t.gql, ['RING']);
    const feed = await subscribe(t.url, maker.token, QuoteRequestFeedDocument);
    const consumer = await signUp(t.gql, 'CONSUMER');
    const request = await requestQuotes(t.gql, consumer, { items: [{ designId: design.id, quantity: 1 }], manufacturerIds: [maker.id] });
    await feed.waitFor(1);

    // What another process committed just before it crashed: the change and its event row, never published.
    const db = new pg.Client({ connectionString: t.db.url });
    await db.connect();
    await db.query('begin');
    await db.query("update quote_requests set status = 'CANCELLED', closed_at = now() where id = $1", [request.id]);
    await db.query("insert into event_outbox (feed, type, audience, quote_request_id) values ('QUOTE_REQUEST', 'CANCELLED', $1, $2)", [[maker.id], request.id]);
    await db.query('commit');
    await db.end();

    const events = await feed.waitFor(2, 5000);
    expect(events.map((e) => [e.quoteRequestFeed.type, e.quoteRequestFeed.quoteRequest.status])).toEqual([
      ['REQUESTED', 'OPEN'],
      ['CANCELLED', 'CANCELLED'],
    ]);
    await feed.close();
  });
});

describe('retention', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ OUTBOX_RETENTION_SECONDS: '1', EXPIRY_SWEEP_MS: '200' });
  });
  afterAll(() => t?.stop());

  it('prunes old events and tells a client resuming from before them to re-query', async () => {
    const designer = await signUp(t.gql, 'DESIGNER');
    const design = await createDesign(t.gql, designer, 'Old News', 'RING');
    const maker = await signUpManufacturer(t.gql, ['RING']);
    const live = await subscribe(t.url, maker.token, QuoteRequestFeedDocument);
    const consumer = await signUp(t.gql, 'CONSUMER');
    await requestQuotes(t.gql, consumer, { items: [{ designId: design.id, quantity: 1 }], manufacturerIds: [maker.id] });
    const [event] = await live.waitFor(1);
    await live.close();

    await sleep(2500);
    const stale = await subscribe(t.url, maker.token, QuoteRequestFeedDocument, { after: '0' });
    await stale.settle(300);
    expect(stale.errors).toEqual([
      expect.objectContaining({
        message: 'This cursor is older than the events kept; re-query the current state, then subscribe without `after`.',
        extensions: { code: 'CURSOR_EXPIRED' },
      }),
    ]);
    // From the newest cursor there is nothing to replay, and that is fine.
    const fresh = await subscribe(t.url, maker.token, QuoteRequestFeedDocument, { after: event.quoteRequestFeed.cursor });
    await fresh.settle(300);
    expect(fresh.errors).toEqual([]);
    await Promise.all([stale.close(), fresh.close()]);
  });
});

describe('teardown', () => {
  let t: TestApp;
  const redisUrl = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
  beforeAll(async () => {
    t = await startTestApp({ REDIS_URL: redisUrl });
  });
  afterAll(() => t?.stop());

  /** One raw graphql-transport-ws session, ended in one of the ways a real client ends. */
  async function cycle(token: string, ending: 'close' | 'handshake' | 'reset' | 'complete'): Promise<void> {
    const socket = new WebSocket(wsUrl(t.url), 'graphql-transport-ws');
    await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
    const closed = new Promise((resolve) => socket.once('close', resolve));
    socket.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${token}` } }));
    if (ending === 'handshake') {
      socket.close();
      await closed;
      return;
    }
    await new Promise((resolve) => socket.once('message', resolve));
    socket.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { query: 'subscription { quoteRequestFeed { type } }' } }));
    await sleep(2);
    if (ending === 'complete') socket.send(JSON.stringify({ id: '1', type: 'complete' }));
    if (ending === 'reset') socket.terminate();
    else socket.close();
    await closed;
  }

  it('releases every subscription, socket and Redis subscription after 1,000 subscribe/close cycles', async () => {
    const maker = await signUpManufacturer(t.gql, ['RING']);
    const endings = ['close', 'handshake', 'reset', 'complete'] as const;
    const redis = t.app.bus as unknown as { client: { sendCommand(args: string[]): Promise<unknown> }; channel: string };
    const numsub = async () => ((await redis.client.sendCommand(['PUBSUB', 'NUMSUB', redis.channel])) as [string, number])[1];
    const baseline = { subs: t.app.services.hub.size, sockets: t.app.server.socketCount(), numsub: await numsub() };
    expect(baseline).toEqual({ subs: 0, sockets: 0, numsub: 1 });

    for (let i = 0; i < 100; i++) await cycle(maker.token, endings[i % 4]);
    await sleep(200);
    global.gc?.();
    const heapBefore = process.memoryUsage().heapUsed;
    for (let i = 0; i < 1000; i++) await cycle(maker.token, endings[i % 4]);
    await sleep(300);
    global.gc?.();
    const heapAfter = process.memoryUsage().heapUsed;

    expect({ subs: t.app.services.hub.size, sockets: t.app.server.socketCount(), numsub: await numsub() }).toEqual(baseline);
    // Flat: a leak of even 4 KiB per cycle would show as 4 MB here.
    expect(heapAfter - heapBefore).toBeLessThan(4 * 1024 * 1024);
  }, 120_000);
});

describe('Redis outages with three server processes', () => {
  let redis: PrivateRedis;
  let servers: ServerProcess[] = [];
  let dropDb: () => Promise<void>;

  beforeAll(async () => {
    redis = await PrivateRedis.start();
    const db = await createTestDatabase();
    dropDb = db.drop;
    const env = { DATABASE_URL: db.url, REDIS_URL: redis.url, FEED_CATCH_UP_MS: '1000', OUTBOX_POLL_MS: '200' };
    servers = await Promise.all([1, 2, 3].map(() => startServerProcess(env)));
  });

  afterAll(async () => {
    await Promise.all(servers.map((s) => s.stop()));
    await redis?.kill();
    await dropDb?.();
  });

  it('delivers every event to every manufacturer exactly once, in order, across a pubsub kill and a restart', async () => {
    const gqls = servers.map((s) => httpClient(s.url));
    const designer = await signUp(gqls[0], 'DESIGNER');
    const design = await createDesign(gqls[0], designer, 'Outage Ring', 'RING');
    const makers = await Promise.all([0, 1, 2].map((i) => signUpManufacturer(gqls[i], ['RING'])));
    const feeds = await Promise.all(makers.map((m, i) => subscribe(servers[i].url, m.token, QuoteRequestFeedDocument)));
    const consumer = await signUp(gqls[1], 'CONSUMER');

    const made: string[] = [];
    for (let i = 0; i < 12; i++) {
      if (i === 4) await redis.command(['CLIENT', 'KILL', 'TYPE', 'pubsub']);
      if (i === 8) await redis.kill();
      if (i === 10) await redis.up();
      const request = await requestQuotes(gqls[i % 3], consumer, {
        items: [{ designId: design.id, quantity: i + 1 }],
        manufacturerIds: makers.map((m) => m.id),
      });
      made.push(request.id);
      await sleep(150);
    }

    for (const feed of feeds) {
      await feed.waitFor(12, 30_000);
      await feed.settle(1500);
      expect(feed.events.map((e) => e.quoteRequestFeed.quoteRequest.id)).toEqual(made);
      expect(feed.events.every((e) => e.quoteRequestFeed.type === 'REQUESTED')).toBe(true);
    }
    await Promise.all(feeds.map((f) => f.close()));
  }, 90_000);

  it('reports the degraded state on /readyz while Redis is down, and recovers', async () => {
    const readyz = async (s: ServerProcess) => (await fetch(s.url.replace('/graphql', '/readyz'))).status;
    await redis.kill();
    await sleep(300);
    expect(await readyz(servers[0])).toBe(503);
    await redis.up();
    for (let i = 0; i < 50 && (await readyz(servers[0])) !== 200; i++) await sleep(200);
    expect(await readyz(servers[0])).toBe(200);
  }, 30_000);
});
