// One event, many subscribers: the selection runs once for everyone whose answer cannot differ, and every
// subscriber whose answer depends on who they are (sealed estimates, recipients, the consumer's e-mail once
// matched, the estimate on an ACCEPTED event) still gets its own.
import { parse } from 'graphql';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AcceptEstimateDocument } from './generated/graphql.js';
import { startTestApp, type TestApp } from './support/app.js';
import { createDesign, requestQuotes, submitEstimate } from './support/quoting.js';
import { signUp, signUpManufacturer, type TestUser } from './support/users.js';
import { subscribe, type Feed } from './support/ws.js';

const PLAIN = parse(`subscription { quoteRequestFeed { type cursor quoteRequest { id status items { quantity design { title } } } } }`);
const PERSONAL = parse(`subscription {
  quoteRequestFeed {
    type
    estimate { id }
    quoteRequest {
      id
      consumer { displayName email }
      recipients { manufacturer { displayName } }
      estimates { price { amount } }
    }
  }
}`);

type PlainEvent = { quoteRequestFeed: { type: string; cursor: string; quoteRequest: { id: string; status: string; items: unknown[] } } };
type PersonalEvent = {
  quoteRequestFeed: {
    type: string;
    estimate: { id: string } | null;
    quoteRequest: {
      id: string;
      consumer: { displayName: string; email: string | null };
      recipients: Array<{ manufacturer: { displayName: string } }>;
      estimates: Array<{ price: { amount: string } }>;
    };
  };
};

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(() => t?.stop());

describe('subscription results shared between subscribers', () => {
  it('runs a selection once per event for everyone, and separately for every answer that depends on the subscriber', async () => {
    const designer = await signUp(t.gql, 'DESIGNER');
    const ring = await createDesign(t.gql, designer, 'Shared Halo Ring', 'RING');
    const makers: TestUser[] = [];
    for (const name of ['Aurum', 'Bellini', 'Corvo']) makers.push(await signUpManufacturer(t.gql, ['RING'], name));
    const consumer = await signUp(t.gql, 'CONSUMER', 'Casey');

    const plain: Array<Feed<PlainEvent>> = [];
    const personal: Array<Feed<PersonalEvent>> = [];
    for (const maker of makers) {
      plain.push(await subscribe<PlainEvent, Record<string, never>>(t.url, maker.token, PLAIN));
      personal.push(await subscribe<PersonalEvent, Record<string, never>>(t.url, maker.token, PERSONAL));
    }
    const before = t.app.server.subscriptionStats();

    // A request to all three: the plain selection runs once and is shared by the other two; the personal one
    // reads who is asking (recipients, estimates), so each of the three runs it for itself.
    const request = await requestQuotes(t.gql, consumer, { items: [{ designId: ring.id, quantity: 1 }] });
    const plainRequested = await Promise.all(plain.map((f) => f.waitFor(1)));
    const personalRequested = await Promise.all(personal.map((f) => f.waitFor(1)));
    for (const [event] of plainRequested) {
      expect(event.quoteRequestFeed).toEqual({
        type: 'REQUESTED',
        cursor: plainRequested[0][0].quoteRequestFeed.cursor,
        quoteRequest: { id: request.id, status: 'OPEN', items: [{ quantity: 1, design: { title: 'Shared Halo Ring' } }] },
      });
    }
    personalRequested.forEach(([event], i) => {
      expect(event.quoteRequestFeed).toEqual({
        type: 'REQUESTED',
        estimate: null,
        quoteRequest: {
          id: request.id,
          consumer: { displayName: 'Casey', email: null },
          recipients: [{ manufacturer: { displayName: makers[i].displayName } }],
          estimates: [],
        },
      });
    });
    const afterRequest = t.app.server.subscriptionStats();
    expect(afterRequest.executed - before.executed).toBe(1 + 3);
    expect(afterRequest.shared - before.shared).toBe(2);

    // Aurum and Bellini bid; the consumer accepts Aurum's. Aurum's ACCEPTED event carries its estimate and,
    // now that they are matched, the consumer's e-mail; the two REJECTED ones carry neither.
    const aurumBid = await submitEstimate(t.gql, makers[0], request.id, '900.00');
    await submitEstimate(t.gql, makers[1], request.id, '850.00');
    const accepted = await t.gql(AcceptEstimateDocument, { estimateId: aurumBid.id }, consumer.token);
    expect(accepted.data?.acceptEstimate.errors).toEqual([]);

    const personalDecided = await Promise.all(personal.map((f) => f.waitFor(2)));
    expect(personalDecided.map((events) => events[1].quoteRequestFeed)).toEqual([
      {
        type: 'ESTIMATE_ACCEPTED',
        estimate: { id: aurumBid.id },
        quoteRequest: {
          id: request.id,
          consumer: { displayName: 'Casey', email: consumer.email },
          recipients: [{ manufacturer: { displayName: 'Aurum' } }],
          estimates: [{ price: { amount: '900.00' } }],
        },
      },
      {
        type: 'ESTIMATE_REJECTED',
        estimate: null,
        quoteRequest: {
          id: request.id,
          consumer: { displayName: 'Casey', email: null },
          recipients: [{ manufacturer: { displayName: 'Bellini' } }],
          estimates: [{ price: { amount: '850.00' } }],
        },
      },
      {
        type: 'ESTIMATE_REJECTED',
        estimate: null,
        quoteRequest: {
          id: request.id,
          consumer: { displayName: 'Casey', email: null },
          recipients: [{ manufacturer: { displayName: 'Corvo' } }],
          estimates: [],
        },
      },
    ]);
    const plainDecided = await Promise.all(plain.map((f) => f.waitFor(2)));
    expect(plainDecided.map((events) => [events[1].quoteRequestFeed.type, events[1].quoteRequestFeed.quoteRequest.status])).toEqual([
      ['ESTIMATE_ACCEPTED', 'MATCHED'],
      ['ESTIMATE_REJECTED', 'MATCHED'],
      ['ESTIMATE_REJECTED', 'MATCHED'],
    ]);
    // Two events: ACCEPTED to Aurum alone (one run of each selection), REJECTED to the other two (the plain
    // selection once, shared once; the personal one twice).
    const afterDecision = t.app.server.subscriptionStats();
    expect(afterDecision.executed - afterRequest.executed).toBe(2 + 3);
    expect(afterDecision.shared - afterRequest.shared).toBe(1);

    for (const feed of [...plain, ...personal]) {
      expect(feed.errors).toEqual([]);
      await feed.close();
    }
  });
});

