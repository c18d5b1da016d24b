// The quote flow's rules: exactly one match under racing accepts, privacy and sealed bids, exact money,
// illegal transitions that change nothing, and expiry.
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AcceptEstimateDocument,
  CancelQuoteRequestDocument,
  DeclineQuoteRequestDocument,
  EstimateFeedDocument,
  MyQuoteRequestsDocument,
  QuoteRequestDocument,
  QuoteRequestFeedDocument,
  RequestQuotesDocument,
  SubmitEstimateDocument,
  WithdrawEstimateDocument,
  type SubmitEstimateInput,
} from './generated/graphql.js';
import { startTestApp, type TestApp } from './support/app.js';
import { createDesign, inDays, requestQuotes, submitEstimate } from './support/quoting.js';
import { signUp, signUpManufacturer, type TestUser } from './support/users.js';
import { subscribe } from './support/ws.js';

let t: TestApp;
let designer: TestUser;
let ringId: string;

async function sql<T extends pg.QueryResultRow>(text: string, params: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: t.db.url });
  await client.connect();
  try {
    return (await client.query<T>(text, params)).rows;
  } finally {
    await client.end();
  }
}

beforeAll(async () => {
  t = await startTestApp({ EXPIRY_SWEEP_MS: '200' });
  designer = await signUp(t.gql, 'DESIGNER');
  ringId = (await createDesign(t.gql, designer, 'Twisted Band', 'RING', [{ name: 'Size', values: ['6', '7'] }])).id;
});
afterAll(() => t?.stop());

/** A consumer's open request sent to `makers`. */
async function openRequest(makers: TestUser[], consumer?: TestUser) {
  const owner = consumer ?? (await signUp(t.gql, 'CONSUMER'));
  const request = await requestQuotes(t.gql, owner, {
    items: [{ designId: ringId, quantity: 1, options: [{ name: 'Size', value: '7' }] }],
    manufacturerIds: makers.map((m) => m.id),
  });
  return { consumer: owner, request };
}

describe('matching', () => {
  it('makes exactly one match when 20 accepts of the same estimate race', async () => {
    const maker = await signUpManufacturer(t.gql, ['RING']);
    const { consumer, request } = await openRequest([maker]);
    const estimate = await submitEstimate(t.gql, maker, request.id, '300.00');

    const results = await Promise.all(Array.from({ length: 20 }, () => t.gql(AcceptEstimateDocument, { estimateId: estimate.id }, consumer.token)));

    expect(results.every((r) => r.status === 200 && r.errors === undefined)).toBe(true);
    const outcomes = results.map((r) => r.data!.acceptEstimate.errors.map((e) => e.code).join() || 'MATCHED');
    expect(outcomes.filter((o) => o === 'MATCHED')).toHaveLength(1);
    expect(outcomes.filter((o) => o === 'ALREADY_MATCHED')).toHaveLength(19);
    expect(await sql('select count(*)::int as n from matches where request_id = $1', [request.id])).toEqual([{ n: 1 }]);
    expect(await sql("select count(*)::int as n from estimates where request_id = $1 and status = 'ACCEPTED'", [request.id])).toEqual([{ n: 1 }]);
  });

  it('makes exactly one match when 20 accepts of four different estimates race', async () => {
    const makers = await Promise.all([0, 1, 2, 3].map(() => signUpManufacturer(t.gql, ['RING'])));
    const { consumer, request } = await openRequest(makers);
    const estimates = await Promise.all(makers.map((m, i) => submitEstimate(t.gql, m, request.id, `${200 + i}.00`)));

    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => t.gql(AcceptEstimateDocument, { estimateId: estimates[i % 4].id }, consumer.token)),
    );

    const winners = results.filter((r) => r.data!.acceptEstimate.match);
    expect(winners).toHaveLength(1);
    expect(results.filter((r) => r.data!.acceptEstimate.errors[0]?.code === 'ALREADY_MATCHED')).toHaveLength(19);
    const winning = winners[0].data!.acceptEstimate.match!.estimate.id;
    const rows = await sql<{ id: string; status: string }>('select id, status from estimates where request_id = $1', [request.id]);
    expect(rows.filter((r) => r.status === 'ACCEPTED').map((r) => r.id)).toEqual([winning]);
    expect(rows.filter((r) => r.status === 'REJECTED')).toHaveLength(3);
    expect(await sql('select count(*)::int as n from matches where request_id = $1', [request.id])).toEqual([{ n: 1 }]);
  });
});

