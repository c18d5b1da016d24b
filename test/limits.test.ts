// Abuse limits: every one refuses an operation before it runs, with an error that says which limit, over
// HTTP and over WebSocket alike; the operations the product itself sends stay well inside them.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FormattedExecutionResult, GraphQLFormattedError } from 'graphql';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { DesignsDocument, MyQuoteRequestsDocument, QuoteRequestFeedDocument } from './generated/graphql.js';
import { startTestApp, type GqlResponse, type TestApp } from './support/app.js';
import { createDesign, requestQuotes } from './support/quoting.js';
import { signUp, signUpManufacturer, type TestUser } from './support/users.js';
import { subscribe, wsUrl } from './support/ws.js';

let t: TestApp;
let designer: TestUser;
let consumer: TestUser;
let maker: TestUser;
let designId: string;

beforeAll(async () => {
  t = await startTestApp();
  [designer, consumer, maker] = await Promise.all([signUp(t.gql, 'DESIGNER'), signUp(t.gql, 'CONSUMER'), signUpManufacturer(t.gql, ['RING'])]);
  designId = (await createDesign(t.gql, designer, 'Limits Ring', 'RING')).id;
});
afterAll(() => t?.stop());

// ---- what the tests look at: counts that would move if a refused operation had run anyway ----

async function designCount(): Promise<number> {
  const res = await t.gql(DesignsDocument, { first: 1, filter: { designerId: designer.id } }, designer.token);
  return res.data!.designs.totalCount;
}

async function requestCount(): Promise<number> {
  const res = await t.gql(MyQuoteRequestsDocument, { first: 1 }, consumer.token);
  return res.data!.myQuoteRequests.totalCount;
}

/** Refused before execution: 400, one error with the code and message, and no `data` at all. */
function expectRefused(res: GqlResponse<unknown>, code: string, message: string | RegExp) {
  expect(res.errors, JSON.stringify(res.errors)).toHaveLength(1);
  expect(res.errors![0].extensions?.code).toBe(code);
  expect(res.errors![0].message).toMatch(message);
  expect(res.status).toBe(400);
  expect(res).not.toHaveProperty('data');
}

type WsAnswer =
  /** graphql-ws `error` message: the operation was refused and never ran. */
  | { refused: readonly GraphQLFormattedError[] }
  /** The first `next` message. */
  | { result: FormattedExecutionResult<Record<string, unknown>, unknown> }
  /** The server closed the socket instead. */
  | { closed: number };

/** Sends one operation through a graphql-ws client and returns the server's first answer to it. */
async function overWebSocket(query: string, variables?: Record<string, unknown>, token: string | null = maker.token, operationName?: string): Promise<WsAnswer> {
  const client = createClient({ url: wsUrl(t.url), webSocketImpl: WebSocket, retryAttempts: 0, connectionParams: token ? { authorization: `Bearer ${token}` } : {} });
  try {
    return await new Promise<WsAnswer>((resolve) => {
      client.subscribe(
        { query, variables, operationName },
        {
          next: (result) => resolve({ result }),
          error: (error) => resolve(Array.isArray(error) ? { refused: error } : { closed: (error as { code: number }).code }),
          complete: () => {},
        },
      );
    });
  } finally {
    await client.dispose();
  }
}

function expectRefusedOverWebSocket(answer: WsAnswer, code: string, message: string | RegExp) {
  expect(answer).toHaveProperty('refused');
  const { refused } = answer as { refused: GraphQLFormattedError[] };
  expect(refused).toHaveLength(1);
  expect(refused[0].extensions?.code).toBe(code);
  expect(refused[0].message).toMatch(message);
}

const newDesign = { title: 'Should Not Exist', category: 'RING' };
const requestInput = () => ({ items: [{ designId, quantity: 1 }], manufacturerIds: [maker.id] });
const requestQuotesSelecting = (selection: string) =>
  `mutation($input: RequestQuotesInput!) { requestQuotes(input: $input) { quoteRequest { ${selection} } errors { code } } }`;
const createDesignSelecting = (selection: string) =>
  `mutation($input: CreateDesignInput!) { createDesign(input: $input) { ${selection} errors { code } } }`;

