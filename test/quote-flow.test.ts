// The main job, end to end: import -> request -> live estimates -> accept -> match, with every event
// each party receives asserted (and that nobody else receives any).
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AcceptEstimateDocument,
  EstimateFeedDocument,
  ImportDesignsDocument,
  IncomingQuoteRequestsDocument,
  MyMatchesDocument,
  QuoteRequestDocument,
  QuoteRequestFeedDocument,
  SubmitEstimateDocument,
  UpdateDesignDocument,
} from './generated/graphql.js';
import { startTestApp, type TestApp } from './support/app.js';
import { readShopifyExport } from './support/shopify-export.js';
import { inDays, requestQuotes, submitEstimate } from './support/quoting.js';
import { signUp, signUpManufacturer } from './support/users.js';
import { subscribe } from './support/ws.js';


let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(() => t?.stop());

describe('the quote flow, live', () => {
  it('goes from a Shopify import to exactly one match, and each party sees only its own events', async () => {
    // Given a designer's imported catalog, two manufacturers covering bracelets and necklaces,
    // one that only makes rings, and two consumers.
    const designer = await signUp(t.gql, 'DESIGNER', 'Company 123');
    const imported = await t.gql(ImportDesignsDocument, { input: { format: 'SHOPIFY_CSV', content: readShopifyExport() } }, designer.token);
    expect(imported.data!.importDesigns.importedCount).toBe(20);
    const byHandle = new Map(imported.data!.importDesigns.designs.map((d) => [d.sourceHandle, d]));
    const anchor = byHandle.get('leather-anchor')!;
    const gemstone = byHandle.get('gemstone')!;

    const aurum = await signUpManufacturer(t.gql, ['BRACELET', 'NECKLACE', 'RING'], 'Aurum');
    const silverline = await signUpManufacturer(t.gql, ['NECKLACE', 'BRACELET'], 'Silverline');
    const ringsOnly = await signUpManufacturer(t.gql, ['RING'], 'Rings Only');
    const casey = await signUp(t.gql, 'CONSUMER', 'Casey');
    const other = await signUp(t.gql, 'CONSUMER', 'Other Consumer');

    const feeds = {
      aurum: await subscribe(t.url, aurum.token, QuoteRequestFeedDocument),
      silverline: await subscribe(t.url, silverline.token, QuoteRequestFeedDocument),
      ringsOnly: await subscribe(t.url, ringsOnly.token, QuoteRequestFeedDocument),
    };

    // When Casey asks for quotes on a bracelet and a necklace, naming nobody
    const request = await requestQuotes(t.gql, casey, {
      items: [
        { designId: anchor.id, quantity: 2, options: [{ name: 'color', value: 'silver' }] },
        { designId: gemstone.id, quantity: 1, options: [{ name: 'Colour', value: 'Purple' }], note: 'Longer chain please' },
      ],
      note: 'Matching set for a wedding',
      budget: { amount: '600', currencyCode: 'USD' },
      neededBy: inDays(60),
    });

    // Then the request goes to the two manufacturers that make both categories
    expect(request.status).toBe('OPEN');
    expect(request.budget).toEqual({ amount: '600.00', currencyCode: 'USD' });
    expect(request.items.map((i) => [i.design.title, i.quantity, i.options])).toEqual([
      ['Anchor Bracelet Mens', 2, [{ name: 'Color', value: 'Silver' }]],
      ['Gemstone Necklace', 1, [{ name: 'Colour', value: 'Purple' }]],
    ]);
    expect(request.recipients.map((r) => r.manufacturer.displayName).sort()).toEqual(['Aurum', 'Silverline']);

    // and each of them sees it live, once, with the consumer's name but not the e-mail
    for (const feed of [feeds.aurum, feeds.silverline]) {
      const [event] = await feed.waitFor(1);
      expect(event.quoteRequestFeed).toMatchObject({
        type: 'REQUESTED',
        quoteRequest: { id: request.id, status: 'OPEN', consumer: { displayName: 'Casey', email: null }, estimates: [] },
        estimate: null,
      });
      expect(event.quoteRequestFeed.quoteRequest.items.map((i) => i.design.title)).toEqual(['Anchor Bracelet Mens', 'Gemstone Necklace']);
    }

    // A designer's later edit does not change what the manufacturers were asked to quote.
    await t.gql(UpdateDesignDocument, { id: anchor.id, input: { title: 'Renamed Anchor' } }, designer.token);
    const asAurum = await t.gql(QuoteRequestDocument, { id: request.id }, aurum.token);
    expect(asAurum.data!.quoteRequest!.items[0].design).toMatchObject({ title: 'Anchor Bracelet Mens', current: { title: 'Renamed Anchor' } });

    // The consumer watches its estimates; another consumer cannot.
    const caseyFeed = await subscribe(t.url, casey.token, EstimateFeedDocument, { requestId: request.id });
    const snoop = await subscribe(t.url, other.token, EstimateFeedDocument, { requestId: request.id });

    // When the manufacturers answer, and Aurum revises
    const first = await submitEstimate(t.gql, aurum, request.id, '500.00', 21);
    const second = await submitEstimate(t.gql, silverline, request.id, '450.00', 35);
    const revised = await submitEstimate(t.gql, aurum, request.id, '420.00', 28);
    expect([first.version, second.version, revised.version]).toEqual([1, 1, 2]);

    // Then the consumer sees each estimate arrive, with its price, in order
    const estimateEvents = (await caseyFeed.waitFor(3)).map((e) => e.estimateFeed);
    expect(estimateEvents.map((e) => [e.type, e.estimate.manufacturer.displayName, e.estimate.price.amount, e.estimate.version])).toEqual([
      ['SUBMITTED', 'Aurum', '500.00', 1],
      ['SUBMITTED', 'Silverline', '450.00', 1],
      ['REVISED', 'Aurum', '420.00', 2],
    ]);
    expect(estimateEvents[0].estimate.manufacturer.email).toBeNull();
    expect(Number(estimateEvents[1].cursor)).toBeGreaterThan(Number(estimateEvents[0].cursor));

    // and bids stay sealed: Silverline sees only its own estimate
    const asSilverline = await t.gql(QuoteRequestDocument, { id: request.id }, silverline.token);
    expect(asSilverline.data!.quoteRequest!.estimates.map((e) => e.id)).toEqual([second.id]);
    const incoming = await t.gql(IncomingQuoteRequestsDocument, {}, silverline.token);
    expect(incoming.data!.incomingQuoteRequests.edges[0].node.estimates.map((e) => e.manufacturer.id)).toEqual([silverline.id]);

    // When Casey accepts the cheapest estimate
    const accepted = await t.gql(AcceptEstimateDocument, { estimateId: revised.id }, casey.token);
    expect(accepted.data!.acceptEstimate.errors).toEqual([]);
    const match = accepted.data!.acceptEstimate.match!;

    // Then the match shows both parties' e-mails to each other
    expect(match).toMatchObject({
      quoteRequest: { id: request.id, status: 'MATCHED' },
      estimate: { id: revised.id, status: 'ACCEPTED', price: { amount: '420.00', currencyCode: 'USD' } },
      consumer: { id: casey.id, email: casey.email },
      manufacturer: { id: aurum.id, email: aurum.email },
    });
    const aurumMatches = await t.gql(MyMatchesDocument, {}, aurum.token);
    expect(aurumMatches.data!.myMatches.edges.map((e) => e.node.consumer.email)).toEqual([casey.email]);

    // and every recipient hears the outcome live: accepted for Aurum, rejected for Silverline
    const [, aurumOutcome] = await feeds.aurum.waitFor(2);
    expect(aurumOutcome.quoteRequestFeed).toMatchObject({
      type: 'ESTIMATE_ACCEPTED',
      quoteRequest: { id: request.id, status: 'MATCHED', consumer: { email: casey.email } },
      estimate: { id: revised.id, status: 'ACCEPTED' },
    });
    const [, silverOutcome] = await feeds.silverline.waitFor(2);
    expect(silverOutcome.quoteRequestFeed).toMatchObject({
      type: 'ESTIMATE_REJECTED',
      quoteRequest: { id: request.id, status: 'MATCHED', consumer: { email: null } },
    });
    expect(silverOutcome.quoteRequestFeed.quoteRequest.estimates).toEqual([{ id: second.id, manufacturer: { id: silverline.id }, price: { amount: '450.00' } }]);

    // Nobody got anything else: not the ring maker, not the other consumer, no extra events.
    expect(await feeds.ringsOnly.settle()).toEqual([]);
    expect(feeds.aurum.events).toHaveLength(2);
    expect(feeds.silverline.events).toHaveLength(2);
    expect(caseyFeed.events).toHaveLength(3);
    expect(snoop.events).toEqual([]);
    expect(snoop.errors).toEqual([expect.objectContaining({ message: 'Quote request not found.', extensions: { code: 'NOT_FOUND' } })]);
    const notAddressed = await t.gql(QuoteRequestDocument, { id: request.id }, ringsOnly.token);
    expect(notAddressed.data!.quoteRequest).toBeNull();

    // In the database: one match, one accepted estimate, the other estimates rejected or superseded.
    const db = new pg.Client({ connectionString: t.db.url });
    await db.connect();
    const estimates = await db.query('select status, amount::text from estimates where request_id = $1 order by created_at', [request.id]);
    const matches = await db.query('select count(*)::int as n from matches where request_id = $1', [request.id]);
    await db.end();
    expect(estimates.rows).toEqual([
      { status: 'SUPERSEDED', amount: '500.0000' },
      { status: 'REJECTED', amount: '450.0000' },
      { status: 'ACCEPTED', amount: '420.0000' },
    ]);
    expect(matches.rows[0].n).toBe(1);

    // A late estimate on the matched request is refused.
    const late = await t.gql(SubmitEstimateDocument, {
      input: { requestId: request.id, price: { amount: '400', currencyCode: 'USD' }, lineItems: [{ label: 'x', amount: { amount: '400', currencyCode: 'USD' } }], leadTimeDays: 5, validUntil: inDays(3) },
    }, silverline.token);
    expect(late.data!.submitEstimate.errors.map((e) => e.code)).toEqual(['ALREADY_MATCHED']);

    await Promise.all([...Object.values(feeds), caseyFeed, snoop].map((f) => f.close()));
  });
});