describe('privacy and sealed bids', () => {
  it("hides consumer A's request, estimates and events from consumer B, answering NOT_FOUND", async () => {
    const maker = await signUpManufacturer(t.gql, ['RING']);
    const { consumer: a, request } = await openRequest([maker]);
    const b = await signUp(t.gql, 'CONSUMER');
    const bFeed = await subscribe(t.url, b.token, EstimateFeedDocument, { requestId: request.id });
    const estimate = await submitEstimate(t.gql, maker, request.id, '120.00');

    expect((await t.gql(QuoteRequestDocument, { id: request.id }, b.token)).data!.quoteRequest).toBeNull();
    expect((await t.gql(MyQuoteRequestsDocument, {}, b.token)).data!.myQuoteRequests.totalCount).toBe(0);
    const cancel = await t.gql(CancelQuoteRequestDocument, { id: request.id }, b.token);
    expect(cancel.data!.cancelQuoteRequest.errors).toEqual([{ code: 'NOT_FOUND', message: 'Quote request not found.', field: ['id'], line: null }]);
    const accept = await t.gql(AcceptEstimateDocument, { estimateId: estimate.id }, b.token);
    expect(accept.data!.acceptEstimate.errors.map((e) => e.code)).toEqual(['NOT_FOUND']);
    // The answer for someone else's id is the same as for an id that does not exist.
    const missing = await t.gql(AcceptEstimateDocument, { estimateId: '00000000-0000-4000-8000-000000000000' }, b.token);
    expect(missing.data!.acceptEstimate.errors).toEqual(accept.data!.acceptEstimate.errors);

    expect(await bFeed.settle()).toEqual([]);
    expect(bFeed.errors).toEqual([expect.objectContaining({ extensions: { code: 'NOT_FOUND' } })]);
    // A still owns it, untouched.
    expect((await t.gql(QuoteRequestDocument, { id: request.id }, a.token)).data!.quoteRequest!.status).toBe('OPEN');
    await bFeed.close();
  });

  it('gives a manufacturer that was not addressed neither the request nor its events', async () => {
    const addressed = await signUpManufacturer(t.gql, ['RING']);
    const outsider = await signUpManufacturer(t.gql, ['RING']);
    const outsiderFeed = await subscribe(t.url, outsider.token, QuoteRequestFeedDocument);
    const { request } = await openRequest([addressed]);

    expect((await t.gql(QuoteRequestDocument, { id: request.id }, outsider.token)).data!.quoteRequest).toBeNull();
    const submit = await t.gql(
      SubmitEstimateDocument,
      { input: estimateInput(request.id, '99.00') },
      outsider.token,
    );
    expect(submit.data!.submitEstimate.errors.map((e) => [e.code, e.field])).toEqual([['NOT_FOUND', ['input', 'requestId']]]);
    const decline = await t.gql(DeclineQuoteRequestDocument, { id: request.id }, outsider.token);
    expect(decline.data!.declineQuoteRequest.errors.map((e) => e.code)).toEqual(['NOT_FOUND']);
    expect(await outsiderFeed.settle()).toEqual([]);
    await outsiderFeed.close();
  });

  it('never shows a manufacturer a competitor\'s estimate', async () => {
    const [m1, m2] = await Promise.all([signUpManufacturer(t.gql, ['RING']), signUpManufacturer(t.gql, ['RING'])]);
    const { consumer, request } = await openRequest([m1, m2]);
    const e1 = await submitEstimate(t.gql, m1, request.id, '150.00');
    const e2 = await submitEstimate(t.gql, m2, request.id, '140.00');

    const seenBy = async (u: TestUser) => (await t.gql(QuoteRequestDocument, { id: request.id }, u.token)).data!.quoteRequest!;
    expect((await seenBy(m1)).estimates.map((e) => e.id)).toEqual([e1.id]);
    expect((await seenBy(m2)).estimates.map((e) => e.id)).toEqual([e2.id]);
    expect((await seenBy(m1)).recipients.map((r) => r.manufacturer.id)).toEqual([m1.id]);
    expect((await seenBy(consumer)).estimates.map((e) => e.id)).toEqual([e1.id, e2.id]);
    // Before a match the consumer's e-mail is hidden from manufacturers and theirs from the consumer.
    expect((await seenBy(m1)).consumer.email).toBeNull();
    expect((await seenBy(consumer)).estimates.map((e) => e.manufacturer.email)).toEqual([null, null]);
  });
});