/** A selection on QuoteRequest `levels` fields deep: match { quoteRequest { match { ... { id } } } }. */
function nestedOnQuoteRequest(levels: number): string {
  const fields = Array.from({ length: levels - 1 }, (_, i) => (i % 2 === 0 ? 'match' : 'quoteRequest'));
  return fields.reduceRight((inner, field) => `${field} { ${inner} }`, 'id');
}

const times = (n: number, item: (i: number) => string) => Array.from({ length: n }, (_, i) => item(i)).join(' ');

describe('query depth (at most 12)', () => {
  it('HTTP: refuses 13 levels before anything runs, and runs 12', async () => {
    const before = await requestCount();

    // requestQuotes > quoteRequest > 11 levels of match/quoteRequest = 13
    const tooDeep = await t.gql(requestQuotesSelecting(nestedOnQuoteRequest(11)), { input: requestInput() }, consumer.token);

    expectRefused(tooDeep, 'GRAPHQL_VALIDATION_FAILED', 'Query depth limit of 12 exceeded, found 13.');
    expect(await requestCount()).toBe(before);

    const atLimit = await t.gql(requestQuotesSelecting(nestedOnQuoteRequest(10)), { input: requestInput() }, consumer.token);
    expect(atLimit.errors).toBeUndefined();
    expect(await requestCount()).toBe(before + 1);
  });

  it('WebSocket: refuses a 13-level subscription', async () => {
    const answer = await overWebSocket(`subscription { quoteRequestFeed { quoteRequest { ${nestedOnQuoteRequest(11)} } } }`);

    expectRefusedOverWebSocket(answer, 'GRAPHQL_VALIDATION_FAILED', 'Query depth limit of 12 exceeded, found 13.');
  });
});

describe('aliases (at most 15)', () => {
  it('HTTP: refuses 16 aliased mutations before any runs, and runs 15', async () => {
    const before = await designCount();
    const aliased = (n: number) =>
      `mutation { ${times(n, (i) => `d${i}: createDesign(input: { title: "Alias ${i}", category: RING }) { errors { code } }`)} }`;

    expectRefused(await t.gql(aliased(16), {}, designer.token), 'GRAPHQL_VALIDATION_FAILED', 'Aliases limit of 15 exceeded, found 16.');
    expect(await designCount()).toBe(before);

    const atLimit = await t.gql(aliased(15), {}, designer.token);
    expect(atLimit.errors).toBeUndefined();
    expect(await designCount()).toBe(before + 15);
  });

  it('WebSocket: refuses a subscription with 16 aliases', async () => {
    const answer = await overWebSocket(`subscription { quoteRequestFeed { ${times(16, (i) => `c${i}: cursor`)} } }`);

    expectRefusedOverWebSocket(answer, 'GRAPHQL_VALIDATION_FAILED', 'Aliases limit of 15 exceeded, found 16.');
  });
});

describe('directives (at most 10)', () => {
  it('HTTP: refuses 11 @include directives before anything runs, and runs 10', async () => {
    const before = await designCount();
    const withDirectives = (n: number) => createDesignSelecting(`design { ${times(n, () => 'id @include(if: true)')} }`);

    expectRefused(await t.gql(withDirectives(11), { input: newDesign }, designer.token), 'GRAPHQL_VALIDATION_FAILED', 'Directives limit of 10 exceeded, found 11.');
    expect(await designCount()).toBe(before);

    const atLimit = await t.gql(withDirectives(10), { input: newDesign }, designer.token);
    expect(atLimit.errors).toBeUndefined();
    expect(await designCount()).toBe(before + 1);
  });

  it('WebSocket: refuses a subscription with 11 directives', async () => {
    const answer = await overWebSocket(`subscription { quoteRequestFeed { ${times(11, () => 'cursor @include(if: true)')} } }`);

    expectRefusedOverWebSocket(answer, 'GRAPHQL_VALIDATION_FAILED', 'Directives limit of 10 exceeded, found 11.');
  });
});

describe('tokens (at most 3000)', () => {
  it('HTTP: refuses a document of more than 3000 tokens at parsing, with a 400 (not a server error)', async () => {
    const before = await designCount();

    const res = await t.gql(createDesignSelecting(`design { ${times(3000, () => 'id')} }`), { input: newDesign }, designer.token);

    expectRefused(res, 'GRAPHQL_PARSE_FAILED', /more th\w+ 3000 tokens/);
    expect(await designCount()).toBe(before);
  });

  it('WebSocket: refuses a subscription of more than 3000 tokens', async () => {
    const answer = await overWebSocket(`subscription { quoteRequestFeed { ${times(3000, () => 'cursor')} } }`);

    expectRefusedOverWebSocket(answer, 'GRAPHQL_PARSE_FAILED', /more th\w+ 3000 tokens/);
  });
});

