// The compiled executor (graphql-jit, src/graphql/compiled-execution.ts) must answer exactly as graphql-js
// does: same data, same errors (message, path, locations, code), for every viewer. graphql-jit reads a field
// without a resolver as a plain synchronous property, so a field whose value is a Promise or a getter that
// loads something would come out wrong only on the compiled path; the whole-schema queries below select every
// field reachable from each root field, so such a field fails here however it was added.
import {
  execute,
  getNamedType,
  getOperationAST,
  isEnumType,
  isObjectType,
  isScalarType,
  parse,
  print,
  validate,
  type DocumentNode,
  type GraphQLObjectType,
} from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CompiledExecution } from '../src/graphql/compiled-execution.js';
import { createContext, type AuthUser } from '../src/server/context.js';
import {
  AcceptEstimateDocument,
  ArchiveDesignDocument,
  DeclineQuoteRequestDocument,
  DesignDocument,
  DesignsDocument,
  ImportDesignsDocument,
  IncomingQuoteRequestsDocument,
  MeDocument,
  MyMatchesDocument,
  MyQuoteRequestsDocument,
  QuoteRequestDocument,
} from './generated/graphql.js';
import { startTestApp, type TestApp } from './support/app.js';
import { readShopifyExport } from './support/shopify-export.js';
import { createDesign, inDays, requestQuotes, submitEstimate } from './support/quoting.js';
import { signUp, signUpManufacturer, type TestUser } from './support/users.js';


let t: TestApp;
const viewers: Record<string, TestUser | null> = {};
const ids: Record<string, string> = {};

beforeAll(async () => {
  t = await startTestApp();
  // Given a designer's real Shopify catalog and one archived design, two manufacturers, a consumer whose
  // request got two estimates (one revised) and a decline, and a match with one of them.
  const designer = await signUp(t.gql, 'DESIGNER', 'Company 123');
  const imported = await t.gql(ImportDesignsDocument, { input: { format: 'SHOPIFY_CSV', content: readShopifyExport() } }, designer.token);
  expect(imported.data!.importDesigns.importedCount).toBe(20);
  const [first, second] = imported.data!.importDesigns.designs;
  const archived = await createDesign(t.gql, designer, 'Archived ring', 'RING');
  expect((await t.gql(ArchiveDesignDocument, { id: archived.id }, designer.token)).data!.archiveDesign.errors).toEqual([]);

  const aurum = await signUpManufacturer(t.gql, [first.category, second.category], 'Aurum');
  const silverline = await signUpManufacturer(t.gql, [first.category, second.category], 'Silverline');
  const idle = await signUpManufacturer(t.gql, [first.category, second.category], 'Idle Works');
  const consumer = await signUp(t.gql, 'CONSUMER', 'Casey');
  const other = await signUp(t.gql, 'CONSUMER', 'Other Consumer');

  const request = await requestQuotes(t.gql, consumer, {
    items: [
      { designId: first.id, quantity: 2, options: [], note: 'Engraved' },
      { designId: second.id, quantity: 1, options: [] },
    ],
    note: 'For a wedding',
    budget: { amount: '900', currencyCode: 'USD' },
    neededBy: inDays(60),
  });
  await submitEstimate(t.gql, silverline, request.id, '700.00');
  await submitEstimate(t.gql, aurum, request.id, '650.00');
  const revised = await submitEstimate(t.gql, aurum, request.id, '620.00', 21);
  expect((await t.gql(DeclineQuoteRequestDocument, { id: request.id, reason: 'Fully booked' }, idle.token)).data!.declineQuoteRequest.errors).toEqual([]);
  const open = await requestQuotes(t.gql, consumer, { items: [{ designId: second.id, quantity: 3, options: [] }], note: 'Still open' });
  await submitEstimate(t.gql, silverline, open.id, '300.00');
  const accepted = await t.gql(AcceptEstimateDocument, { estimateId: revised.id }, consumer.token);
  expect(accepted.data!.acceptEstimate.errors).toEqual([]);

  Object.assign(viewers, { anonymous: null, designer, consumer, other, aurum, silverline, idle });
  Object.assign(ids, { design: first.id, archived: archived.id, request: request.id, open: open.id, designer: designer.id });
}, 120_000);
afterAll(() => t?.stop());

async function authOf(viewer: TestUser | null): Promise<AuthUser | null> {
  if (!viewer) return null;
  const user = await t.app.services.tokens.fromAuthorizationHeader(`Bearer ${viewer.token}`);
  if (!user || user === 'invalid') throw new Error('test token did not verify');
  return user;
}

