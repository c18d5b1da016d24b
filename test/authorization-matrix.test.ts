// Every root field (query, mutation, subscription) against every kind of caller, with the expected
// outcome in one table. The root fields are read from the schema: a new field without a row fails.
// Where the answer is NOT_FOUND (or null), the same call with an id that does not exist must answer
// exactly the same: no existence oracle.
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DeclineQuoteRequestDocument } from './generated/graphql.js';
import { startTestApp, type GqlResponse, type TestApp } from './support/app.js';
import { createDesign, requestQuotes, submitEstimate } from './support/quoting.js';
import { PASSWORD, signUp, signUpManufacturer, uniqueEmail, type TestUser } from './support/users.js';

const ACTORS = ['anonymous', 'designer', 'otherDesigner', 'owner', 'otherConsumer', 'recipient', 'nonRecipient', 'declined'] as const;
type Actor = (typeof ACTORS)[number];

/**
 * Outcomes: OK (allowed), NULL (a query answering null: not yours or not there), a top-level code
 * (UNAUTHENTICATED, FORBIDDEN) or the first payload error code (NOT_FOUND, ALREADY_DECLINED...).
 */
type Outcome = string;

interface World {
  users: Record<Exclude<Actor, 'anonymous'>, TestUser>;
  designId: string;
  /** An open request of `owner`, sent to `recipient` and `declined` (who declined), with an estimate from `recipient`. */
  fresh(): Promise<{ requestId: string; estimateId: string }>;
}

interface Row {
  /** Builds the operation for one caller; `id` replaces the target id when probing with an unknown one. */
  op(world: World, ids: { requestId: string; estimateId: string }, unknownId?: string): { query: string; variables?: Record<string, unknown> };
  expect: Record<Actor, Outcome>;
  /** Mutations that change state get a fresh request per caller. */
  fresh?: boolean;
}

const all = (outcome: Outcome): Record<Actor, Outcome> => Object.fromEntries(ACTORS.map((a) => [a, outcome])) as Record<Actor, Outcome>;
const roles = (
  anonymous: Outcome,
  designer: Outcome,
  consumer: Outcome,
  manufacturer: Outcome,
  overrides: Partial<Record<Actor, Outcome>> = {},
): Record<Actor, Outcome> => ({
  anonymous,
  designer,
  otherDesigner: designer,
  owner: consumer,
  otherConsumer: consumer,
  recipient: manufacturer,
  nonRecipient: manufacturer,
  declined: manufacturer,
  ...overrides,
});