describe('cost (at most 20,000; a list multiplies by `first`, or by 20 when it has no `first`)', () => {
  const imagesAndOptions = 'edges { node { images { url altText position } options { name values } } }';

  it('HTTP: refuses two pages of 100 designs with their images and options, and runs one', async () => {
    const onePage = `designs(first: 100) { ${imagesAndOptions} }`;

    const twoPages = await t.gql(`{ a: ${onePage} b: ${onePage} }`);

    expectRefused(twoPages, 'TOO_COMPLEX', /^This query would cost \d+, over the limit of 20000\./);
    const single = await t.gql(`{ ${onePage} }`);
    expect(single.errors).toBeUndefined();
    expect(single.status).toBe(200);
  });

  it('HTTP: counts a page size given as a variable, sent or left to its declared default', async () => {
    const pages = (first: string) => `query ($n: Int${first}) { a: designs(first: $n) { ${imagesAndOptions} } b: designs(first: $n) { ${imagesAndOptions} } }`;
    expectRefused(await t.gql(pages(''), { n: 100 }), 'TOO_COMPLEX', /over the limit of 20000/);
    expectRefused(await t.gql(pages(' = 100')), 'TOO_COMPLEX', /over the limit of 20000/);
    // A value sent wins over the default: two pages of 5 run.
    const small = await t.gql(pages(' = 100'), { n: 5 });
    expect(small.errors).toBeUndefined();
  });

  it('HTTP: refuses lists nested in lists before a mutation runs', async () => {
    const before = await requestCount();
    const nestedLists = 'estimates { quoteRequest { estimates { lineItems { label amount { amount currencyCode } } } } }';

    const res = await t.gql(requestQuotesSelecting(nestedLists), { input: requestInput() }, consumer.token);

    expectRefused(res, 'TOO_COMPLEX', /over the limit of 20000/);
    expect(await requestCount()).toBe(before);
  });

  it('WebSocket: refuses a subscription with lists nested in lists', async () => {
    const answer = await overWebSocket(
      'subscription { quoteRequestFeed { quoteRequest { estimates { quoteRequest { estimates { lineItems { label amount { amount currencyCode } } } } } } } }',
    );

    expectRefusedOverWebSocket(answer, 'TOO_COMPLEX', /over the limit of 20000/);
  });
});

describe('page size (`first` at most 100)', () => {
  it('HTTP: refuses first: 101 with BAD_USER_INPUT', async () => {
    const res = await t.gql('{ designs(first: 101) { totalCount } }');

    expect(res.errors).toMatchObject([{ message: '`first` must be between 0 and 100', extensions: { code: 'BAD_USER_INPUT' } }]);
    expect(res.data).toBeNull();
  });

  it('WebSocket: refuses first: 101 with BAD_USER_INPUT', async () => {
    const answer = await overWebSocket('{ designs(first: 101) { totalCount } }');

    expect(answer).toEqual({
      result: { data: null, errors: [expect.objectContaining({ message: '`first` must be between 0 and 100', extensions: { code: 'BAD_USER_INPUT' } })] },
    });
  });
});

describe('lists in the input', () => {
  it('refuses a request for quotes on more than 20 items in the payload (INVALID_INPUT), creating nothing', async () => {
    const before = await requestCount();
    const items = Array.from({ length: 21 }, () => ({ designId, quantity: 1 }));

    const res = await t.gql(requestQuotesSelecting('id'), { input: { ...requestInput(), items } }, consumer.token);

    expect(res.errors).toBeUndefined();
    expect(res.data).toEqual({ requestQuotes: { quoteRequest: null, errors: [{ code: 'INVALID_INPUT' }] } });
    expect(await requestCount()).toBe(before);
  });

  it('HTTP: refuses a variable list of more than 100 entries before execution', async () => {
    const before = await designCount();
    const tags = Array.from({ length: 101 }, (_, i) => `tag${i}`);

    const res = await t.gql(createDesignSelecting('design { id }'), { input: { ...newDesign, tags } }, designer.token);

    expectRefused(res, 'BAD_USER_INPUT', '$input.tags has more than 100 entries.');
    expect(await designCount()).toBe(before);
  });

  it('HTTP: refuses a list of more than 100 entries written in the query', async () => {
    const tags = times(101, (i) => `"tag${i}"`);

    const res = await t.gql(`mutation { createDesign(input: { title: "Literal", category: RING, tags: [${tags}] }) { errors { code } } }`, {}, designer.token);

    expectRefused(res, 'BAD_USER_INPUT', 'A list in the query has more than 100 entries.');
  });

  it('WebSocket: refuses a variable list of more than 100 entries before execution', async () => {
    const before = await designCount();
    const tags = Array.from({ length: 101 }, (_, i) => `tag${i}`);

    const answer = await overWebSocket(createDesignSelecting('design { id }'), { input: { ...newDesign, tags } }, designer.token);

    expectRefusedOverWebSocket(answer, 'BAD_USER_INPUT', '$input.tags has more than 100 entries.');
    expect(await designCount()).toBe(before);
  });
});