/** The same operation through graphql-js and through the compiled executor, each with a fresh context. */
async function bothWays(typed: DocumentNode, variables: Record<string, unknown>, viewer: TestUser | null) {
  // Parsed from text as Apollo does, so errors carry source locations (codegen's documents have none).
  const document = parse(print(typed));
  expect(validate(t.app.schema, document)).toEqual([]);
  const operation = getOperationAST(document);
  const user = await authOf(viewer);
  const context = () => createContext(t.app.orm.em, user, '127.0.0.1', t.app.services.feeds);
  const interpreted = await execute({ schema: t.app.schema, document, variableValues: variables, contextValue: context() });
  // compileOn: 1, so the very first run is compiled; the stats prove it did not fall back.
  const compiledExecution = new CompiledExecution(t.app.schema, { compileOn: 1 });
  const compiled = await compiledExecution.execute({
    document,
    operation: operation ?? undefined,
    operationName: undefined,
    variables,
    contextValue: context(),
  });
  expect(compiledExecution.stats).toEqual({ compiled: 1, compiledRuns: 1, interpretedRuns: 0 });
  return { interpreted: JSON.parse(JSON.stringify(interpreted)), compiled: JSON.parse(JSON.stringify(compiled)) };
}

/** Every field reachable from `type`, `depth` levels down (fields that need arguments are left out). */
function everyField(type: GraphQLObjectType, depth: number): string {
  const parts: string[] = ['__typename'];
  for (const field of Object.values(type.getFields())) {
    if (field.args.some((a) => a.type.toString().endsWith('!'))) continue;
    const named = getNamedType(field.type);
    if (isScalarType(named) || isEnumType(named)) parts.push(field.name);
    else if (isObjectType(named) && depth > 0) parts.push(`${field.name} { ${everyField(named, depth - 1)} }`);
  }
  return parts.join(' ');
}

function wholeSchemaQuery(root: string, args: string): DocumentNode {
  const field = t.app.schema.getQueryType()!.getFields()[root];
  const type = getNamedType(field.type) as GraphQLObjectType;
  return parse(`{ ${root}${args} { ${everyField(type, 5)} } }`);
}

const ROOTS: Array<[string, (ids: Record<string, string>) => string]> = [
  ['me', () => ''],
  ['design', (i) => `(id: "${i.design}")`],
  ['designs', () => '(first: 8)'],
  ['quoteRequest', (i) => `(id: "${i.request}")`],
  ['myQuoteRequests', () => '(first: 5)'],
  ['incomingQuoteRequests', () => '(first: 5)'],
  ['myMatches', () => '(first: 5)'],
];

