// An event's loaded rows are shared by the subscribers that handle it together, not by one that comes to it
// much later: a client that reads slowly gets the rows as they are when it is served, and does not keep
// every event's loaded rows alive while it lags (found by this session's attack).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EVENT_SHARE_MS, type QuoteRequestFeedItem } from '../src/modules/quoting/feed.service.js';
import { Role } from '../src/modules/accounts/role.js';
import { createContext } from '../src/server/context.js';
import { startTestApp, type TestApp } from './support/app.js';
import { createDesign, requestQuotes } from './support/quoting.js';
import { signUp, signUpManufacturer, type TestUser } from './support/users.js';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(() => t?.stop());

/** A feed pulled by the test itself, one event at a time, as graphql-ws pulls it for a client. */
async function openFeed(maker: TestUser): Promise<AsyncIterator<QuoteRequestFeedItem>> {
  const { orm, services } = t.app;
  const ctx = createContext(orm.em, { id: maker.id, role: Role.MANUFACTURER, exp: Math.floor(Date.now() / 1000) + 3600 }, '127.0.0.1', services.feeds);
  return services.feeds.quoteRequestFeed(ctx, null);
}

describe('feed events served late', () => {
  it('are loaded afresh for a subscriber that comes to them after the others', async () => {
    const designer = await signUp(t.gql, 'DESIGNER');
    const ring = await createDesign(t.gql, designer, 'Late Halo Ring', 'RING');
    const prompt = await signUpManufacturer(t.gql, ['RING'], 'Prompt Works');
    const lagging = await signUpManufacturer(t.gql, ['RING'], 'Lagging Works');
    const consumer = await signUp(t.gql, 'CONSUMER');
    const promptFeed = await openFeed(prompt);
    const laggingFeed = await openFeed(lagging);

    // Given a request to both, whose REQUESTED event one subscriber has already been served (status OPEN)
    const request = await requestQuotes(t.gql, consumer, { items: [{ designId: ring.id, quantity: 1 }], manufacturerIds: [prompt.id, lagging.id] });
    const first = await promptFeed.next();
    expect(first.value).toMatchObject({ type: 'REQUESTED', quoteRequest: { id: request.id, status: 'OPEN' } });

    // When the request is cancelled, and the other subscriber comes to the REQUESTED event only afterwards
    const cancel = await t.gql<{ cancelQuoteRequest: { errors: unknown[] } }>(
      'mutation ($id: ID!) { cancelQuoteRequest(id: $id) { errors { code } } }',
      { id: request.id },
      consumer.token,
    );
    expect(cancel.data?.cancelQuoteRequest.errors).toEqual([]);
    await new Promise((r) => setTimeout(r, EVENT_SHARE_MS + 200));
    const late = await laggingFeed.next();

    // Then it is shown the request as it is now, not the rows loaded for the first subscriber
    expect(late.value).toMatchObject({ type: 'REQUESTED', quoteRequest: { id: request.id, status: 'CANCELLED' } });
    expect((await laggingFeed.next()).value).toMatchObject({ type: 'CANCELLED', quoteRequest: { status: 'CANCELLED' } });
    await promptFeed.return?.();
    await laggingFeed.return?.();
  });
});
