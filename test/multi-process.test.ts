// Two server processes on one Redis and one database: events reach subscribers on either, exactly once.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EstimateFeedDocument, QuoteRequestFeedDocument } from './generated/graphql.js';
import { httpClient } from './support/app.js';
import { createTestDatabase, type TestDatabase } from './support/database.js';
import { startServerProcess, type ServerProcess } from './support/process.js';
import { createDesign, requestQuotes, submitEstimate } from './support/quoting.js';
import { signUp, signUpManufacturer } from './support/users.js';
import { subscribe } from './support/ws.js';

const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

let db: TestDatabase;
let one: ServerProcess;
let two: ServerProcess;

beforeAll(async () => {
  db = await createTestDatabase();
  // Started together: migrations run once (the other process waits for the lock and finds nothing to do).
  // No polling and no periodic catch-up: one process relays the outbox, and what the other commits reaches
  // it only through the NOTIFY its commits send.
  const env = { DATABASE_URL: db.url, REDIS_URL, OUTBOX_POLL_MS: '600000', FEED_CATCH_UP_MS: '600000' };
  [one, two] = await Promise.all([startServerProcess(env), startServerProcess(env)]);
});

afterAll(async () => {
  await Promise.all([one?.stop(), two?.stop()]);
  await db?.drop();
});

describe('two server processes sharing Redis', () => {
  it('delivers a request made on one to a manufacturer on the other once, and an estimate back the other way', async () => {
    const gqlOne = httpClient(one.url);
    const gqlTwo = httpClient(two.url);
    const designer = await signUp(gqlOne, 'DESIGNER');
    const design = await createDesign(gqlOne, designer, 'Cross-process Ring', 'RING');
    const maker = await signUpManufacturer(gqlOne, ['RING']);
    const bystander = await signUpManufacturer(gqlTwo, ['RING']);
    const consumer = await signUp(gqlTwo, 'CONSUMER');

    // The manufacturer listens on process one; the request is made through process two.
    const makerFeed = await subscribe(one.url, maker.token, QuoteRequestFeedDocument);
    const bystanderFeed = await subscribe(two.url, bystander.token, QuoteRequestFeedDocument);
    const request = await requestQuotes(gqlTwo, consumer, { items: [{ designId: design.id, quantity: 3 }], manufacturerIds: [maker.id] });

    const [event] = await makerFeed.waitFor(1);
    expect(event.quoteRequestFeed).toMatchObject({ type: 'REQUESTED', quoteRequest: { id: request.id, items: [{ quantity: 3 }] } });

    // The consumer listens on process two; the estimate is submitted through process one.
    const consumerFeed = await subscribe(two.url, consumer.token, EstimateFeedDocument, { requestId: request.id });
    const estimate = await submitEstimate(gqlOne, maker, request.id, '1234.56');
    const [estimateEvent] = await consumerFeed.waitFor(1);
    expect(estimateEvent.estimateFeed).toMatchObject({ type: 'SUBMITTED', estimate: { id: estimate.id, price: { amount: '1234.56', currencyCode: 'USD' } } });

    // Exactly once: nothing more arrives, and the manufacturer that was not asked got nothing.
    await makerFeed.settle(800);
    expect(makerFeed.events).toHaveLength(1);
    expect(consumerFeed.events).toHaveLength(1);
    expect(bystanderFeed.events).toEqual([]);
    await Promise.all([makerFeed.close(), bystanderFeed.close(), consumerFeed.close()]);
  });
});