describe('estimates', () => {
  it('delivers an estimate revised twice with each new price while the consumer watches', async () => {
    const maker = await signUpManufacturer(t.gql, ['RING']);
    const { consumer, request } = await openRequest([maker]);
    const feed = await subscribe(t.url, consumer.token, EstimateFeedDocument, { requestId: request.id });

    await submitEstimate(t.gql, maker, request.id, '900.00');
    await submitEstimate(t.gql, maker, request.id, '850.00');
    await submitEstimate(t.gql, maker, request.id, '799.99');

    const events = (await feed.waitFor(3)).map((e) => e.estimateFeed);
    expect(events.map((e) => [e.type, e.estimate.version, e.estimate.price.amount])).toEqual([
      ['SUBMITTED', 1, '900.00'],
      ['REVISED', 2, '850.00'],
      ['REVISED', 3, '799.99'],
    ]);
    expect(events[2].estimate.status).toBe('ACTIVE');
    await feed.close();
  });

  it('keeps money exact: 86.95 + 13.05 is a total of "100.00", and 25000000.00 round-trips', async () => {
    const maker = await signUpManufacturer(t.gql, ['RING']);
    const { request } = await openRequest([maker]);
    const res = await t.gql(
      SubmitEstimateDocument,
      {
        input: {
          ...estimateInput(request.id, '100.00'),
          lineItems: [
            { label: 'Metal', amount: { amount: '86.95', currencyCode: 'USD' } },
            { label: 'Setting', amount: { amount: '13.05', currencyCode: 'USD' } },
          ],
        },
      },
      maker.token,
    );
    expect(res.data!.submitEstimate.errors).toEqual([]);
    expect(res.data!.submitEstimate.estimate).toMatchObject({
      price: { amount: '100.00', currencyCode: 'USD' },
      lineItems: [
        { label: 'Metal', amount: { amount: '86.95', currencyCode: 'USD' } },
        { label: 'Setting', amount: { amount: '13.05', currencyCode: 'USD' } },
      ],
    });

    const big = await t.gql(SubmitEstimateDocument, { input: estimateInput(request.id, '25000000.00') }, maker.token);
    expect(big.data!.submitEstimate.estimate!.price).toEqual({ amount: '25000000.00', currencyCode: 'USD' });
    const reread = await t.gql(QuoteRequestDocument, { id: request.id }, maker.token);
    expect(reread.data!.quoteRequest!.estimates.map((e) => e.price.amount)).toEqual(['25000000.00']);
    expect(await sql('select amount::text from estimates where id = $1', [big.data!.submitEstimate.estimate!.id])).toEqual([{ amount: '25000000.0000' }]);
  });

  it('reports every invalid field of an estimate with its path, and stores nothing', async () => {
    const maker = await signUpManufacturer(t.gql, ['RING']);
    const { request } = await openRequest([maker]);
    const res = await t.gql(
      SubmitEstimateDocument,
      {
        input: {
          requestId: request.id,
          price: { amount: '100.00', currencyCode: 'USD' },
          lineItems: [
            { label: 'Metal', amount: { amount: '86.95', currencyCode: 'USD' } },
            { label: 'Setting', amount: { amount: '13.00', currencyCode: 'USD' } },
            { label: 'Stone', amount: { amount: '5.00', currencyCode: 'EUR' } },
          ],
          leadTimeDays: 0,
          validUntil: new Date(Date.now() - 60_000).toISOString(),
        },
      },
      maker.token,
    );
    expect(res.data!.submitEstimate.estimate).toBeNull();
    expect(res.data!.submitEstimate.errors.map((e) => e.field)).toEqual([
      ['input', 'lineItems', '2', 'amount', 'currencyCode'],
      ['input', 'leadTimeDays'],
      ['input', 'validUntil'],
    ]);
    const sumOff = await t.gql(
      SubmitEstimateDocument,
      {
        input: {
          ...estimateInput(request.id, '100.00'),
          lineItems: [
            { label: 'Metal', amount: { amount: '86.95', currencyCode: 'USD' } },
            { label: 'Setting', amount: { amount: '13.00', currencyCode: 'USD' } },
          ],
        },
      },
      maker.token,
    );
    expect(sumOff.data!.submitEstimate.errors).toEqual([
      { code: 'INVALID_INPUT', message: 'The line items add up to 99.95 but the total is 100.00.', field: ['input', 'lineItems'], line: null },
    ]);
    const zero = await t.gql(SubmitEstimateDocument, { input: estimateInput(request.id, '0.00') }, maker.token);
    expect(zero.data!.submitEstimate.errors[0]).toMatchObject({ code: 'INVALID_INPUT', field: ['input', 'price', 'amount'] });
    expect(await sql('select count(*)::int as n from estimates where request_id = $1', [request.id])).toEqual([{ n: 0 }]);
  });
});