describe('a feed that fails on an event', () => {
  it('ends with the error and releases its place in the hub when the event cannot be loaded', async () => {
    const designer = await signUp(t.gql, 'DESIGNER');
    const ring = await createDesign(t.gql, designer, 'Broken Ring', 'RING');
    const maker = await signUpManufacturer(t.gql, ['RING']);
    const consumer = await signUp(t.gql, 'CONSUMER');
    const request = await requestQuotes(t.gql, consumer, { items: [{ designId: ring.id, quantity: 1 }], manufacturerIds: [maker.id] });
    const baseline = t.app.services.hub.size;
    const feed = await subscribe<PlainEvent, Record<string, never>>(t.url, maker.token, PLAIN);
    expect(t.app.services.hub.size).toBe(baseline + 1);

    // A database failure while the event's objects are read (the table is briefly gone)
    const admin = new pg.Client({ connectionString: t.db.url });
    await admin.connect();
    try {
      await admin.query('alter table quote_requests rename to quote_requests_away');
      await admin.query(
        `insert into event_outbox (feed, type, audience, quote_request_id, occurred_at) values ('QUOTE_REQUEST', 'REQUESTED', array[$1::uuid], $2::uuid, now())`,
        [maker.id, request.id],
      );
      const deadline = Date.now() + 10_000;
      while (feed.errors.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    } finally {
      await admin.query('alter table quote_requests_away rename to quote_requests');
      await admin.end();
    }
    expect(feed.errors).toHaveLength(1);
    expect(t.app.services.hub.size).toBe(baseline);
    await feed.close();
  });
});
