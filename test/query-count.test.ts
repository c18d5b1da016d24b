// Pins how many SQL statements the list queries run: the same for a page of 5 and a page of 50 (no N+1),
// and exactly the number below. A change that adds a statement per row fails here with the statement log.
// Counted: every statement MikroORM logs (namespace 'query') while one HTTP request is in flight. Not
// counted: background work (the outbox relay has its own pg client; the expiry sweeper is parked).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CreateDesignDocument, type DesignCategory } from './generated/graphql.js';
import { startTestApp, type TestApp } from './support/app.js';
import { requestQuotes, submitEstimate } from './support/quoting.js';
import { signUp, signUpManufacturer, type TestUser } from './support/users.js';

// MikroORM's DefaultLogger writes `[query] <sql> [took n ms, n results]`, grey when colours are on.
// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-9;]*m/g;
const statements: string[] = [];
let recording = false;
const onQuery = (message: string) => {
  const line = message.replace(ANSI, '');
  if (recording && line.startsWith('[query] ')) statements.push(line.slice('[query] '.length));
};

let t: TestApp;
let consumer: TestUser;
let maker: TestUser;

/** Runs one operation and returns the SQL statements it caused, with its data. */
async function measure(query: string, first: number, token: string | null) {
  statements.length = 0;
  recording = true;
  const res = await t.gql<Record<string, { edges: unknown[] }>>(query, { first }, token);
  recording = false;
  expect(res.errors, JSON.stringify(res.errors)).toBeUndefined();
  const [connection] = Object.values(res.data!);
  expect(connection.edges).toHaveLength(first);
  return { count: statements.length, log: [...statements] };
}

/** Equal counts for 5 and 50 rows, and exactly `expected`; on failure the message carries both logs. */
async function expectConstant(query: string, token: string | null, expected: number) {
  const small = await measure(query, 5, token);
  const large = await measure(query, 50, token);
  const logs = `\n-- first: 5 (${small.count} statements)\n${small.log.join('\n')}\n-- first: 50 (${large.count} statements)\n${large.log.join('\n')}`;
  expect(large.count, `statement count grows with page size (N+1):${logs}`).toBe(small.count);
  expect(large.count, `statement count changed:${logs}`).toBe(expected);
}

const CATEGORIES: DesignCategory[] = ['RING', 'NECKLACE', 'EARRINGS', 'BRACELET', 'PENDANT'];

beforeAll(async () => {
  // A sweep during a measured request would add its statements; park it.
  t = await startTestApp({ EXPIRY_SWEEP_MS: '3600000' }, { onQuery });

  // Three designers and 60 designs with one to three images each, interleaved.
  const designers = [await signUp(t.gql, 'DESIGNER'), await signUp(t.gql, 'DESIGNER'), await signUp(t.gql, 'DESIGNER')];
  const designIds: string[] = [];
  for (let i = 0; i < 60; i++) {
    const images = Array.from({ length: 1 + (i % 3) }, (_, k) => ({ url: `https://img.example.test/d${i}/${k}.jpg`, altText: `view ${k}` }));
    const res = await t.gql(
      CreateDesignDocument,
      {
        input: {
          title: `Design ${i}`,
          category: CATEGORIES[i % CATEGORIES.length],
          materials: ['Gold'],
          images,
          referencePrice: { amount: `${100 + i}.00`, currencyCode: 'USD' },
        },
      },
      designers[i % designers.length].token,
    );
    expect(res.data?.createDesign.errors).toEqual([]);
    designIds.push(res.data!.createDesign.design!.id);
  }

  // Three manufacturers; two consumers, interleaved: `consumer` has 50 requests, `other` 10, and
  // `maker` receives all 60. Each request has two items and estimates from two makers (one revised).
  const makers = [
    await signUpManufacturer(t.gql, CATEGORIES),
    await signUpManufacturer(t.gql, CATEGORIES),
    await signUpManufacturer(t.gql, CATEGORIES),
  ];
  maker = makers[0];
  consumer = await signUp(t.gql, 'CONSUMER');
  const other = await signUp(t.gql, 'CONSUMER');
  for (let i = 0; i < 60; i++) {
    const who = i % 6 === 5 ? other : consumer;
    const request = await requestQuotes(t.gql, who, {
      items: [
        { designId: designIds[i % designIds.length], quantity: 1 },
        { designId: designIds[(i * 7 + 3) % designIds.length], quantity: 2 },
      ],
      manufacturerIds: makers.map((m) => m.id),
    });
    await submitEstimate(t.gql, makers[i % 3], request.id, `${200 + i}.00`);
    await submitEstimate(t.gql, makers[(i + 1) % 3], request.id, `${300 + i}.00`);
    if (i % 4 === 0) await submitEstimate(t.gql, makers[i % 3], request.id, `${190 + i}.00`);
  }
}, 180_000);

afterAll(() => t?.stop());

describe('SQL statements per list query, independent of page size', () => {
  it('designs { designer images }: one statement, the designers read with the page', async () => {
    await expectConstant(
      `query ($first: Int) { designs(first: $first) { edges { node { designer { displayName } images { url } } } } }`,
      null,
      1,
    );
  });

  it('myQuoteRequests { items { design } estimates { manufacturer } }: page, items, estimates with their manufacturers', async () => {
    await expectConstant(
      `query ($first: Int) { myQuoteRequests(first: $first) { edges { node { items { design { title } } estimates { manufacturer { displayName } } } } } }`,
      consumer.token,
      3,
    );
  });

  it('... and the live designs behind the snapshots (items { design { current } }) in one more', async () => {
    await expectConstant(
      `query ($first: Int) { myQuoteRequests(first: $first) { edges { node { items { design { title current { title } } } estimates { manufacturer { displayName } } } } } }`,
      consumer.token,
      4,
    );
  });

  it("incomingQuoteRequests { recipients }: page and the caller's own recipient rows, not every recipient's", async () => {
    await expectConstant(
      `query ($first: Int) { incomingQuoteRequests(first: $first) { edges { node { recipients { status respondedAt } } } } }`,
      maker.token,
      2,
    );
    // Each request went to three manufacturers; a manufacturer reads its own row of each, one per request.
    const { log } = await measure(`query ($first: Int) { incomingQuoteRequests(first: $first) { edges { node { recipients { status } } } } }`, 50, maker.token);
    const recipientRows = log.filter((line) => line.startsWith('select r.id, r.request_id')).map((line) => Number(/(\d+) results?\]/.exec(line)?.[1]));
    expect(recipientRows).toEqual([50]);
  });

  it('incomingQuoteRequests { items { design } consumer }: page, consumers, items', async () => {
    await expectConstant(
      `query ($first: Int) { incomingQuoteRequests(first: $first) { edges { node { items { design { title } } consumer { displayName } } } } }`,
      maker.token,
      3,
    );
  });
});