describe('concurrent estimates', () => {
  it('turns 12 racing submits by one manufacturer into versions 1 to 12 with exactly one ACTIVE', async () => {
    const maker = await signUpManufacturer(t.gql, ['RING']);
    const { request } = await openRequest([maker]);
    // when: the same manufacturer submits 12 times at once (double clicks, retries)
    const estimates = await Promise.all(Array.from({ length: 12 }, (_, i) => submitEstimate(t.gql, maker, request.id, `${500 + i}.00`)));
    // then: every submit succeeded with its own version, and the database holds one ACTIVE, 11 SUPERSEDED
    expect(estimates.map((e) => e.version).sort((a, b) => a - b)).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));
    const stored = await sql<{ version: number; status: string; amount: string }>(
      'select version, status, amount::text from estimates where request_id = $1 order by version',
      [request.id],
    );
    expect(stored.filter((e) => e.status === 'ACTIVE')).toHaveLength(1);
    expect(stored.filter((e) => e.status === 'SUPERSEDED')).toHaveLength(11);
    // the ACTIVE one is the last version, with the price of the submit that got it
    const last = estimates.find((e) => e.version === 12)!;
    expect(stored[11]).toMatchObject({ version: 12, status: 'ACTIVE' });
    expect(Number(stored[11].amount)).toBe(Number(last.price.amount));
    const [recipient] = await sql<{ status: string }>('select status from quote_recipients where request_id = $1', [request.id]);
    expect(recipient.status).toBe('QUOTED');
  });

  it('keeps a withdrawal that commits while a revision waits for the request: the new estimate is a first one', async () => {
    const maker = await signUpManufacturer(t.gql, ['RING']);
    const { request } = await openRequest([maker]);
    const first = await submitEstimate(t.gql, maker, request.id, '400.00');
    // given: the request row is locked (as every change of a request locks it) while a withdrawal and then a
    // revision arrive; the revision's statement starts while v1 is still ACTIVE
    const holder = new pg.Client({ connectionString: t.db.url });
    await holder.connect();
    try {
      await holder.query('begin');
      await holder.query('select 1 from quote_requests where id = $1 for update', [request.id]);
      const withdrawn = t.gql(WithdrawEstimateDocument, { id: first.id }, maker.token);
      await new Promise((resolve) => setTimeout(resolve, 300));
      const revised = t.gql(
        SubmitEstimateDocument,
        { input: { requestId: request.id, price: { amount: '450.00', currencyCode: 'USD' }, lineItems: [{ label: 'All', amount: { amount: '450.00', currencyCode: 'USD' } }], leadTimeDays: 20, validUntil: inDays(5) } },
        maker.token,
      );
      await new Promise((resolve) => setTimeout(resolve, 300));
      await holder.query('commit');
      const [w, r] = await Promise.all([withdrawn, revised]);
      expect(w.data!.withdrawEstimate.errors).toEqual([]);
      expect(r.data!.submitEstimate.errors).toEqual([]);
    } finally {
      await holder.end();
    }
    // then: v1 stays WITHDRAWN (not overwritten with SUPERSEDED), v2 is ACTIVE, and the consumer was told
    // SUBMITTED, WITHDRAWN, SUBMITTED (not REVISED: there was no active estimate left to revise)
    const stored = await sql<{ version: number; status: string }>('select version, status from estimates where request_id = $1 order by version', [request.id]);
    expect(stored).toEqual([
      { version: 1, status: 'WITHDRAWN' },
      { version: 2, status: 'ACTIVE' },
    ]);
    const events = await sql<{ type: string }>("select type from event_outbox where quote_request_id = $1 and feed = 'ESTIMATE' order by id", [request.id]);
    expect(events.map((e) => e.type)).toEqual(['SUBMITTED', 'WITHDRAWN', 'SUBMITTED']);
  });

  it('never leaves an ACTIVE estimate from a manufacturer that declined, whichever of the two wins', async () => {
    for (let round = 0; round < 5; round++) {
      const maker = await signUpManufacturer(t.gql, ['RING']);
      const { request } = await openRequest([maker]);
      const [submitted, declined] = await Promise.all([
        t.gql(
          SubmitEstimateDocument,
          { input: { requestId: request.id, price: { amount: '700.00', currencyCode: 'USD' }, lineItems: [{ label: 'All', amount: { amount: '700.00', currencyCode: 'USD' } }], leadTimeDays: 20, validUntil: inDays(5) } },
          maker.token,
        ),
        t.gql(DeclineQuoteRequestDocument, { id: request.id, reason: 'busy' }, maker.token),
      ]);
      expect(submitted.errors).toBeUndefined();
      expect(declined.errors).toBeUndefined();
      const [recipient] = await sql<{ status: string }>('select status from quote_recipients where request_id = $1', [request.id]);
      const active = await sql('select id from estimates where request_id = $1 and status = $2', [request.id, 'ACTIVE']);
      // Either order is fine; what must hold: declined means no ACTIVE estimate, an ACTIVE one means QUOTED.
      if (recipient.status === 'DECLINED') expect(active).toEqual([]);
      else expect({ recipient: recipient.status, active: active.length }).toEqual({ recipient: 'QUOTED', active: 1 });
      if (submitted.data!.submitEstimate.errors.length > 0) expect(submitted.data!.submitEstimate.errors[0].code).toBe('ALREADY_DECLINED');
    }
  });
});