const SHOPIFY_CSV = readFileSync(path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../src/db/seed/sample-catalog.csv'), 'utf8');
const inDays = (d: number) => new Date(Date.now() + d * 86_400_000).toISOString();
const usd = (amount: string) => ({ amount, currencyCode: 'USD' });

const QUERIES: Record<string, Row> = {
  me: { op: () => ({ query: '{ me { id } }' }), expect: { ...all('OK'), anonymous: 'NULL' } },
  design: { op: (w, _i, unknown) => ({ query: 'query($id: ID!) { design(id: $id) { id } }', variables: { id: unknown ?? w.designId } }), expect: all('OK') },
  designs: { op: () => ({ query: '{ designs(first: 1) { totalCount } }' }), expect: all('OK') },
  quoteRequest: {
    op: (_w, ids, unknown) => ({ query: 'query($id: ID!) { quoteRequest(id: $id) { id } }', variables: { id: unknown ?? ids.requestId } }),
    expect: roles('UNAUTHENTICATED', 'NULL', 'NULL', 'NULL', { owner: 'OK', recipient: 'OK', declined: 'OK' }),
  },
  myQuoteRequests: { op: () => ({ query: '{ myQuoteRequests { totalCount } }' }), expect: roles('UNAUTHENTICATED', 'FORBIDDEN', 'OK', 'FORBIDDEN') },
  incomingQuoteRequests: { op: () => ({ query: '{ incomingQuoteRequests { totalCount } }' }), expect: roles('UNAUTHENTICATED', 'FORBIDDEN', 'FORBIDDEN', 'OK') },
  myMatches: { op: () => ({ query: '{ myMatches { totalCount } }' }), expect: roles('UNAUTHENTICATED', 'FORBIDDEN', 'OK', 'OK') },
};

const MUTATIONS: Record<string, Row> = {
  signUp: {
    op: () => ({
      query: 'mutation($input: SignUpInput!) { signUp(input: $input) { errors { code } } }',
      variables: { input: { email: uniqueEmail('matrix'), password: PASSWORD, displayName: 'Matrix', role: 'CONSUMER' } },
    }),
    expect: all('OK'),
  },
  signIn: {
    op: (w) => ({ query: 'mutation($input: SignInInput!) { signIn(input: $input) { errors { code } } }', variables: { input: { email: w.users.owner.email, password: PASSWORD } } }),
    expect: all('OK'),
  },
  updateManufacturerProfile: {
    op: () => ({ query: 'mutation { updateManufacturerProfile(input: { categories: [RING] }) { errors { code } } }' }),
    expect: roles('UNAUTHENTICATED', 'FORBIDDEN', 'FORBIDDEN', 'OK'),
  },
  createDesign: {
    op: () => ({ query: 'mutation { createDesign(input: { title: "Matrix Ring", category: RING }) { errors { code } } }' }),
    expect: roles('UNAUTHENTICATED', 'OK', 'FORBIDDEN', 'FORBIDDEN'),
  },
  updateDesign: {
    op: (w, _i, unknown) => ({
      query: 'mutation($id: ID!) { updateDesign(id: $id, input: { tags: ["matrix"] }) { errors { code } } }',
      variables: { id: unknown ?? w.designId },
    }),
    expect: roles('UNAUTHENTICATED', 'OK', 'FORBIDDEN', 'FORBIDDEN', { otherDesigner: 'NOT_FOUND' }),
  },
  archiveDesign: {
    // Probed with a design of its own so that archiving does not hide the shared one.
    op: (w, _i, unknown) => ({ query: 'mutation($id: ID!) { archiveDesign(id: $id) { errors { code } } }', variables: { id: unknown ?? w.designId } }),
    expect: roles('UNAUTHENTICATED', 'OK', 'FORBIDDEN', 'FORBIDDEN', { otherDesigner: 'NOT_FOUND' }),
  },
  importDesigns: {
    op: () => ({
      query: 'mutation($input: ImportDesignsInput!) { importDesigns(input: $input) { errors { code } } }',
      variables: { input: { format: 'SHOPIFY_CSV', content: SHOPIFY_CSV } },
    }),
    expect: roles('UNAUTHENTICATED', 'OK', 'FORBIDDEN', 'FORBIDDEN'),
  },
  requestQuotes: {
    op: (w) => ({
      query: 'mutation($input: RequestQuotesInput!) { requestQuotes(input: $input) { errors { code } } }',
      variables: { input: { items: [{ designId: w.designId, quantity: 1 }], manufacturerIds: [w.users.recipient.id] } },
    }),
    expect: roles('UNAUTHENTICATED', 'FORBIDDEN', 'OK', 'FORBIDDEN'),
  },
  cancelQuoteRequest: {
    fresh: true,
    op: (_w, ids, unknown) => ({ query: 'mutation($id: ID!) { cancelQuoteRequest(id: $id) { errors { code } } }', variables: { id: unknown ?? ids.requestId } }),
    expect: roles('UNAUTHENTICATED', 'FORBIDDEN', 'NOT_FOUND', 'FORBIDDEN', { owner: 'OK' }),
  },
  declineQuoteRequest: {
    fresh: true,
    op: (_w, ids, unknown) => ({ query: 'mutation($id: ID!) { declineQuoteRequest(id: $id, reason: "busy") { errors { code } } }', variables: { id: unknown ?? ids.requestId } }),
    expect: roles('UNAUTHENTICATED', 'FORBIDDEN', 'FORBIDDEN', 'NOT_FOUND', { recipient: 'OK', declined: 'ALREADY_DECLINED' }),
  },
  submitEstimate: {
    fresh: true,
    op: (_w, ids, unknown) => ({
      query: 'mutation($input: SubmitEstimateInput!) { submitEstimate(input: $input) { errors { code } } }',
      variables: {
        input: { requestId: unknown ?? ids.requestId, price: usd('99.00'), lineItems: [{ label: 'All', amount: usd('99.00') }], leadTimeDays: 10, validUntil: inDays(5) },
      },
    }),
    expect: roles('UNAUTHENTICATED', 'FORBIDDEN', 'FORBIDDEN', 'NOT_FOUND', { recipient: 'OK', declined: 'ALREADY_DECLINED' }),
  },
  withdrawEstimate: {
    fresh: true,
    op: (_w, ids, unknown) => ({ query: 'mutation($id: ID!) { withdrawEstimate(id: $id) { errors { code } } }', variables: { id: unknown ?? ids.estimateId } }),
    expect: roles('UNAUTHENTICATED', 'FORBIDDEN', 'FORBIDDEN', 'NOT_FOUND', { recipient: 'OK' }),
  },
  acceptEstimate: {
    fresh: true,
    op: (_w, ids, unknown) => ({ query: 'mutation($id: ID!) { acceptEstimate(estimateId: $id) { errors { code } } }', variables: { id: unknown ?? ids.estimateId } }),
    expect: roles('UNAUTHENTICATED', 'FORBIDDEN', 'NOT_FOUND', 'FORBIDDEN', { owner: 'OK' }),
  },
};

const SUBSCRIPTIONS: Record<string, Row> = {
  quoteRequestFeed: {
    op: () => ({ query: 'subscription { quoteRequestFeed { type } }' }),
    expect: roles('UNAUTHENTICATED', 'FORBIDDEN', 'FORBIDDEN', 'OK'),
  },
  estimateFeed: {
    op: (_w, ids, unknown) => ({ query: 'subscription($id: ID!) { estimateFeed(requestId: $id) { type } }', variables: { id: unknown ?? ids.requestId } }),
    expect: roles('UNAUTHENTICATED', 'FORBIDDEN', 'NOT_FOUND', 'FORBIDDEN', { owner: 'OK' }),
  },
};

let t: TestApp;
let world: World;
let shared: { requestId: string; estimateId: string };

function classify(field: string, res: GqlResponse<Record<string, { errors?: Array<{ code: string }> } | null>>): Outcome {
  if (res.errors?.length) return String(res.errors[0].extensions?.code ?? 'ERROR');
  const value = res.data?.[field];
  if (value === null) return 'NULL';
  const errors = value && typeof value === 'object' && 'errors' in value ? value.errors : undefined;
  return errors?.[0]?.code ?? 'OK';
}

const token = (actor: Actor) => (actor === 'anonymous' ? null : world.users[actor].token);

beforeAll(async () => {
  t = await startTestApp();
  const designer = await signUp(t.gql, 'DESIGNER');
  const users = {
    designer,
    otherDesigner: await signUp(t.gql, 'DESIGNER'),
    owner: await signUp(t.gql, 'CONSUMER'),
    otherConsumer: await signUp(t.gql, 'CONSUMER'),
    recipient: await signUpManufacturer(t.gql, ['RING']),
    nonRecipient: await signUpManufacturer(t.gql, ['RING']),
    declined: await signUpManufacturer(t.gql, ['RING']),
  };
  const designId = (await createDesign(t.gql, designer, 'Matrix Band', 'RING')).id;
  const fresh = async () => {
    const request = await requestQuotes(t.gql, users.owner, {
      items: [{ designId, quantity: 1 }],
      manufacturerIds: [users.recipient.id, users.declined.id],
    });
    await t.gql(DeclineQuoteRequestDocument, { id: request.id }, users.declined.token);
    const estimate = await submitEstimate(t.gql, users.recipient, request.id, '150.00');
    return { requestId: request.id, estimateId: estimate.id };
  };
  world = { users, designId, fresh };
  shared = await fresh();
}, 60_000);
afterAll(() => t?.stop());

describe('the authorization matrix', () => {
  it('has a row for every root field of the schema', () => {
    const names = (type: { getFields(): object } | null | undefined) => Object.keys(type?.getFields() ?? {}).sort();
    expect(Object.keys(QUERIES).sort()).toEqual(names(t.app.schema.getQueryType()));
    expect(Object.keys(MUTATIONS).sort()).toEqual(names(t.app.schema.getMutationType()));
    expect(Object.keys(SUBSCRIPTIONS).sort()).toEqual(names(t.app.schema.getSubscriptionType()));
  });

  for (const [field, row] of Object.entries({ ...QUERIES, ...MUTATIONS })) {
    it(`${field}: ${ACTORS.map((a) => `${a} ${row.expect[a]}`).join(', ')}`, async () => {
      const actual: Record<string, Outcome> = {};
      for (const actor of ACTORS) {
        const ids = row.fresh ? await world.fresh() : shared;
        // archiveDesign's allowed call archives a design made for it, not the shared one.
        const target = field === 'archiveDesign' && actor === 'designer' ? (await createDesign(t.gql, world.users.designer, 'To archive', 'RING')).id : undefined;
        const { query, variables } = row.op(world, ids, target);
        const res = await t.gql(query, variables, token(actor));
        actual[actor] = classify(field, res as never);
        if (['NOT_FOUND', 'NULL'].includes(row.expect[actor])) {
          // No existence oracle: someone else's id answers exactly like an id that does not exist.
          const probe = row.op(world, ids, randomUUID());
          const unknown = await t.gql(probe.query, probe.variables, token(actor));
          expect({ actor, body: unknown.data }).toEqual({ actor, body: res.data });
        }
      }
      expect(actual).toEqual(row.expect);
    }, 60_000);
  }

  for (const [field, row] of Object.entries(SUBSCRIPTIONS)) {
    it(`${field} (WebSocket): ${ACTORS.map((a) => `${a} ${row.expect[a]}`).join(', ')}`, async () => {
      const actual: Record<string, Outcome> = {};
      for (const actor of ACTORS) {
        const { query, variables } = row.op(world, shared);
        actual[actor] = await subscriptionOutcome(query, variables, token(actor));
        if (row.expect[actor] === 'NOT_FOUND') {
          const probe = row.op(world, shared, randomUUID());
          expect(await subscriptionOutcome(probe.query, probe.variables, token(actor))).toBe('NOT_FOUND');
        }
      }
      expect(actual).toEqual(row.expect);
    }, 60_000);
  }
});

/** Subscribes over graphql-ws and reports the first error code, or OK if the subscription stays open. */
async function subscriptionOutcome(query: string, variables: Record<string, unknown> | undefined, bearer: string | null): Promise<Outcome> {
  const { createClient } = await import('graphql-ws');
  const { default: WebSocket } = await import('ws');
  const client = createClient({
    url: t.url.replace(/^http/, 'ws'),
    webSocketImpl: WebSocket,
    retryAttempts: 0,
    connectionParams: bearer ? { authorization: `Bearer ${bearer}` } : {},
  });
  try {
    return await new Promise<Outcome>((resolve) => {
      const timer = setTimeout(() => resolve('OK'), 700);
      client.subscribe(
        { query, variables },
        {
          next: (value) => {
            if (value.errors?.length) {
              clearTimeout(timer);
              resolve(String(value.errors[0].extensions?.code ?? 'ERROR'));
            }
          },
          error: (error) => {
            clearTimeout(timer);
            const list = Array.isArray(error) ? error : [error];
            resolve(String((list[0] as { extensions?: { code?: string } })?.extensions?.code ?? 'ERROR'));
          },
          complete: () => {},
        },
      );
    });
  } finally {
    await client.dispose();
  }
}