describe('nesting in the input (at most 20 levels)', () => {
  // A few kilobytes of [[[[...]]]] used to overflow the stack of the input check: a 500 on HTTP, 4500 on WebSocket.
  // Written out by hand: JSON.stringify itself would overflow on it.
  const nestedJson = (levels: number) => `${'['.repeat(levels)}"x"${']'.repeat(levels)}`;
  const search = JSON.stringify('query($s: String) { designs(filter: { search: $s }) { totalCount } }');

  it('HTTP: refuses a variable nested 5,000 levels deep with BAD_USER_INPUT', async () => {
    const res = await fetch(t.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: `{"query":${search},"variables":{"s":${nestedJson(5000)}}}`,
    });

    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ errors: [{ message: '$s is nested more than 20 levels deep.', extensions: { code: 'BAD_USER_INPUT' } }] });
  });

  it('WebSocket: refuses a variable nested 5,000 levels deep, and the socket stays open', async () => {
    const socket = new WebSocket(wsUrl(t.url), 'graphql-transport-ws');
    const messages: unknown[] = [];
    let arrived = () => {};
    socket.on('message', (data) => {
      messages.push(JSON.parse(String(data)));
      arrived();
    });
    socket.on('close', (code) => {
      messages.push({ closed: code });
      arrived();
    });
    const received = (count: number) =>
      new Promise<void>((resolve) => {
        arrived = () => (messages.length >= count || socket.readyState === WebSocket.CLOSED) && resolve();
        arrived();
      });
    await new Promise((resolve) => socket.once('open', resolve));

    socket.send(JSON.stringify({ type: 'connection_init' }));
    await received(1);
    socket.send(`{"id":"deep","type":"subscribe","payload":{"query":${search},"variables":{"s":${nestedJson(5000)}}}}`);
    await received(2);
    socket.send(JSON.stringify({ id: 'after', type: 'subscribe', payload: { query: '{ __typename }' } }));
    await received(3);

    expect(messages.slice(0, 3)).toEqual([
      { type: 'connection_ack' },
      { id: 'deep', type: 'error', payload: [{ message: '$s is nested more than 20 levels deep.', extensions: { code: 'BAD_USER_INPUT' } }] },
      { id: 'after', type: 'next', payload: { data: { __typename: 'Query' } } },
    ]);
    socket.close();
  });
});

describe('string length (at most 20,000 characters, except an import file)', () => {
  it('HTTP: refuses a 20,001-character string in a variable before execution', async () => {
    const before = await designCount();

    const res = await t.gql(createDesignSelecting('design { id }'), { input: { ...newDesign, description: 'x'.repeat(20_001) } }, designer.token);

    expectRefused(res, 'BAD_USER_INPUT', '$input.description is longer than 20000 characters.');
    expect(await designCount()).toBe(before);
  });

  it('WebSocket: refuses a 20,001-character string in a subscription variable', async () => {
    const answer = await overWebSocket('subscription($after: String) { quoteRequestFeed(after: $after) { cursor } }', { after: '1'.repeat(20_001) });

    expectRefusedOverWebSocket(answer, 'BAD_USER_INPUT', '$after is longer than 20000 characters.');
  });

  it('accepts a 1 MB Shopify CSV as importDesigns content, and imports every product', async () => {
    const body = 'Hand-finished in recycled gold, polished by hand. '.repeat(96);
    const header = 'Handle,Title,Body (HTML),Type,Tags,Variant Price';
    const rows: string[] = [];
    while ([header, ...rows].join('\n').length < 1024 * 1024) {
      rows.push(`bulk-ring-${rows.length},Bulk Ring ${rows.length},"<p>${body}</p>",Ring,Gold,100.00`);
    }
    const content = [header, ...rows].join('\n');
    expect(Buffer.byteLength(content)).toBeGreaterThanOrEqual(1024 * 1024);

    const res = await t.gql(
      'mutation($input: ImportDesignsInput!) { importDesigns(input: $input) { importedCount errors { code message } } }',
      { input: { format: 'SHOPIFY_CSV', content } },
      designer.token,
    );

    expect(res.errors).toBeUndefined();
    expect(res.data).toEqual({ importDesigns: { importedCount: rows.length, errors: [] } });
  });
});