describe('outcomes', () => {
  it('tells every recipient, including one that declined, that the request is closed', async () => {
    const [winner, loser, decliner] = await Promise.all([1, 2, 3].map(() => signUpManufacturer(t.gql, ['RING'])));
    const feeds = await Promise.all([winner, loser, decliner].map((m) => subscribe(t.url, m.token, QuoteRequestFeedDocument)));
    const { consumer, request } = await openRequest([winner, loser, decliner]);
    await t.gql(DeclineQuoteRequestDocument, { id: request.id, reason: 'No capacity' }, decliner.token);
    const estimate = await submitEstimate(t.gql, winner, request.id, '210.00');
    await submitEstimate(t.gql, loser, request.id, '220.00');
    await t.gql(AcceptEstimateDocument, { estimateId: estimate.id }, consumer.token);

    const types = await Promise.all(feeds.map(async (f) => (await f.waitFor(2)).map((e) => e.quoteRequestFeed.type)));
    expect(types).toEqual([
      ['REQUESTED', 'ESTIMATE_ACCEPTED'],
      ['REQUESTED', 'ESTIMATE_REJECTED'],
      ['REQUESTED', 'ESTIMATE_REJECTED'],
    ]);
    await Promise.all(feeds.map((f) => f.close()));
  });
});