describe('compiled execution', () => {
  it('selects every field of the schema and answers like graphql-js for every viewer', async () => {
    expect(ROOTS.map(([root]) => root).sort()).toEqual(Object.keys(t.app.schema.getQueryType()!.getFields()).sort());
    let compared = 0;
    for (const [root, args] of ROOTS) {
      const document = wholeSchemaQuery(root, args(ids));
      for (const [name, viewer] of Object.entries(viewers)) {
        const { interpreted, compiled } = await bothWays(document, {}, viewer);
        expect(compiled, `${root} as ${name}:\n${print(document)}`).toEqual(interpreted);
        compared += 1;
      }
    }
    expect(compared).toBe(ROOTS.length * Object.keys(viewers).length);
  });

  it('answers the clients operations like graphql-js, data and errors alike', async () => {
    // A sanity check that the viewers see real data (an all-null comparison would prove nothing).
    const seen = await bothWays(QuoteRequestDocument, { id: ids.request }, viewers.consumer);
    expect(seen.compiled.data.quoteRequest.estimates.map((e: { price: { amount: string } }) => e.price.amount)).toEqual(['700.00', '620.00']);
    expect(seen.compiled.data.quoteRequest.items[0].design.current).toMatchObject({ id: ids.design });

    const cases: Array<[string, DocumentNode, Record<string, unknown>, string[]]> = [
      ['me', MeDocument, {}, Object.keys(viewers)],
      ['design', DesignDocument, { id: ids.design }, ['anonymous', 'designer', 'aurum']],
      ['archived design', DesignDocument, { id: ids.archived }, ['anonymous', 'designer', 'consumer']],
      ['design, not an id', DesignDocument, { id: 'nope' }, ['anonymous']],
      ['designs', DesignsDocument, { first: 4 }, ['anonymous', 'designer']],
      ['designs by designer', DesignsDocument, { first: 30, filter: { designerId: ids.designer } }, ['anonymous', 'designer']],
      ['designs, search', DesignsDocument, { first: 10, filter: { search: 'necklace' } }, ['anonymous']],
      ['designs, first too large', DesignsDocument, { first: 500 }, ['anonymous']],
      ['designs, bad cursor', DesignsDocument, { first: 2, after: 'not-a-cursor' }, ['anonymous']],
      ['quote request', QuoteRequestDocument, { id: ids.request }, Object.keys(viewers)],
      ['open quote request', QuoteRequestDocument, { id: ids.open }, ['consumer', 'silverline', 'aurum', 'other']],
      ['my quote requests', MyQuoteRequestsDocument, { first: 5 }, ['consumer', 'other', 'anonymous', 'aurum']],
      ['my open quote requests', MyQuoteRequestsDocument, { first: 5, status: 'OPEN' }, ['consumer']],
      ['incoming', IncomingQuoteRequestsDocument, { first: 5 }, ['aurum', 'silverline', 'idle', 'consumer', 'anonymous']],
      ['my matches', MyMatchesDocument, { first: 5 }, ['consumer', 'aurum', 'silverline', 'anonymous']],
    ];
    for (const [label, document, variables, who] of cases) {
      for (const name of who) {
        const { interpreted, compiled } = await bothWays(document, variables, viewers[name]);
        expect(compiled, `${label} as ${name}`).toEqual(interpreted);
      }
    }
    // The error cases above did produce errors (with locations and codes) on both paths.
    const tooLarge = await bothWays(DesignsDocument, { first: 500 }, null);
    expect(tooLarge.compiled.errors).toEqual([
      expect.objectContaining({ path: ['designs'], locations: [expect.objectContaining({ line: expect.any(Number) })], extensions: expect.objectContaining({ code: 'BAD_USER_INPUT' }) }),
    ]);
    const anonymous = await bothWays(MyMatchesDocument, { first: 5 }, null);
    expect(anonymous.compiled.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    const wrongRole = await bothWays(IncomingQuoteRequestsDocument, { first: 5 }, viewers.consumer);
    expect(wrongRole.compiled.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });

  it('honours aliases, fragments and @skip/@include with variables like graphql-js', async () => {
    const document = parse(`
      query Shapes($withImages: Boolean!, $noDesigner: Boolean!) {
        a: designs(first: 3) { edges { cursor node { ...D } } pageInfo { hasNextPage endCursor } totalCount }
        b: designs(first: 2, filter: { category: NECKLACE }) { edges { node { id name: title } } }
        me { __typename id }
      }
      fragment D on Design {
        id
        images @include(if: $withImages) { url position }
        designer @skip(if: $noDesigner) { displayName }
        ... on Design { referencePrice { amount currencyCode } }
      }`);
    for (const variables of [
      { withImages: true, noDesigner: false },
      { withImages: false, noDesigner: true },
    ]) {
      const { interpreted, compiled } = await bothWays(document, variables, viewers.designer);
      expect(compiled).toEqual(interpreted);
      expect(compiled.data.a.edges).toHaveLength(3);
    }
  });

  it('refuses variables of the wrong shape on every run, as graphql-js does', async () => {
    const query = 'query Cat($fl: DesignFilter, $n: Int) { designs(first: $n, filter: $fl) { totalCount } }';
    for (const variables of [{ fl: [] }, { fl: 'RING' }, { fl: { category: 'NOT_A_CATEGORY' } }, { n: '5' }, { n: 1.5 }, { fl: { nope: 1 } }]) {
      const runs = [];
      for (let i = 0; i < 3; i++) runs.push(await t.gql(query, variables));
      expect(runs[0].status, JSON.stringify(variables)).toBe(400);
      expect(runs[0].errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
      expect(runs[1], JSON.stringify(variables)).toEqual(runs[0]);
      expect(runs[2], JSON.stringify(variables)).toEqual(runs[0]);
    }
    // and the same document with fitting variables runs (compiled, from its second run)
    expect((await t.gql<{ designs: { totalCount: number } }>(query, { fl: { category: 'RING' }, n: 1 })).data?.designs.totalCount).toEqual(expect.any(Number));
  });

  it('serves repeated HTTP queries compiled, with the same answers as their first, interpreted run', async () => {
    const before = t.app.server.executionStats();
    const query = '{ designs(first: 5) { edges { node { id title referencePrice { amount currencyCode } designer { displayName } } } } }';
    const answers = [];
    for (let i = 0; i < 3; i++) answers.push(await t.gql(query));
    const after = t.app.server.executionStats();
    expect(answers[0].data).toBeTruthy();
    expect(answers[1]).toEqual(answers[0]);
    expect(answers[2]).toEqual(answers[0]);
    expect(after.compiled - before.compiled).toBe(1);
    expect(after.compiledRuns - before.compiledRuns).toBe(2);
    expect(after.interpretedRuns - before.interpretedRuns).toBe(1);
  });

  it('runs every query on graphql-js, and says so once, when the compiler cannot be loaded', async () => {
    const document = parse('{ designs(first: 3) { edges { node { id title } } } }');
    const operation = getOperationAST(document)!;
    const failures: unknown[] = [];
    const compiledExecution = new CompiledExecution(t.app.schema, {
      loadCompiler: () => Promise.reject(new Error("Cannot find package 'graphql-jit'")),
      onCompilerUnavailable: (error) => failures.push(error),
    });
    compiledExecution.preload();
    const context = () => createContext(t.app.orm.em, null, '127.0.0.1', t.app.services.feeds);
    const expected = JSON.parse(JSON.stringify(await execute({ schema: t.app.schema, document, contextValue: context() })));
    const runs = await Promise.all(
      Array.from({ length: 4 }, () => compiledExecution.execute({ document, operation, operationName: undefined, variables: {}, contextValue: context() })),
    );
    runs.push(await compiledExecution.execute({ document, operation, operationName: undefined, variables: {}, contextValue: context() }));
    for (const run of runs) expect(JSON.parse(JSON.stringify(run))).toEqual(expected);
    expect(compiledExecution.stats).toEqual({ compiled: 0, compiledRuns: 0, interpretedRuns: 5 });
    expect(failures).toHaveLength(1);
  });
});