describe('message size', () => {
  it('HTTP: refuses a body over 6 MB with 413, without running it', async () => {
    const before = await designCount();
    const body = JSON.stringify({
      query: createDesignSelecting('design { id }'),
      variables: { input: newDesign, padding: 'x'.repeat(6.5 * 1024 * 1024) },
    });

    const res = await fetch(t.url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${designer.token}` }, body });

    expect(res.status).toBe(413);
    expect(await res.json()).toEqual({ errors: [{ message: 'The request body is larger than 6mb.', extensions: { code: 'BAD_REQUEST' } }] });
    expect(await designCount()).toBe(before);
  });

  it('WebSocket: closes the socket with 1009 (message too big) on a message over 1 MiB', async () => {
    const answer = await overWebSocket('subscription($after: String) { quoteRequestFeed(after: $after) { cursor } }', { after: 'x'.repeat(1024 * 1024) });

    expect(answer).toEqual({ closed: 1009 });
  });
});

describe('what the product sends stays within the limits', () => {
  it('HTTP: a page of 100 designs with designer, images, options and prices', async () => {
    const res = await t.gql(`{
      designs(first: 100) {
        totalCount
        pageInfo { hasNextPage endCursor }
        edges { cursor node {
          id title description category materials gemstones tags status createdAt
          designer { id displayName }
          images { url altText position }
          options { name values }
          referencePrice { amount currencyCode }
          priceRange { min { amount currencyCode } max { amount currencyCode } }
        } }
      }
    }`);

    expect(res.errors).toBeUndefined();
    expect(res.status).toBe(200);
    expect((res.data as { designs: { totalCount: number } }).designs.totalCount).toBeGreaterThan(0);
  });

  it('WebSocket: the manufacturer feed receives a new request', async () => {
    const feed = await subscribe(t.url, maker.token, QuoteRequestFeedDocument);

    const request = await requestQuotes(t.gql, consumer, requestInput());

    const [event] = await feed.waitFor(1);
    expect(event.quoteRequestFeed).toMatchObject({ type: 'REQUESTED', quoteRequest: { id: request.id } });
    expect(feed.errors).toEqual([]);
    await feed.close();
  });
});

describe('client mistakes found while running are reported as such, not masked as server errors', () => {
  it('HTTP: an explicit null for a non-null argument with a default is BAD_USER_INPUT, on every run', async () => {
    const query = 'query ($id: ID = "0d9f5a4e-0000-4000-8000-000000000000") { design(id: $id) { id } }';
    for (let i = 0; i < 3; i++) {
      const res = await t.gql(query, { id: null });
      expect(res.errors).toEqual([
        expect.objectContaining({ message: 'Argument "id" of non-null type "ID!" must not be null.', path: ['design'], extensions: { code: 'BAD_USER_INPUT' } }),
      ]);
    }
  });

  it('WebSocket: an operation name that is not in the document, or none for several, is OPERATION_RESOLUTION_FAILURE as on HTTP', async () => {
    expectRefusedOverWebSocket(await overWebSocket('subscription A { quoteRequestFeed { type } }', {}, maker.token, 'Z'), 'OPERATION_RESOLUTION_FAILURE', 'Unknown operation named "Z".');
    expectRefusedOverWebSocket(
      await overWebSocket('subscription A { quoteRequestFeed { type } } subscription B { quoteRequestFeed { type } }', {}, maker.token),
      'OPERATION_RESOLUTION_FAILURE',
      'Must provide operation name if query contains multiple operations.',
    );
  });
});