describe('illegal transitions change nothing', () => {
  it('refuses accepting on a cancelled request with REQUEST_NOT_OPEN', async () => {
    const maker = await signUpManufacturer(t.gql, ['RING']);
    const makerFeed = await subscribe(t.url, maker.token, QuoteRequestFeedDocument);
    const { consumer, request } = await openRequest([maker]);
    const estimate = await submitEstimate(t.gql, maker, request.id, '500.00');
    const cancelled = await t.gql(CancelQuoteRequestDocument, { id: request.id }, consumer.token);
    expect(cancelled.data!.cancelQuoteRequest).toEqual({ quoteRequest: { id: request.id, status: 'CANCELLED' }, errors: [] });

    const res = await t.gql(AcceptEstimateDocument, { estimateId: estimate.id }, consumer.token);
    expect(res.data!.acceptEstimate.match).toBeNull();
    expect(res.data!.acceptEstimate.errors.map((e) => e.code)).toEqual(['REQUEST_NOT_OPEN']);
    expect(await sql('select count(*)::int as n from matches where request_id = $1', [request.id])).toEqual([{ n: 0 }]);
    expect(await sql('select status from estimates where id = $1', [estimate.id])).toEqual([{ status: 'REJECTED' }]);
    const again = await t.gql(CancelQuoteRequestDocument, { id: request.id }, consumer.token);
    expect(again.data!.cancelQuoteRequest.errors.map((e) => e.code)).toEqual(['REQUEST_NOT_OPEN']);

    const events = (await makerFeed.waitFor(2)).map((e) => e.quoteRequestFeed.type);
    expect(events).toEqual(['REQUESTED', 'CANCELLED']);
    await makerFeed.close();
  });

  it('refuses withdrawing an accepted estimate with ESTIMATE_NOT_ACTIVE', async () => {
    const maker = await signUpManufacturer(t.gql, ['RING']);
    const { consumer, request } = await openRequest([maker]);
    const estimate = await submitEstimate(t.gql, maker, request.id, '500.00');
    await t.gql(AcceptEstimateDocument, { estimateId: estimate.id }, consumer.token);

    const res = await t.gql(WithdrawEstimateDocument, { id: estimate.id }, maker.token);
    expect(res.data!.withdrawEstimate.errors.map((e) => e.code)).toEqual(['ESTIMATE_NOT_ACTIVE']);
    expect(await sql('select status from estimates where id = $1', [estimate.id])).toEqual([{ status: 'ACCEPTED' }]);
  });

  it('refuses an estimate after the manufacturer declined, with ALREADY_DECLINED', async () => {
    const maker = await signUpManufacturer(t.gql, ['RING']);
    const { consumer, request } = await openRequest([maker]);
    const declined = await t.gql(DeclineQuoteRequestDocument, { id: request.id, reason: 'Fully booked until spring' }, maker.token);
    expect(declined.data!.declineQuoteRequest.errors).toEqual([]);
    expect(declined.data!.declineQuoteRequest.quoteRequest!.recipients).toEqual([{ status: 'DECLINED', declineReason: 'Fully booked until spring' }]);

    const res = await t.gql(SubmitEstimateDocument, { input: estimateInput(request.id, '10.00') }, maker.token);
    expect(res.data!.submitEstimate.errors.map((e) => e.code)).toEqual(['ALREADY_DECLINED']);
    const twice = await t.gql(DeclineQuoteRequestDocument, { id: request.id }, maker.token);
    expect(twice.data!.declineQuoteRequest.errors.map((e) => e.code)).toEqual(['ALREADY_DECLINED']);
    expect(await sql('select count(*)::int as n from estimates where request_id = $1', [request.id])).toEqual([{ n: 0 }]);
    const seen = await t.gql(QuoteRequestDocument, { id: request.id }, consumer.token);
    expect(seen.data!.quoteRequest!.recipients.map((r) => r.status)).toEqual(['DECLINED']);
  });
});

describe('requests', () => {
  it('is a user error, not a silent success, when no manufacturer can quote', async () => {
    const consumer = await signUp(t.gql, 'CONSUMER');
    const brooch = await createDesign(t.gql, designer, 'Lonely Brooch', 'BROOCH');
    const db = await sql<{ n: number }>("select count(*)::int as n from users where role = 'MANUFACTURER' and profile_categories @> '{BROOCH}'");
    expect(db[0].n).toBe(0);
    const res = await t.gql(RequestQuotesDocument, { input: { items: [{ designId: brooch.id, quantity: 1 }] } }, consumer.token);
    expect(res.data!.requestQuotes.quoteRequest).toBeNull();
    expect(res.data!.requestQuotes.errors.map((e) => e.code)).toEqual(['NO_RECIPIENTS']);
  });

  it('checks items: unknown designs, wrong options and quantities, each with its path', async () => {
    const maker = await signUpManufacturer(t.gql, ['RING']);
    const consumer = await signUp(t.gql, 'CONSUMER');
    const res = await t.gql(
      RequestQuotesDocument,
      {
        input: {
          manufacturerIds: [maker.id],
          items: [
            { designId: '00000000-0000-4000-8000-000000000000', quantity: 1 },
            { designId: ringId, quantity: 0, options: [{ name: 'Size', value: '12' }, { name: 'Metal', value: 'Gold' }] },
          ],
        },
      },
      consumer.token,
    );
    expect(res.data!.requestQuotes.errors.map((e) => [e.code, e.field])).toEqual([
      ['NOT_FOUND', ['input', 'items', '0', 'designId']],
      ['INVALID_INPUT', ['input', 'items', '1', 'quantity']],
      ['INVALID_INPUT', ['input', 'items', '1', 'options', '0', 'value']],
      ['INVALID_INPUT', ['input', 'items', '1', 'options', '1', 'name']],
    ]);
  });
});

describe('expiry', () => {
  it('expires a request past its expiry and tells its recipients live', async () => {
    const maker = await signUpManufacturer(t.gql, ['RING']);
    const feed = await subscribe(t.url, maker.token, QuoteRequestFeedDocument);
    const consumer = await signUp(t.gql, 'CONSUMER');
    const request = await requestQuotes(t.gql, consumer, {
      items: [{ designId: ringId, quantity: 1 }],
      manufacturerIds: [maker.id],
      expiresAt: new Date(Date.now() + 1500).toISOString(),
    });

    const events = await feed.waitFor(2, 8000);
    expect(events.map((e) => [e.quoteRequestFeed.type, e.quoteRequestFeed.quoteRequest.status])).toEqual([
      ['REQUESTED', 'OPEN'],
      ['EXPIRED', 'EXPIRED'],
    ]);
    expect(await sql('select status from quote_requests where id = $1', [request.id])).toEqual([{ status: 'EXPIRED' }]);
    const late = await t.gql(SubmitEstimateDocument, { input: estimateInput(request.id, '50.00') }, maker.token);
    expect(late.data!.submitEstimate.errors.map((e) => e.code)).toEqual(['REQUEST_NOT_OPEN']);
    await feed.close();
  });

  it('expires an estimate past its validity and tells the consumer live', async () => {
    const maker = await signUpManufacturer(t.gql, ['RING']);
    const { consumer, request } = await openRequest([maker]);
    const feed = await subscribe(t.url, consumer.token, EstimateFeedDocument, { requestId: request.id });
    const res = await t.gql(
      SubmitEstimateDocument,
      { input: { ...estimateInput(request.id, '75.00'), validUntil: new Date(Date.now() + 1200).toISOString() } },
      maker.token,
    );
    const estimate = res.data!.submitEstimate.estimate!;

    const events = (await feed.waitFor(2, 8000)).map((e) => [e.estimateFeed.type, e.estimateFeed.estimate.status]);
    expect(events).toEqual([
      ['SUBMITTED', 'ACTIVE'],
      ['EXPIRED', 'EXPIRED'],
    ]);
    const accept = await t.gql(AcceptEstimateDocument, { estimateId: estimate.id }, consumer.token);
    expect(accept.data!.acceptEstimate.errors.map((e) => e.code)).toEqual(['ESTIMATE_NOT_ACTIVE']);
    await feed.close();
  });
});

function estimateInput(requestId: string, amount: string): SubmitEstimateInput {
  return {
    requestId,
    price: { amount, currencyCode: 'USD' },
    lineItems: [{ label: 'All in', amount: { amount, currencyCode: 'USD' } }],
    leadTimeDays: 14,
    validUntil: inDays(7),
  };
}
