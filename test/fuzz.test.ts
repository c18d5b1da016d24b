// Fuzzing every mutation (issue "Security and privacy", item 7): random and malformed input, sent by every
// kind of caller over real HTTP, must never crash the server (no 5xx, no INTERNAL_SERVER_ERROR), never let
// a caller without the right role act, and never break the database's invariants.
//
// The mutation names come from the built schema: a mutation without a generator below fails the test.
// A small world is built first (designers with designs, consumers with open requests, manufacturers who are
// recipients, estimates, a decline, a match, a cancel, a withdrawal). Then batches of 1-4 calls are sent at
// once, by anonymous callers, callers with a bad token, and signed-in users of every role (mostly the role
// the mutation is for). Two thirds of the calls are well typed and reach the resolvers with odd values; the
// rest also carry wrong types, NUL, over-long input and unknown fields; a few are broken HTTP requests.
// Values that depend on the world are symbolic ({ $ref: 'estimate', scope: 'other', pick }) and resolved just
// before sending, so a counterexample reads well. After every batch the database invariants are checked.
//
// FUZZ_RUNS: batches (default 130, about 300 calls); FUZZ_SEED: the seed (default fixed, printed on failure);
// FUZZ_COLLECT=1: list every distinct failure instead of stopping at the first; FUZZ_LOG=file: log every call.
import fc from 'fast-check';
import {
  Lexer,
  Source,
  TokenKind,
  getNamedType,
  getNullableType,
  isEnumType,
  isInputObjectType,
  isLeafType,
  isListType,
  isNonNullType,
  isObjectType,
  parse,
  type GraphQLArgument,
  type GraphQLField,
  type GraphQLInputType,
  type GraphQLObjectType,
} from 'graphql';
import { appendFileSync } from 'node:fs';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkOperation } from '../src/server/limits.js';
import { DEFAULT_LIMITS } from '../src/server/limits-defaults.js';
import {
  AcceptEstimateDocument,
  ArchiveDesignDocument,
  CancelQuoteRequestDocument,
  DeclineQuoteRequestDocument,
  WithdrawEstimateDocument,
} from './generated/graphql.js';
import { startTestApp, type TestApp } from './support/app.js';
import { createDesign, requestQuotes, submitEstimate } from './support/quoting.js';
import { PASSWORD, signUp, signUpManufacturer, type TestUser } from './support/users.js';

type Role = 'DESIGNER' | 'CONSUMER' | 'MANUFACTURER';
const ROLES: Role[] = ['DESIGNER', 'CONSUMER', 'MANUFACTURER'];
const CATEGORIES = ['RING', 'NECKLACE', 'EARRINGS', 'BRACELET', 'PENDANT', 'BROOCH', 'OTHER'] as const;
const DAY = 24 * 3600 * 1000;

const RUNS = Number(process.env.FUZZ_RUNS ?? 130);
const SEED = Number(process.env.FUZZ_SEED ?? 20261203);
/** FUZZ_COLLECT=1: keep going after a failure and list every distinct one at the end (for hunting, not CI). */
const COLLECT = process.env.FUZZ_COLLECT === '1';
const collected = new Set<string>();

// ------------------------------------------------------------------------------------------------ world

type WorldUser = TestUser;
interface WorldDesign {
  id: string;
  designerId: string;
  options: Array<{ name: string; values: string[] }>;
  archived?: boolean;
}
interface WorldRequest {
  id: string;
  consumerId: string;
  recipientIds: string[];
}
interface WorldEstimate {
  id: string;
  requestId: string;
  manufacturerId: string;
}

/** Everything the generators can point at; grows with what the fuzzed mutations create. */
class World {
  users: WorldUser[] = [];
  designs: WorldDesign[] = [];
  requests: WorldRequest[] = [];
  estimates: WorldEstimate[] = [];

  ofRole(role: Role): WorldUser[] {
    return this.users.filter((u) => u.role === role);
  }
  user(id: string): WorldUser | undefined {
    return this.users.find((u) => u.id === id);
  }
  request(id: string): WorldRequest | undefined {
    return this.requests.find((r) => r.id === id);
  }
  addDesign(design: WorldDesign): void {
    const known = this.designs.find((d) => d.id === design.id);
    if (known) known.options = design.options;
    else this.designs.push(design);
  }
}

// ------------------------------------------------------------------------------------------------ symbols

type Scope = 'mine' | 'other' | 'any';
type RefKind = 'design' | 'activeDesign' | 'request' | 'estimate' | 'manufacturer' | 'consumer' | 'designer';
/** A real id from the world, chosen when the call is sent: the caller's own object, someone else's, or any. */
interface Ref {
  $ref: RefKind;
  scope: Scope;
  pick: number;
  /** Send the id in upper case (PostgreSQL's uuid does not care; string comparisons in code might). */
  upper: boolean;
}
/** An e-mail of a real user, possibly with its case changed. */
interface EmailRef {
  $email: number;
  variant: 'same' | 'upper' | 'spaced';
}
/** A time this many milliseconds from when the call is sent. */
interface InMs {
  $inMs: number;
}
/** Valid options for the design chosen in the same item. */
interface ValidOptions {
  $validOptions: number;
}

// ------------------------------------------------------------------------------------------------ generators

/** fc.oneof with weights; a pair of weight 0 is left out (see `dirt` below). */
const weighted = <T>(...pairs: Array<[number, fc.Arbitrary<T>]>): fc.Arbitrary<T> =>
  fc.oneof(...pairs.filter(([weight]) => weight > 0).map(([weight, arbitrary]) => ({ weight, arbitrary })));

const NASTY = [
  '',
  ' ',
  '\t\n\r ',
  '\uD800',
  'x\uDFFFy',
  '\uDBFF\uDFFF',
  '\u202Eevil\u202C',
  '\u200B\u200D\uFEFF',
  '\u2028\u2029',
  '\u0001\u0007\u001B[31m\u007F',
  'İstanbul',
  'ΣΑΣ',
  'Straße ẞ',
  'ﬁ ﷽',
  '👩‍👩‍👧‍👦💍✨',
  'e\u0301\u0301\u0301',
  "'; drop table users; --",
  '" or ""="',
  'a,b{c}"d\\e',
  '%s%n%x',
  '${7*7}{{7*7}}',
  '<script>alert(1)</script>',
  '\\u0000',
  '\\',
  'null',
  'NULL',
  'undefined',
  '__proto__',
  'NaN',
  'a'.repeat(61),
  'b'.repeat(201),
  'c'.repeat(2001),
  'é'.repeat(10_001),
  '💍'.repeat(150),
];
/** Text that means something to a layer below: SQL NULL, array and JSON syntax, escapes. */
const LAYER_SPECIAL = ['null', 'NULL', 'Null', 'a,b', '{x}', '"quoted"', 'back\\slash', '\\"', '[]', '{}', 'true', '0', '-0', ' padded '];
const WORDS = ['Twisted', 'Band', 'Solitaire', 'Halo', 'Gold', 'Silver', 'Rose', 'Vintage', 'Pavé', 'Oval', 'Emerald', 'Classic', 'Chain', 'Stud'];
const BAD_IDS = ['', ' ', 'abc', '1', '-1', '00000000-0000-0000-0000-000000000000', 'ffffffff-ffff-ffff-ffff-ffffffffffff', "1' or '1'='1", '{}', 'null'];
const OTHER_KIND: Record<RefKind, RefKind[]> = {
  design: ['request', 'estimate', 'designer'],
  activeDesign: ['design', 'request', 'designer'],
  request: ['design', 'estimate', 'consumer'],
  estimate: ['request', 'design', 'manufacturer'],
  manufacturer: ['consumer', 'designer', 'estimate'],
  consumer: ['manufacturer', 'request'],
  designer: ['design', 'consumer'],
};
const cents = (n: number) => `${Math.floor(n / 100)}.${String(n % 100).padStart(2, '0')}`;
/** Decimals the Decimal scalar accepts but money rules refuse (or must treat with care). */
const ODD_DECIMALS = ['-0', '-0.00', '0', '0.00', '0.001', '-5.00', '1.2345', '1.234', '100.5', ' 12.50 ', '999999999999999.99', '99999999999999.99', '100000000000000', '000000000000012.00', '0.000001'];
/** Decimals the scalar refuses: exponents, NaN, separators, other digits. */
const BAD_DECIMALS = ['1e5', 'NaN', 'Infinity', '-Infinity', '1.', '.5', '1,000.00', '', ' ', '0x10', '1_000', '１２', '+5', '--5', '5-', '12.3456789'];
const CURRENCIES = ['USD', 'EUR', 'JPY', 'BHD', 'usd', ' USD ', 'US', 'USDX', 'XXX', 'XTS', 'ZZZ', '', '€', '123', 'ＵＳＤ'];
/** Times the DateTime scalar accepts that the rules must refuse or handle: past, far future, rolled-over days. */
const ODD_DATES = [
  '2020-01-01T00:00:00Z', '1970-01-01T00:00:00.000Z', '0000-01-01T00:00:00Z', '9999-12-31T23:59:59.999Z', '9999-12-31T23:59:59-23:59',
  '2026-02-30T00:00:00Z', '2030-01-01T24:00:00Z', '2030-01-01T00:00:00.123456789+14:00', '9999-12-31T23:00:00-01:00',
];
/** Times the scalar refuses. */
const BAD_DATES = ['2026-13-01T00:00:00Z', '2030-01-01', '2030-01-01T00:00:00', '2030-01-01T00:00:00+25:00', '2030-01-01T00:00:00.1234567891Z', '+275760-09-13T00:00:00.000Z', 'tomorrow', '', 'now'];
/** Capitals whose lower case can differ between JavaScript and PostgreSQL's libc (final sigma, dotted I, Kelvin...). */
const TRICKY_CASE = ['İ', 'Σ', 'ẞ', 'É', 'Ω', '\u212A', '\u212B', 'Ǆ', 'ǅ'];
const URLS = [
  'https://cdn.example.test/ring.jpg', 'http://cdn.example.test/a.png', 'ftp://cdn.example.test/a.jpg', 'javascript:alert(1)', 'data:image/png;base64,AAAA',
  'https://', 'not a url', '', `https://cdn.example.test/${'x'.repeat(2050)}`, 'https://cdn.example.test/\uD800.jpg', 'https://cdn.example.test/💍.jpg',
  'HTTPS://CDN.EXAMPLE.TEST/A.JPG', ' https://cdn.example.test/padded.jpg ',
];
const CSV_COLUMNS = ['Handle', 'Title', 'Body (HTML)', 'Type', 'Tags', 'Option1 Name', 'Option1 Value', 'Variant SKU', 'Variant Price', 'Image Src', 'Image Position', 'Image Alt Text', 'Variant Image'];
const quoteCsv = (cell: string) => (/[",\n\r]/.test(cell) ? `"${cell.replace(/"/g, '""')}"` : cell);

const ref = (kind: RefKind): fc.Arbitrary<Ref> =>
  fc.record({
    $ref: fc.constant(kind),
    scope: weighted<Scope>([3, fc.constant('mine')], [1, fc.constant('other')], [1, fc.constant('any')]),
    pick: fc.nat(),
    upper: weighted([9, fc.constant(false)], [1, fc.constant(true)]),
  });
const inMs = (min: number, max: number): fc.Arbitrary<InMs> => fc.integer({ min, max }).map(($inMs) => ({ $inMs }));

interface MutationSpec {
  /** Who may call it; anyone else must get no payload. */
  roles: Role[] | 'anyone';
  /** How often it is picked, relative to the others (default 2): the quote flow gets more. */
  weight?: number;
  /** The mutation's arguments, as GraphQL variables (possibly symbolic, possibly malformed). */
  args: fc.Arbitrary<Record<string, unknown>>;
}

/**
 * One generator per mutation of the schema (the test fails for a mutation missing here).
 * `dirt` 0: every value has the right GraphQL type, so the call reaches the resolver, though the values may be
 * odd (empty, unicode, negative, past, someone else's id...). `dirt` 1: also values of the wrong type, NUL,
 * over-long strings and lists, unknown and missing fields, which GraphQL or the input limits must refuse.
 */
function buildSpecs(dirt: 0 | 1): Record<string, MutationSpec> {
  /** A malformed alternative, present only in dirty calls. */
  const junk = <T>(weight: number, arb: fc.Arbitrary<T>): [number, fc.Arbitrary<T>] => [weight * dirt, arb];

  /** Strings the server refuses before running anything: NUL (PostgreSQL cannot store it) and over-long ones. */
  const refusedString = fc.constantFrom('\u0000', 'a\u0000b', 'z'.repeat(20_001));
  /** Values of the wrong type for anything (GraphQL must refuse them while coercing variables), or refused strings. */
  const wrongType: fc.Arbitrary<unknown> = fc.oneof(
    refusedString,
    fc.constant(null),
    fc.boolean(),
    fc.integer(),
    fc.double({ noNaN: true, noDefaultInfinity: true }),
    fc.constantFrom(2 ** 31, -(2 ** 31) - 1, 2 ** 53 + 1, 1e300, -0),
    fc.jsonValue({ maxDepth: 2 }),
    fc.dictionary(fc.string({ maxLength: 5 }), fc.jsonValue({ maxDepth: 1 }), { maxKeys: 3 }),
  );
  /** Mostly `arb`, in dirty calls now and then a value of the wrong type. */
  const orWrong = <T>(arb: fc.Arbitrary<T>): fc.Arbitrary<T | unknown> => weighted<T | unknown>([12, arb], junk(1, wrongType));

  /** Strings that pass the server's input limits (no NUL, not over-long) but are odd in every other way. */
  const nastyString: fc.Arbitrary<string> = weighted(
    [4, fc.constantFrom(...NASTY)],
    [2, fc.string({ unit: 'binary', maxLength: 30 }).map((v) => v.replace(/\u0000/g, ''))],
    [1, fc.string({ unit: 'grapheme', maxLength: 30 }).map((v) => v.replace(/\u0000/g, ''))],
  );
  const words = fc.array(fc.constantFrom(...WORDS), { minLength: 1, maxLength: 4 }).map((w) => w.join(' '));
  /** Text a person would type, or something nasty. */
  const text: fc.Arbitrary<string> = weighted([5, words], [3, nastyString], [1, fc.constantFrom(...LAYER_SPECIAL)]);
  const optionalText = fc.option(orWrong(text), { nil: undefined, freq: 3 });

  const uuid = fc.uuid();
  const badId: fc.Arbitrary<unknown> = weighted<unknown>(
    [4, fc.constantFrom(...BAD_IDS)],
    [1, uuid.map((u) => `${u}0`)],
    [1, uuid.map((u) => ` ${u} `)],
    [1, uuid.map((u) => u.replace(/-/g, ''))],
    [2, nastyString],
    [1, fc.integer()], // an ID variable accepts an Int
    junk(1, refusedString),
  );
  /** A real id of the right kind (often the caller's own, often someone else's), of another kind, random, or bad. */
  const idOf = (kind: RefKind, real = 16): fc.Arbitrary<unknown> =>
    weighted<unknown>([real, ref(kind)], [2, fc.constantFrom(...OTHER_KIND[kind]).chain((k) => ref(k))], [2, uuid], [2, badId], junk(1, wrongType));

  const plausibleAmount = fc.integer({ min: 1, max: 5_000_000 }).map(cents);
  const decimal: fc.Arbitrary<unknown> = weighted<unknown>(
    [16, plausibleAmount],
    [4, fc.constantFrom(...ODD_DECIMALS)],
    junk(1, fc.constantFrom(...BAD_DECIMALS)),
    junk(1, nastyString),
    junk(1, wrongType),
  );
  const currency: fc.Arbitrary<unknown> = weighted<unknown>([10, fc.constant('USD')], [4, fc.constantFrom(...CURRENCIES)], [1, nastyString], junk(1, wrongType));
  const money: fc.Arbitrary<unknown> = orWrong(fc.record({ amount: decimal, currencyCode: currency }));

  /** Around the rule's window: inside, soon, just past the maximum, in the past, far off, or nonsense. */
  const dateTime = (maxDays: number): fc.Arbitrary<unknown> =>
    weighted<unknown>(
      [16, inMs(60_000, maxDays * DAY - 60_000)],
      [4, inMs(800, 4000)], // expires while the fuzzer runs
      [1, inMs(maxDays * DAY - 5000, maxDays * DAY + 5000)],
      [1, inMs(-3 * DAY, 0)],
      [2, fc.constantFrom(...ODD_DATES)],
      [1, fc.date({ noInvalidDate: true, min: new Date('0001-01-01T00:00:00Z'), max: new Date('9999-12-31T23:59:59Z') }).map((d) => d.toISOString())],
      junk(2, fc.constantFrom(...BAD_DATES)),
      junk(1, wrongType),
    );
  const int = (min: number, max: number): fc.Arbitrary<unknown> =>
    weighted<unknown>(
      [16, fc.integer({ min, max })],
      [2, fc.constantFrom(0, -1, min - 1, max + 1, 2 ** 31 - 1, -(2 ** 31))],
      junk(1, fc.constantFrom(2 ** 31, 1.5, '5', 1e21)),
      junk(1, wrongType),
    );
  const category: fc.Arbitrary<unknown> = weighted<unknown>([30, fc.constantFrom(...CATEGORIES)], junk(1, fc.constantFrom('ring', 'HAT', '', 'RING ')), junk(1, wrongType));
  const list = <T>(arb: fc.Arbitrary<T>, maxLength: number): fc.Arbitrary<unknown> =>
    weighted<unknown>([40, fc.array(arb, { maxLength })], junk(1, fc.array(arb, { minLength: 101, maxLength: 102 })), junk(1, wrongType));

  /** In dirty calls, now and then a field too many (GraphQL refuses unknown input fields) or a required one missing. */
  const mangled = <T extends Record<string, unknown>>(arb: fc.Arbitrary<T>): fc.Arbitrary<unknown> =>
    fc
      .tuple(arb, weighted<'keep' | 'extra' | 'drop'>([20, fc.constant('keep')], junk(1, fc.constant('extra')), junk(1, fc.constant('drop'))), fc.nat())
      .map(([value, how, pick]) => {
        if (how === 'keep' || typeof value !== 'object' || value === null) return value;
        if (how === 'extra') return { ...value, unexpectedField: pick };
        const keys = Object.keys(value);
        if (keys.length === 0) return value;
        const { [keys[pick % keys.length]]: _dropped, ...rest } = value;
        return rest;
      });

  const emailLocal = fc.stringMatching(/^[a-z0-9]{3,10}$/);
  const email: fc.Arbitrary<unknown> = weighted<unknown>(
    [5, fc.tuple(emailLocal, fc.constantFrom('example.test', 'Example.TEST', 'bücher.example')).map(([l, d]) => `${l}@${d}`)],
    [2, fc.tuple(emailLocal, fc.constantFrom(...TRICKY_CASE)).map(([l, t]) => `${l}x${t}@example.test`)],
    [3, fc.record({ $email: fc.nat(), variant: fc.constantFrom('same', 'upper', 'spaced') })],
    [2, fc.constantFrom('noat', 'a@b', 'a@b.c', '@example.test', 'a@@example.test', 'a b@example.test', 'a"b@example.test', `${'x'.repeat(250)}@example.test`)],
    [1, nastyString],
    junk(1, wrongType),
  );
  const password: fc.Arbitrary<unknown> = weighted<unknown>([8, fc.constant(PASSWORD)], [3, fc.string({ minLength: 0, maxLength: 40 })], [1, nastyString], junk(1, wrongType));

  const imageInput = mangled(fc.record({ url: orWrong(fc.constantFrom(...URLS)), altText: optionalText }, { requiredKeys: ['url'] }));
  const optionInput = mangled(
    fc.record({
      name: orWrong(weighted([3, fc.constantFrom('Size', 'Metal', 'size', 'Stone')], [2, text])),
      values: list(weighted([3, fc.constantFrom('6', '7', 'Gold', 'Silver')], [2, text]), 4),
    }),
  );
  const designFields = {
    title: orWrong(text),
    description: optionalText,
    category,
    materials: fc.option(list(text, 4), { nil: undefined }),
    gemstones: fc.option(list(text, 3), { nil: undefined }),
    tags: fc.option(list(text, 4), { nil: undefined }),
    options: fc.option(list(optionInput, 3), { nil: undefined }),
    images: fc.option(list(imageInput, 3), { nil: undefined }),
    referencePrice: fc.option(money, { nil: undefined }),
  };

  const csvCell = weighted<string>(
    [4, fc.constantFrom('ring-a', 'Gold Ring', '<p>Hand <b>made</b></p>', 'gold, diamond', '7', '120.00', '-3', '1e5', 'https://cdn.example.test/r.jpg', '0', '', 'null')],
    [2, nastyString],
    [1, fc.constantFrom('"unterminated', 'a,"b""c",d', 'line\nbreak', '"quoted\r\nfield"', '<script>x</script>', '&amp;&lt;&#0;&#xD800;')],
  );
  /** What a Shopify export has in each column, or anything at all. */
  const CSV_CELLS: Record<string, fc.Arbitrary<string>> = {
    Handle: fc.constantFrom('ring-a', 'ring-b', 'pendant-c', 'Ring-A', ' ring-a '),
    Title: words,
    'Body (HTML)': fc.constantFrom('<p>Hand <b>made</b> in gold</p>', '<script>alert(1)</script><img src=x>', '<table><tr><td>a</td></tr></table>', '&lt;p&gt;'),
    Type: fc.constantFrom('Ring', 'Necklace', 'Earrings', 'Brooch Pin', 'Hat', ''),
    Tags: fc.constantFrom('gold, diamond', 'silver,pearl,,', 'null, NULL', 'Rose Gold, Opal'),
    'Option1 Name': fc.constantFrom('Size', 'Metal', 'Title', 'Stone'),
    'Option1 Value': fc.constantFrom('6', '7', 'Gold', 'Default Title', 'Opal'),
    'Variant SKU': fc.constantFrom('SKU-1', 'SKU-2', ''),
    'Variant Price': weighted<string>([4, plausibleAmount], [2, fc.constantFrom(...ODD_DECIMALS, ...BAD_DECIMALS)]),
    'Image Src': fc.constantFrom(...URLS),
    'Image Position': fc.constantFrom('1', '2', '0', '-1', '1.5', 'x', ''),
    'Image Alt Text': text,
    'Variant Image': fc.constantFrom(...URLS),
  };
  const csvContent: fc.Arbitrary<unknown> = weighted<unknown>(
    [
      8,
      fc
        // Mostly with the two columns a Shopify file must have, now and then without one of them.
        .tuple(fc.shuffledSubarray(CSV_COLUMNS.slice(2), { minLength: 0 }), weighted<string[]>([8, fc.constant(['Handle', 'Title'])], [1, fc.constant(['Handle'])], [1, fc.constant(['Title'])]))
        .map(([columns, keys]) => [...keys, ...columns])
        .chain((header) =>
          fc.tuple(
            fc.constant(header),
            fc.array(fc.tuple(...header.map((column) => weighted([5, CSV_CELLS[column] ?? csvCell], [1, csvCell]))), { maxLength: 5 }),
            fc.boolean(),
          ),
        )
        .map(([header, rows, quoted]) => [header, ...rows].map((row) => row.map((c) => (quoted ? quoteCsv(c) : c)).join(',')).join(quoted ? '\n' : '\r\n')),
    ],
    [2, fc.array(fc.array(csvCell, { maxLength: 8 }), { maxLength: 4 }).map((rows) => rows.map((r) => r.join(',')).join('\n'))],
    [2, nastyString],
    [1, fc.constantFrom('', '\uFEFF', 'Handle,Title\n', 'Handle,Title\n"', '\uFEFFHandle,Title\nx,"y\n', ',,,,\n,,,,')],
    junk(1, wrongType),
  );

  const itemInput = mangled(
    fc.record(
      {
        designId: idOf('activeDesign', 60),
        quantity: int(1, 10_000),
        options: fc.option(
          weighted<unknown>([5, fc.nat().map(($validOptions): ValidOptions => ({ $validOptions }))], [2, list(mangled(fc.record({ name: orWrong(text), value: orWrong(text) })), 3)]),
          { nil: undefined },
        ),
        note: optionalText,
      },
      { requiredKeys: ['designId', 'quantity'] },
    ),
  );

  /** Line items that add up to the price, unless perturbed: off by a cent, another currency, odd amounts. */
  const estimateMoney = fc
    .tuple(
      fc.array(fc.integer({ min: 0, max: 2_000_000 }), { minLength: 1, maxLength: 4 }),
      fc.array(weighted([3, fc.constantFrom(...WORDS)], [1, text]), { minLength: 4, maxLength: 4 }),
      weighted<string>([20, fc.constant('none')], [2, fc.constant('offByOne')], [1, fc.constant('mixedCurrency')], [2, fc.constant('oddAmounts')], [1, fc.constant('noLines')], [1, fc.constant('manyLines')]),
      currency,
      decimal,
    )
    .map(([amounts, labels, perturbation, otherCurrency, otherAmount]) => {
      const total = amounts.reduce((a, b) => a + b, 0);
      let lineItems: unknown[] = amounts.map((a, i) => ({ label: labels[i], amount: { amount: cents(a), currencyCode: 'USD' } }));
      let price: unknown = { amount: cents(total), currencyCode: 'USD' };
      if (perturbation === 'offByOne') price = { amount: cents(total + 1), currencyCode: 'USD' };
      if (perturbation === 'mixedCurrency') lineItems = [...lineItems.slice(1), { label: 'Other', amount: { amount: cents(amounts[0]), currencyCode: otherCurrency } }];
      if (perturbation === 'oddAmounts') price = { amount: otherAmount, currencyCode: otherCurrency };
      if (perturbation === 'noLines') lineItems = [];
      if (perturbation === 'manyLines') lineItems = Array.from({ length: 51 }, () => ({ label: 'x', amount: { amount: '0.00', currencyCode: 'USD' } }));
      return { price, lineItems };
    });

  return {
    signUp: {
      roles: 'anyone',
      args: fc.record({
        input: mangled(fc.record({ email, password, displayName: orWrong(text), role: weighted<unknown>([20, fc.constantFrom(...ROLES)], junk(1, fc.constantFrom('ADMIN', 'designer')), junk(1, wrongType)) })),
      }),
    },
    signIn: {
      roles: 'anyone',
      args: fc.record({ input: mangled(fc.record({ email, password })) }),
    },
    updateManufacturerProfile: {
      roles: ['MANUFACTURER'],
      args: fc.record({
        input: mangled(
          fc.record(
            {
              categories: weighted<unknown>([8, fc.subarray([...CATEGORIES], { minLength: 1 })], [2, list(category, 4)]),
              materials: fc.option(list(text, 4), { nil: undefined }),
              region: optionalText,
              bio: optionalText,
            },
            { requiredKeys: ['categories'] },
          ),
        ),
      }),
    },
    createDesign: {
      roles: ['DESIGNER'],
      args: fc.record({ input: mangled(fc.record(designFields, { requiredKeys: ['title', 'category'] })) }),
    },
    updateDesign: {
      roles: ['DESIGNER'],
      args: fc.record({
        id: idOf('design'),
        // Explicit nulls too: "null clears an optional field".
        input: mangled(fc.record(Object.fromEntries(Object.entries(designFields).map(([k, v]) => [k, weighted<unknown>([6, v], [1, fc.constant(null)])])), { requiredKeys: [] })),
      }),
    },
    archiveDesign: { roles: ['DESIGNER'], weight: 1, args: fc.record({ id: idOf('design') }) },
    importDesigns: {
      roles: ['DESIGNER'],
      args: fc.record({
        input: mangled(
          fc.record(
            {
              format: weighted<unknown>([20, fc.constant('SHOPIFY_CSV')], junk(1, fc.constantFrom('CSV', 'shopify_csv')), junk(1, wrongType)),
              content: csvContent,
              currencyCode: fc.option(currency, { nil: undefined }),
            },
            { requiredKeys: ['format', 'content'] },
          ),
        ),
      }),
    },
    requestQuotes: {
      roles: ['CONSUMER'],
      weight: 5,
      args: fc.record({
        input: mangled(
          fc.record(
            {
              items: weighted<unknown>([20, fc.array(itemInput, { minLength: 1, maxLength: 3 })], [1, fc.constant([])], [1, fc.array(itemInput, { minLength: 21, maxLength: 21 })], junk(1, wrongType)),
              manufacturerIds: fc.option(list(idOf('manufacturer'), 3), { nil: undefined }),
              note: optionalText,
              budget: fc.option(money, { nil: undefined }),
              neededBy: fc.option(dateTime(400), { nil: undefined }),
              expiresAt: fc.option(dateTime(90), { nil: undefined }),
            },
            { requiredKeys: ['items'] },
          ),
        ),
      }),
    },
    cancelQuoteRequest: { roles: ['CONSUMER'], args: fc.record({ id: idOf('request') }) },
    declineQuoteRequest: {
      roles: ['MANUFACTURER'],
      args: fc.record({ id: idOf('request'), reason: optionalText }, { requiredKeys: ['id'] }),
    },
    submitEstimate: {
      roles: ['MANUFACTURER'],
      weight: 5,
      args: fc.record({
        input: mangled(
          fc.tuple(idOf('request'), estimateMoney, int(1, 365), dateTime(365), optionalText).map(([requestId, m, leadTimeDays, validUntil, note]) => {
            const input: Record<string, unknown> = { requestId, price: m.price, lineItems: m.lineItems, leadTimeDays, validUntil };
            if (note !== undefined) input.note = note;
            return input;
          }),
        ),
      }),
    },
    withdrawEstimate: { roles: ['MANUFACTURER'], args: fc.record({ id: idOf('estimate') }) },
    acceptEstimate: { roles: ['CONSUMER'], weight: 3, args: fc.record({ estimateId: idOf('estimate') }) },
  };
}

/** Well-typed calls (they reach the resolvers) and dirty ones (GraphQL and the input limits must refuse them). */
const SPECS = buildSpecs(0);
const DIRTY_SPECS = buildSpecs(1);

// ------------------------------------------------------------------------------------------------ callers and calls

type ActorChoice = 'allowed' | 'ANONYMOUS' | 'BAD_TOKEN' | Role;
interface Actor {
  choice: ActorChoice;
  pick: number;
}
const actor: fc.Arbitrary<Actor> = fc.record({
  choice: weighted<ActorChoice>([18, fc.constant('allowed')], [2, fc.constant('ANONYMOUS')], [2, fc.constant('DESIGNER')], [2, fc.constant('CONSUMER')], [2, fc.constant('MANUFACTURER')], [1, fc.constant('BAD_TOKEN')]),
  pick: fc.nat(),
});

/** How the operation travels: as variables (mostly), or with the values written into the query as literals. */
type Transport = 'variables' | 'literals';

interface MutationCall {
  kind: 'mutation';
  mutation: string;
  actor: Actor;
  transport: Transport;
  /** Generated by DIRTY_SPECS (values of the wrong type allowed) rather than SPECS. */
  dirty: boolean;
  args: Record<string, unknown>;
}

/** Requests that are broken below the level of GraphQL variables. */
const RAW_REQUESTS = {
  truncatedJson: () => ({ body: '{"query": "mutation {' }),
  emptyBody: () => ({ body: '' }),
  nullBody: () => ({ body: 'null' }),
  stringBody: () => ({ body: '"mutation { __typename }"' }),
  numberBody: () => ({ body: '12' }),
  batch: () => ({ body: JSON.stringify([{ query: 'mutation { __typename }' }, { query: '{ __typename }' }]) }),
  queryNotString: () => ({ body: JSON.stringify({ query: 12 }) }),
  queryNull: () => ({ body: JSON.stringify({ query: null }) }),
  queryEmpty: () => ({ body: JSON.stringify({ query: '' }) }),
  syntaxError: () => ({ body: JSON.stringify({ query: 'mutation { signIn(input: { email: "a" ' }) }),
  unknownMutation: () => ({ body: JSON.stringify({ query: 'mutation { dropAllTables { ok } }' }) }),
  noSelection: () => ({ body: JSON.stringify({ query: 'mutation { createDesign(input: { title: "x", category: RING }) }' }) }),
  missingArgument: () => ({ body: JSON.stringify({ query: 'mutation { acceptEstimate { errors { code } } }' }) }),
  variablesNotObject: () => ({ body: JSON.stringify({ query: 'mutation($id: ID!) { archiveDesign(id: $id) { errors { code } } }', variables: 'id' }) }),
  variablesArray: () => ({ body: JSON.stringify({ query: 'mutation($id: ID!) { archiveDesign(id: $id) { errors { code } } }', variables: ['x'] }) }),
  operationNameNumber: () => ({ body: JSON.stringify({ query: 'mutation A { __typename }', operationName: 5 }) }),
  operationNameUnknown: () => ({ body: JSON.stringify({ query: 'mutation A { __typename }', operationName: 'B' }) }),
  twoOperationsNoName: () => ({ body: JSON.stringify({ query: 'mutation A { __typename } mutation B { __typename }' }) }),
  persistedQuery: () => ({ body: JSON.stringify({ extensions: { persistedQuery: { version: 1, sha256Hash: 'abc' } } }) }),
  extensionsJunk: () => ({ body: JSON.stringify({ query: 'mutation { __typename }', extensions: 'x' }) }),
  nulInQuery: () => ({ body: JSON.stringify({ query: 'mutation { signIn(input: { email: "a\u0000", password: "b" }) { token } }' }) }),
  escapedNulInQuery: () => ({ body: JSON.stringify({ query: 'mutation { signIn(input: { email: "a\\u0000", password: "b" }) { token } }' }) }),
  loneSurrogateLiteral: () => ({ body: JSON.stringify({ query: 'mutation { signIn(input: { email: "\\uD800", password: "b" }) { token } }' }) }),
  tooManyTokens: () => ({ body: JSON.stringify({ query: `mutation { ${'__typename '.repeat(5000)} }` }) }),
  deepVariables: () => ({
    body: `{"query":"mutation($id: ID!) { archiveDesign(id: $id) { errors { code } } }","variables":{"id":${'['.repeat(100_000)}${']'.repeat(100_000)}}}`,
  }),
  deepJson: () => ({ body: `{"query":"mutation { __typename }","extensions":${'{"a":'.repeat(50_000)}1${'}'.repeat(50_000)}}` }),
  tooLarge: () => ({ body: JSON.stringify({ query: 'mutation { __typename }', variables: { pad: 'x'.repeat(6 * 1024 * 1024 + 10) } }) }),
  textPlain: () => ({ body: JSON.stringify({ query: 'mutation { __typename }' }), contentType: 'text/plain' }),
  utf16Charset: () => ({ body: JSON.stringify({ query: 'mutation { __typename }' }), contentType: 'application/json; charset=utf-16' }),
  badGzip: () => ({ body: 'not gzip at all', headers: { 'content-encoding': 'gzip' } }),
  unknownEncoding: () => ({ body: JSON.stringify({ query: 'mutation { __typename }' }), headers: { 'content-encoding': 'br2' } }),
  mutationOverGet: () => ({ method: 'GET', query: 'mutation { archiveDesign(id: "x") { errors { code } } }', headers: { 'apollo-require-preflight': 'true' } }),
  getWithoutPreflight: () => ({ method: 'GET', query: '{ __typename }' }),
  subscriptionOverHttp: () => ({ body: JSON.stringify({ query: 'subscription { quoteRequestFeed { cursor type } }' }), as: 'MANUFACTURER' as Role }),
  subscriptionOverHttpWithVariables: () => ({
    body: JSON.stringify({ query: 'subscription($id: ID!) { estimateFeed(requestId: $id) { cursor } }', variables: { id: '00000000-0000-4000-8000-000000000000' } }),
    as: 'CONSUMER' as Role,
  }),
} satisfies Record<string, () => { body?: string; method?: 'GET'; query?: string; contentType?: string; headers?: Record<string, string>; as?: Role }>;
type RawName = keyof typeof RAW_REQUESTS;

interface RawCall {
  kind: 'raw';
  raw: RawName;
}
type Call = MutationCall | RawCall;

const BAD_TOKENS = ['garbage', 'Bearer', 'Bearer ', 'Basic dXNlcjpwYXNz', 'Bearer a.b.c', 'Bearer tampered', 'Bearer none-alg', `Bearer ${'x'.repeat(4000)}`, 'Bearer \u00e9'];

// ------------------------------------------------------------------------------------------------ the test

let t: TestApp;
let db: pg.Client;
const world = new World();
/** How many users of each role the world starts with. */
const INITIAL_USERS: Record<Role, number> = { DESIGNER: 2, CONSUMER: 3, MANUFACTURER: 4 };
/** Mutation field name -> its document (variables form) and its field. */
const documents = new Map<string, { query: string; field: GraphQLField<unknown, unknown>; depth: number }>();

/** Every leaf of a payload, and nested objects down to `depth`: what a curious client would ask for. */
function selection(type: GraphQLObjectType, depth: number): string {
  const parts = ['__typename'];
  for (const field of Object.values(type.getFields())) {
    if (field.args.some((a) => isNonNullType(a.type) && a.defaultValue === undefined)) continue;
    const named = getNamedType(field.type);
    if (isLeafType(named)) parts.push(field.name);
    else if (isObjectType(named) && depth > 0) parts.push(`${field.name} { ${selection(named, depth - 1)} }`);
  }
  return parts.join(' ');
}

function tokenCount(query: string): number {
  const lexer = new Lexer(new Source(query));
  let n = 0;
  while (lexer.advance().kind !== TokenKind.EOF) n++;
  return n;
}

/** The deepest selection the server's limits accept (cost, tokens, depth), so no call is refused for its size. */
function documentFor(field: GraphQLField<unknown, unknown>): { query: string; depth: number } {
  const payload = getNamedType(field.type) as GraphQLObjectType;
  const defs = field.args.map((a) => `$${a.name}: ${String(a.type)}`).join(', ');
  const call = field.args.map((a) => `${a.name}: $${a.name}`).join(', ');
  for (let depth = 4; depth >= 1; depth--) {
    const query = `mutation Fuzz${defs ? `(${defs})` : ''} { m: ${field.name}${call ? `(${call})` : ''} { ${selection(payload, depth)} } }`;
    const tooCostly = checkOperation(t.app.schema, parse(query), undefined, {}, query, DEFAULT_LIMITS);
    if (!tooCostly && tokenCount(query) < DEFAULT_LIMITS.maxTokens * 0.8 && depth + 2 <= DEFAULT_LIMITS.maxDepth) return { query, depth };
  }
  throw new Error(`no selection of ${field.name} fits the server's limits`);
}

/** A GraphQL literal for a value of the given input type (enum values bare; anything odd stays odd). */
function literal(value: unknown, type: GraphQLInputType): string {
  const nullable = getNullableType(type);
  if (value === null || value === undefined) return 'null';
  if (Array.isArray(value)) {
    const item = isListType(nullable) ? (nullable.ofType as GraphQLInputType) : nullable;
    return `[${value.map((v) => literal(v, item)).join(', ')}]`;
  }
  if (typeof value === 'object') {
    const fields = isInputObjectType(nullable) ? nullable.getFields() : {};
    return `{${Object.entries(value)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => `${k}: ${literal(v, fields[k]?.type ?? nullable)}`)
      .join(', ')}}`;
  }
  if (typeof value === 'string') {
    const named = getNamedType(nullable);
    return isEnumType(named) && /^[_A-Za-z][_0-9A-Za-z]*$/.test(value) ? value : JSON.stringify(value);
  }
  return String(value);
}

function literalQuery(field: GraphQLField<unknown, unknown>, depth: number, args: Record<string, unknown>): string {
  const given = field.args.filter((a: GraphQLArgument) => args[a.name] !== undefined);
  const call = given.map((a) => `${a.name}: ${literal(args[a.name], a.type)}`).join(', ');
  return `mutation Fuzz { m: ${field.name}${call ? `(${call})` : ''} { ${selection(getNamedType(field.type) as GraphQLObjectType, depth)} } }`;
}

const pickFrom = <T>(items: T[], n: number): T | undefined => (items.length ? items[n % items.length] : undefined);

function resolveActor(a: Actor, spec: MutationSpec): { user: WorldUser | null; header: string | null; choice: ActorChoice } {
  let choice: ActorChoice = a.choice;
  if (choice === 'allowed') {
    const roles: ActorChoice[] = spec.roles === 'anyone' ? ['ANONYMOUS', ...ROLES] : spec.roles;
    choice = roles[a.pick % roles.length];
  }
  if (choice === 'ANONYMOUS') return { user: null, header: null, choice };
  if (choice === 'BAD_TOKEN') {
    const raw = BAD_TOKENS[a.pick % BAD_TOKENS.length];
    const real = world.users[0]!.token;
    const header =
      raw === 'Bearer tampered' ? `Bearer ${real.slice(0, -3)}${real.slice(-3) === 'AAA' ? 'BBB' : 'AAA'}`
      : raw === 'Bearer none-alg' ? `Bearer ${Buffer.from('{"alg":"none","typ":"JWT"}').toString('base64url')}.${real.split('.')[1]}.`
      : raw;
    return { user: null, header, choice };
  }
  // Mostly the users the world was built with (they own things), sometimes anyone who signed up since.
  const everyone = world.ofRole(choice as Role);
  const pool = a.pick % 10 < 7 ? everyone.slice(0, INITIAL_USERS[choice as Role]) : everyone;
  const user = pickFrom(pool, Math.floor(a.pick / 10))!;
  return { user, header: `Bearer ${user.token}`, choice };
}

/** Ids of a kind: the caller's own ('mine': its designs, its requests or those sent to it...), the others, or all. */
function candidates(kind: RefKind, scope: Scope, me: WorldUser | null): string[] {
  const owned = (all: Array<{ id: string }>, mine: (x: never) => boolean) => {
    const yes = all.filter((x) => me && mine(x as never));
    if (scope === 'any' || !me) return all.map((x) => x.id);
    return (scope === 'mine' ? yes : all.filter((x) => !yes.includes(x))).map((x) => x.id);
  };
  switch (kind) {
    case 'design':
      return owned(world.designs, (d: WorldDesign) => d.designerId === me!.id);
    case 'activeDesign':
      return owned(world.designs.filter((d) => !d.archived), (d: WorldDesign) => d.designerId === me!.id);
    case 'request':
      return owned(world.requests, (r: WorldRequest) => r.consumerId === me!.id || r.recipientIds.includes(me!.id));
    case 'estimate':
      return owned(world.estimates, (e: WorldEstimate) => e.manufacturerId === me!.id || world.request(e.requestId)?.consumerId === me!.id);
    case 'manufacturer':
      return owned(world.ofRole('MANUFACTURER'), (u: WorldUser) => u.id === me!.id);
    case 'consumer':
      return owned(world.ofRole('CONSUMER'), (u: WorldUser) => u.id === me!.id);
    case 'designer':
      return owned(world.ofRole('DESIGNER'), (u: WorldUser) => u.id === me!.id);
  }
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Replaces the symbols in generated arguments with real ids, e-mails and times. */
function resolve(value: unknown, me: WorldUser | null): unknown {
  if (Array.isArray(value)) return value.map((v) => resolve(v, me));
  if (!isObj(value)) return value;
  if ('$ref' in value) {
    const r = value as unknown as Ref;
    const ids = candidates(r.$ref, r.scope, me);
    const id = pickFrom(ids.length ? ids : candidates(r.$ref, 'any', me), r.pick) ?? '00000000-0000-4000-8000-000000000000';
    return r.upper ? id.toUpperCase() : id;
  }
  if ('$email' in value) {
    const e = value as unknown as EmailRef;
    const address = pickFrom(world.users, e.$email)!.email;
    return e.variant === 'upper' ? address.toUpperCase() : e.variant === 'spaced' ? `  ${address}\t` : address;
  }
  if ('$inMs' in value) return new Date(Date.now() + (value as unknown as InMs).$inMs).toISOString();
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = resolve(v, me);
  // An item's valid options depend on the design it names.
  if (isObj(value.options) && '$validOptions' in value.options) {
    const n = (value.options as unknown as ValidOptions).$validOptions;
    const design = world.designs.find((d) => d.id === String(out.designId).toLowerCase());
    out.options = (design?.options ?? []).filter((_, i) => (n >> i) & 1).map((o, i) => ({ name: o.name, value: o.values[(n + i) % o.values.length] }));
  }
  return out;
}

interface Sent {
  call: Call;
  /** The arguments as sent (symbols resolved). */
  args?: Record<string, unknown>;
  who: string;
  request: string;
  status: number;
  body: string;
}

const clip = (s: string, n = 600) => (s.length > n ? `${s.slice(0, n)}... (${s.length} chars)` : s);

async function send(call: Call): Promise<Sent> {
  if (call.kind === 'raw') {
    const raw = RAW_REQUESTS[call.raw]() as { body?: string; method?: 'GET'; query?: string; contentType?: string; headers?: Record<string, string>; as?: Role };
    const user = raw.as ? world.ofRole(raw.as)[0] : undefined;
    const headers: Record<string, string> = { ...(raw.method === 'GET' ? {} : { 'content-type': raw.contentType ?? 'application/json' }), ...raw.headers };
    if (user) headers.authorization = `Bearer ${user.token}`;
    const url = raw.method === 'GET' ? `${t.url}?query=${encodeURIComponent(raw.query ?? '')}` : t.url;
    const response = await fetch(url, { method: raw.method ?? 'POST', headers, body: raw.method === 'GET' ? undefined : raw.body });
    return { call, who: user ? user.role : 'anonymous', request: clip(raw.body ?? url, 300), status: response.status, body: await response.text() };
  }
  const spec = SPECS[call.mutation]!;
  const { field, query, depth } = documents.get(call.mutation)!;
  const who = resolveActor(call.actor, spec);
  const args = resolve(call.args, who.user) as Record<string, unknown>;
  const body = call.transport === 'literals' ? JSON.stringify({ query: literalQuery(field, depth, args) }) : JSON.stringify({ query, variables: args });
  const response = await fetch(t.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(who.header ? { authorization: who.header } : {}) },
    body,
  });
  const shown = call.transport === 'literals' ? clip(JSON.parse(body).query as string, 1500) : `variables ${clip(JSON.stringify(args), 1500)}`;
  const sent: Sent = { call, args, who: who.user ? `${who.user.role} ${who.user.id}` : who.choice, request: shown, status: response.status, body: await response.text() };
  if (call.mutation === 'signUp' || call.mutation === 'signIn') learnUser(sent.body);
  else await learn(call.mutation, who.user, args, sent.body);
  return sent;
}

/** Adds what a successful mutation created to the world, so that later calls can point at it. */
async function learn(mutation: string, me: WorldUser | null, args: Record<string, unknown>, body: string): Promise<void> {
  let payload: Record<string, any> | null | undefined;
  try {
    payload = (JSON.parse(body) as { data?: { m?: Record<string, any> | null } }).data?.m;
  } catch {
    return;
  }
  if (!payload || !me) return;
  const designOf = (d: Record<string, any>) => ({ id: d.id, designerId: me.id, options: d.options ?? [] });
  if ((mutation === 'createDesign' || mutation === 'updateDesign') && payload.design) world.addDesign(designOf(payload.design));
  if (mutation === 'importDesigns') for (const d of payload.designs ?? []) world.addDesign(designOf(d));
  if (mutation === 'archiveDesign' && payload.design?.id) {
    const design = world.designs.find((d) => d.id === payload!.design.id);
    if (design) design.archived = true;
  }
  if (mutation === 'requestQuotes' && payload.quoteRequest?.id) {
    const { rows } = await db.query<{ id: string }>('select manufacturer_id as id from quote_recipients where request_id = $1', [payload.quoteRequest.id]);
    world.requests.push({ id: payload.quoteRequest.id, consumerId: me.id, recipientIds: rows.map((r) => r.id) });
  }
  if (mutation === 'submitEstimate' && payload.estimate?.id) {
    const requestId = String((args.input as Record<string, unknown>).requestId).toLowerCase();
    world.estimates.push({ id: payload.estimate.id, requestId, manufacturerId: me.id });
  }
}

/** New accounts join the world and act later with their token. */
function learnUser(body: string): void {
  try {
    const payload = (JSON.parse(body) as { data?: { m?: Record<string, any> | null } }).data?.m;
    const user = payload?.user;
    if (payload?.token && user?.id && !world.user(user.id)) {
      world.users.push({ id: user.id, role: user.role, email: user.email, token: payload.token, displayName: user.displayName });
    }
  } catch {
    // not JSON: checkResponse reports it
  }
}

/** What became of the calls, per mutation: for tuning the generators (printed after the run). */
const outcomes = new Map<string, Map<string, number>>();
function tally(sent: Sent): void {
  const name = sent.call.kind === 'raw' ? 'raw' : sent.call.mutation;
  let outcome = `HTTP ${sent.status}`;
  try {
    const body = JSON.parse(sent.body) as GqlBody;
    const payload = body.data?.m as { errors?: Array<{ code: string }> } | null | undefined;
    if (payload) outcome = payload.errors?.length ? payload.errors.map((e) => e.code).sort()[0] : 'OK';
    else if (body.errors?.length) outcome = body.errors[0].extensions?.code ?? 'error';
  } catch {
    outcome = 'not JSON';
  }
  const counts = outcomes.get(name) ?? new Map<string, number>();
  counts.set(outcome, (counts.get(outcome) ?? 0) + 1);
  outcomes.set(name, counts);
}

interface GqlError {
  message?: string;
  path?: Array<string | number>;
  extensions?: { code?: string };
}
interface GqlBody {
  data?: Record<string, any> | null;
  errors?: GqlError[];
}

/**
 * Crashes found by this test outside the quoting and designs modules, reported to their owners and not fixed
 * here. Each has a deterministic reproduction below (it.fails, so it turns red once fixed: then delete the
 * entry here and turn the reproduction into a plain test). Hits are counted and printed, never hidden.
 */
const KNOWN_ISSUES: Array<{ id: string; matches: (sent: Sent, error: GqlError | null) => Promise<boolean> | boolean }> = [
  // None open. Both issues found so far (an e-mail whose JavaScript lower case differs from PostgreSQL's, and
  // a manufacturer material "null" stored as SQL NULL) are fixed and kept as regression tests below.
];
const knownHits = new Map<string, number>();

async function knownIssue(sent: Sent, error: GqlError | null): Promise<boolean> {
  for (const issue of KNOWN_ISSUES) {
    if (await issue.matches(sent, error)) {
      knownHits.set(issue.id, (knownHits.get(issue.id) ?? 0) + 1);
      return true;
    }
  }
  return false;
}

/** The properties every single response must have. */
async function checkResponse(sent: Sent): Promise<string | null> {
  if (sent.status >= 500 && !(await knownIssue(sent, null))) return `HTTP ${sent.status}`;
  if (sent.status >= 500) return null;
  let body: GqlBody;
  try {
    body = JSON.parse(sent.body) as GqlBody;
  } catch {
    return 'the response is not JSON';
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return 'the response is not a JSON object';
  const hasErrors = Array.isArray(body.errors) && body.errors.length > 0;
  if (!('data' in body) && !hasErrors) return 'the response has neither data nor errors';
  if ('errors' in body && !Array.isArray(body.errors)) return '`errors` is not a list';
  for (const e of body.errors ?? []) {
    if (e?.extensions?.code === 'INTERNAL_SERVER_ERROR' && !(await knownIssue(sent, e))) return `INTERNAL_SERVER_ERROR at ${JSON.stringify(e.path ?? null)}: ${e.message}`;
  }
  for (const e of body.errors ?? []) {
    if (typeof e?.message !== 'string') return 'an error has no message';
    if (/\bat .+\.(ts|js):\d+|select .+ from|insert into|violates .+ constraint/i.test(e.message)) return `an error leaks internals: ${e.message}`;
  }
  if (sent.call.kind !== 'mutation') return null;
  const spec = SPECS[sent.call.mutation]!;
  const payload = body.data?.m;
  const allowed = spec.roles === 'anyone' || ROLES.some((r) => sent.who.startsWith(`${r} `) && (spec.roles as Role[]).includes(r));
  if (!allowed && payload != null) return `a ${sent.who.split(' ')[0]} caller got a payload from ${sent.call.mutation}, which is only for ${String(spec.roles)}`;
  if (!allowed && sent.status === 200 && !hasErrors) return 'a caller without the role got neither a payload nor an error';
  if (payload) {
    if (!Array.isArray(payload.errors)) return 'the payload has no errors list';
    const argNames = documents.get(sent.call.mutation)!.field.args.map((a) => a.name);
    for (const e of payload.errors as Array<{ field?: string[] | null; code?: string }>) {
      if (e.field && !argNames.includes(e.field[0])) return `a UserError's field ${JSON.stringify(e.field)} does not start with an argument (${argNames.join(', ')})`;
    }
  }
  return null;
}

/** Database invariants: each query returns the rows that break one. */
const INVARIANTS: Record<string, string> = {
  'a MATCHED request has exactly one match and exactly one ACCEPTED estimate': `
    select q.id,
      (select count(*) from matches m where m.request_id = q.id)::int as matches,
      (select count(*) from estimates e where e.request_id = q.id and e.status = 'ACCEPTED')::int as accepted
    from quote_requests q where q.status = 'MATCHED'
      and ((select count(*) from matches m where m.request_id = q.id) <> 1
        or (select count(*) from estimates e where e.request_id = q.id and e.status = 'ACCEPTED') <> 1)`,
  "a match's estimate is ACCEPTED and belongs to the match's request, manufacturer and consumer": `
    select m.id, e.status, e.request_id, m.request_id as match_request
    from matches m join estimates e on e.id = m.estimate_id join quote_requests q on q.id = m.request_id
    where e.status <> 'ACCEPTED' or e.request_id <> m.request_id or e.manufacturer_id <> m.manufacturer_id or q.consumer_id <> m.consumer_id`,
  'no request that is not MATCHED has a match (nor an ACCEPTED estimate)': `
    select q.id, q.status from quote_requests q
    where q.status <> 'MATCHED' and (exists (select 1 from matches m where m.request_id = q.id)
      or exists (select 1 from estimates e where e.request_id = q.id and e.status = 'ACCEPTED'))`,
  "an estimate's line items add up exactly to its amount": `
    select e.id, e.amount::text, coalesce(sum((li->>'amount')::numeric), 0)::text as line_total, jsonb_array_length(e.line_items) as lines
    from estimates e left join lateral jsonb_array_elements(e.line_items) li on true
    group by e.id having coalesce(sum((li->>'amount')::numeric), 0) <> e.amount or jsonb_array_length(e.line_items) = 0`,
  'every estimate comes from a recipient of its request': `
    select e.id from estimates e
    where not exists (select 1 from quote_recipients r where r.request_id = e.request_id and r.manufacturer_id = e.manufacturer_id)`,
  'at most one ACTIVE estimate per request and manufacturer': `
    select request_id, manufacturer_id, count(*)::int from estimates where status = 'ACTIVE' group by 1, 2 having count(*) > 1`,
  // Expiry may lag: an OPEN request past its expiry still counts as OPEN here (the service treats it as
  // EXPIRED, and the sweeper moves it and its ACTIVE estimates in one transaction). A stored EXPIRED,
  // MATCHED or CANCELLED request has no ACTIVE estimate.
  'no ACTIVE estimate on a request that is not OPEN': `
    select e.id, q.status from estimates e join quote_requests q on q.id = e.request_id where e.status = 'ACTIVE' and q.status <> 'OPEN'`,
  'no ACTIVE estimate from a manufacturer that declined': `
    select e.id from estimates e join quote_recipients r on r.request_id = e.request_id and r.manufacturer_id = e.manufacturer_id
    where r.status = 'DECLINED' and e.status = 'ACTIVE'`,
  "every user's email_lower is lower(email)": `select id, email, email_lower from users where email_lower <> lower(email)`,
  'requests are made by consumers, sent to manufacturers; designs belong to designers': `
    select 'request' as what, q.id from quote_requests q join users u on u.id = q.consumer_id where u.role <> 'CONSUMER'
    union all select 'recipient', r.id from quote_recipients r join users u on u.id = r.manufacturer_id where u.role <> 'MANUFACTURER'
    union all select 'design', d.id from designs d join users u on u.id = d.designer_id where u.role <> 'DESIGNER'`,
};

async function violations(): Promise<string[]> {
  const found: string[] = [];
  for (const [name, sql] of Object.entries(INVARIANTS)) {
    for (const row of (await db.query(sql)).rows) found.push(`${name}: ${JSON.stringify(row)}`);
  }
  return found;
}

// ------------------------------------------------------------------------------------------------ setup

async function act<T>(promise: Promise<{ data?: T | null; errors?: unknown }>): Promise<T> {
  const res = await promise;
  expect(res.errors).toBeUndefined();
  const payload = Object.values(res.data as Record<string, { errors: unknown[] }>)[0];
  expect(payload.errors).toEqual([]);
  return res.data as T;
}

/** Designers with designs, consumers with open requests, manufacturers who are recipients; some estimates, some declined, some matched. */
async function buildWorld(): Promise<void> {
  const gql = t.gql;
  const [d0, d1, c0, c1, c2] = await Promise.all([
    signUp(gql, 'DESIGNER'),
    signUp(gql, 'DESIGNER'),
    signUp(gql, 'CONSUMER'),
    signUp(gql, 'CONSUMER'),
    signUp(gql, 'CONSUMER'),
  ]);
  const [m0, m1, m2, m3] = await Promise.all([
    signUpManufacturer(gql, ['RING', 'NECKLACE']),
    signUpManufacturer(gql, ['RING', 'EARRINGS', 'BRACELET']),
    signUpManufacturer(gql, [...CATEGORIES]),
    signUpManufacturer(gql, ['RING']), // never addressed by name
  ]);
  world.users.push(d0, d1, c0, c1, c2, m0, m1, m2, m3);

  const sizes = { name: 'Size', values: ['6', '7', '8'] };
  const metal = { name: 'Metal', values: ['Gold', 'Silver'] };
  const [ring, necklace, earrings, bracelet, retired] = await Promise.all([
    createDesign(gql, d0, 'Twisted Band', 'RING', [sizes, metal]),
    createDesign(gql, d0, 'Pearl Strand', 'NECKLACE'),
    createDesign(gql, d1, 'Hoops', 'EARRINGS', [metal]),
    createDesign(gql, d1, 'Cuff', 'BRACELET', [{ name: 'Width', values: ['Narrow', 'Wide'] }]),
    createDesign(gql, d1, 'Old Ring', 'RING'),
  ]);
  world.designs.push(
    { id: ring.id, designerId: d0.id, options: [sizes, metal] },
    { id: necklace.id, designerId: d0.id, options: [] },
    { id: earrings.id, designerId: d1.id, options: [metal] },
    { id: bracelet.id, designerId: d1.id, options: [{ name: 'Width', values: ['Narrow', 'Wide'] }] },
    { id: retired.id, designerId: d1.id, options: [] },
  );
  await act(gql(ArchiveDesignDocument, { id: retired.id }, d1.token));

  const ringItem = { designId: ring.id, quantity: 1, options: [{ name: 'Size', value: '7' }] };
  const ask = async (consumer: TestUser, makers: TestUser[] | null, items = [ringItem], extra = {}) => {
    const request = await requestQuotes(gql, consumer, { items, ...(makers ? { manufacturerIds: makers.map((m) => m.id) } : {}), ...extra });
    const recipientIds = makers ? makers.map((m) => m.id) : [m0, m1, m2, m3].map((m) => m.id);
    world.requests.push({ id: request.id, consumerId: consumer.id, recipientIds });
    return request;
  };
  const quote = async (maker: TestUser, requestId: string, amount: string) => {
    const estimate = await submitEstimate(gql, maker, requestId, amount);
    world.estimates.push({ id: estimate.id, requestId, manufacturerId: maker.id });
    return estimate;
  };

  const [open, matched, earringsOpen, , cancelled, withdrawn] = await Promise.all([
    ask(c0, [m0, m1]),
    ask(c0, [m0, m1, m2]),
    ask(c1, [m1, m2], [{ designId: earrings.id, quantity: 2, options: [{ name: 'Metal', value: 'Gold' }] }]),
    ask(c1, null), // every manufacturer that makes rings
    ask(c2, [m0]),
    ask(c2, [m0, m2], [{ designId: necklace.id, quantity: 1, options: [] }]),
  ]);
  await Promise.all([quote(m0, open.id, '410.00'), quote(m1, open.id, '395.50')]);
  await Promise.all([quote(m0, matched.id, '500.00'), quote(m2, matched.id, '480.00'), act(gql(DeclineQuoteRequestDocument, { id: matched.id, reason: 'Booked' }, m1.token))]);
  const revised = await quote(m2, matched.id, '470.00');
  await act(gql(AcceptEstimateDocument, { estimateId: revised.id }, c0.token));
  await Promise.all([quote(m1, earringsOpen.id, '120.00'), act(gql(DeclineQuoteRequestDocument, { id: earringsOpen.id }, m2.token))]);
  await quote(m0, cancelled.id, '300.00');
  await act(gql(CancelQuoteRequestDocument, { id: cancelled.id }, c2.token));
  const gone = await quote(m0, withdrawn.id, '250.00');
  await act(gql(WithdrawEstimateDocument, { id: gone.id }, m0.token));
  await quote(m2, withdrawn.id, '260.00');
  // Quoted at once, expires (with its estimate) while the fuzzer runs.
  const expiring = await ask(c2, [m2], [ringItem], { expiresAt: new Date(Date.now() + 8000).toISOString() });
  await quote(m2, expiring.id, '99.99');
}

beforeAll(async () => {
  // A fast sweeper: requests and estimates that expire during the run are moved while the fuzzer acts.
  t = await startTestApp({ EXPIRY_SWEEP_MS: '250' });
  db = new pg.Client({ connectionString: t.db.url });
  await db.connect();
  for (const field of Object.values(t.app.schema.getMutationType()!.getFields())) {
    if (SPECS[field.name]) documents.set(field.name, { field, ...documentFor(field) });
  }
  await buildWorld();
}, 120_000);

afterAll(async () => {
  await db?.end();
  await t?.stop();
});

// ------------------------------------------------------------------------------------------------ tests

describe('fuzzing every mutation', () => {
  it('has a generator for every mutation in the schema, and none for a mutation that is gone', () => {
    const names = Object.keys(t.app.schema.getMutationType()!.getFields()).sort();
    expect(names.filter((n) => !SPECS[n]), 'mutations without a fuzz generator: add one to SPECS').toEqual([]);
    expect(Object.keys(SPECS).filter((n) => !names.includes(n)), 'generators for mutations the schema does not have').toEqual([]);
  });

  it('starts from a world where the invariants hold', async () => {
    expect(await violations()).toEqual([]);
    const rows = (await db.query<{ status: string; n: number }>('select status, count(*)::int as n from quote_requests group by status')).rows;
    expect(rows.map((r) => r.status).sort()).toEqual(expect.arrayContaining(['CANCELLED', 'MATCHED', 'OPEN']));
  });

  it('answers each kind of malformed HTTP request with a 4xx and a JSON error', async () => {
    const problems: string[] = [];
    for (const raw of Object.keys(RAW_REQUESTS) as RawName[]) {
      const sent = await send({ kind: 'raw', raw });
      const problem = await checkResponse(sent);
      if (problem) problems.push(`${raw}: ${problem}; got ${sent.status}: ${clip(sent.body, 300)}`);
    }
    expect(problems).toEqual([]);
  });

  it(
    'answers random and malformed input from every caller without crashing, and keeps the invariants',
    async () => {
      const mutationName = weighted<string>(...Object.entries(SPECS).map(([name, spec]): [number, fc.Arbitrary<string>] => [spec.weight ?? 2, fc.constant(name)]));
      const mutationCall: fc.Arbitrary<Call> = fc.tuple(mutationName, weighted([2, fc.constant(false)], [1, fc.constant(true)])).chain(([mutation, dirty]) =>
        fc.record({
          kind: fc.constant('mutation' as const),
          mutation: fc.constant(mutation),
          actor,
          transport: weighted<Transport>([12, fc.constant('variables')], [1, fc.constant('literals')]),
          dirty: fc.constant(dirty),
          args: (dirty ? DIRTY_SPECS : SPECS)[mutation]!.args,
        }),
      );
      const rawCall: fc.Arbitrary<Call> = fc.constantFrom(...(Object.keys(RAW_REQUESTS) as RawName[])).map((raw) => ({ kind: 'raw' as const, raw }));
      const call = weighted<Call>([24, mutationCall], [1, rawCall]);

      let calls = 0;
      const knownViolations = new Set(await violations());
      const property = fc.asyncProperty(fc.array(call, { minLength: 1, maxLength: 4 }), async (batch) => {
        // The calls of a batch are sent at once: races between them are part of the input.
        const results = await Promise.all(batch.map(send));
        if (process.env.FUZZ_LOG) appendFileSync(process.env.FUZZ_LOG, results.map((r) => `${r.who} ${r.request} => ${r.status} ${clip(r.body, 300)}\n`).join(''));
        calls += results.length;
        results.forEach(tally);
        const checked = await Promise.all(results.map(async (sent) => ({ sent, problem: await checkResponse(sent) })));
        const failures = checked
          .filter((r) => r.problem)
          .map(({ sent, problem }) => `${problem}\n  call: ${sent.call.kind === 'raw' ? `raw ${sent.call.raw}` : sent.call.mutation} as ${sent.who}\n  sent: ${sent.request}\n  got ${sent.status}: ${clip(sent.body)}`);
        // Only violations this batch introduced count against it (shrinking replays batches on the same database).
        const fresh = (await violations()).filter((v) => !knownViolations.has(v));
        fresh.forEach((v) => knownViolations.add(v));
        if (fresh.length > 0) failures.push(`database invariants broken:\n  ${fresh.join('\n  ')}`);
        if (failures.length > 0 && COLLECT) failures.forEach((f) => collected.add(f));
        else if (failures.length > 0) throw new Error(failures.join('\n\n'));
      });

      const started = Date.now();
      try {
        await fc.assert(property, { numRuns: RUNS, seed: SEED, includeErrorInReport: true });
      } catch (error) {
        throw new Error(`fuzzing failed (reproduce with FUZZ_SEED=${SEED} FUZZ_RUNS=${RUNS}):\n${(error as Error).message}`);
      } finally {
        const table = [...outcomes].sort().map(([name, counts]) => `  ${name}: ${[...counts].sort((a, b) => b[1] - a[1]).map(([o, n]) => `${o} ${n}`).join(', ')}`);
        const known = [...knownHits].map(([id, n]) => `  known issue, ${n} hit(s): ${id}`);
        console.info(`fuzz: ${calls} calls in ${RUNS} batches, seed ${SEED}, ${((Date.now() - started) / 1000).toFixed(1)} s\n${[...table, ...known].join('\n')}`);
      }
      expect([...collected]).toEqual([]);
      // Give expiries that fell due during the run a sweep, then check the final state once more.
      await new Promise((r) => setTimeout(r, 600));
      expect(await violations()).toEqual([]);
    },
    600_000,
  );
});

// Crashes the fuzzer found in designs and quoting, fixed there; pinned here so they stay fixed.
describe('crashes found by fuzzing, fixed', () => {
  it('stores and reads back list entries that mean something to PostgreSQL ("null", commas, quotes, control characters)', async () => {
    const [designer, consumer] = [world.ofRole('DESIGNER')[0]!, world.ofRole('CONSUMER')[0]!];
    // (Lists are de-duplicated ignoring case, so "NULL" goes in the tags.)
    const odd = ['null', 'a,b', 'x"y', 'back\\slash', '{}', 'tab\u0001"'];
    const created = await t.gql('mutation($input: CreateDesignInput!) { createDesign(input: $input) { design { id } errors { code } } }', { input: { title: 'Null Ring', category: 'RING', materials: odd, tags: ['NULL'] } }, designer.token);
    const id = (created.data as { createDesign: { design: { id: string } } }).createDesign.design.id;
    const read = await t.gql('query($id: ID!) { design(id: $id) { materials tags } }', { id });
    expect(read).toEqual({ status: 200, data: { design: { materials: odd, tags: ['NULL'] } } });
    // The request's snapshot of the design is a text[] too.
    const maker = world.ofRole('MANUFACTURER')[2]!;
    const asked = await t.gql('mutation($input: RequestQuotesInput!) { requestQuotes(input: $input) { quoteRequest { items { design { materials } } } errors { code } } }', { input: { items: [{ designId: id, quantity: 1 }], manufacturerIds: [maker.id] } }, consumer.token);
    expect(asked.errors).toBeUndefined();
    expect(asked.data).toEqual({ requestQuotes: { quoteRequest: { items: [{ design: { materials: odd } }] }, errors: [] } });
  });

  it('refuses half a surrogate pair in text stored as JSON (design options and images, estimate labels) with INVALID_INPUT', async () => {
    const designer = world.ofRole('DESIGNER')[0]!;
    const design = world.designs.find((d) => d.designerId === designer.id && !d.archived)!;
    const update = await t.gql('mutation($id: ID!, $input: UpdateDesignInput!) { updateDesign(id: $id, input: $input) { errors { code field } } }', { id: design.id, input: { options: [{ name: 'Twisted', values: ['x\udfffy'] }] } }, designer.token);
    expect(update).toEqual({ status: 200, data: { updateDesign: { errors: [{ code: 'INVALID_INPUT', field: ['input', 'options'] }] } } });
    const create = await t.gql('mutation($input: CreateDesignInput!) { createDesign(input: $input) { errors { code field } } }', { input: { title: 'T', category: 'RING', images: [{ url: 'https://cdn.example.test/\ud800.jpg' }] } }, designer.token);
    expect(create).toEqual({ status: 200, data: { createDesign: { errors: [{ code: 'INVALID_INPUT', field: ['input', 'images'] }] } } });

    const maker = world.ofRole('MANUFACTURER')[2]!;
    const consumer = world.ofRole('CONSUMER')[0]!;
    const ring = world.designs.find((d) => d.options.length === 0 && !d.archived)!;
    const request = await requestQuotes(t.gql, consumer, { items: [{ designId: ring.id, quantity: 1 }], manufacturerIds: [maker.id] });
    const line = { label: 'Casting \ud800', amount: { amount: '10.00', currencyCode: 'USD' } };
    const submit = await t.gql('mutation($input: SubmitEstimateInput!) { submitEstimate(input: $input) { errors { code field } } }', {
      input: { requestId: request.id, price: { amount: '10.00', currencyCode: 'USD' }, lineItems: [line], leadTimeDays: 10, validUntil: new Date(Date.now() + DAY).toISOString() },
    }, maker.token);
    expect(submit).toEqual({ status: 200, data: { submitEstimate: { errors: [{ code: 'INVALID_INPUT', field: ['input', 'lineItems', '0', 'label'] }] } } });
  });
});

// Crashes the fuzzer found outside quoting and designs, now fixed: kept as deterministic regression tests.
describe('issues found by fuzzing', () => {
  it('signs up an e-mail ending in "Σ" without an internal error (auth.service.ts normalizeEmail vs lower())', async () => {
    for (const address of [`fuzz${Date.now()}xΣ@example.test`, `fuzz${Date.now()}İ@example.test`]) {
      const res = await t.gql('mutation($input: SignUpInput!) { signUp(input: $input) { token errors { code } } }', {
        input: { email: address, password: PASSWORD, displayName: 'Sigma', role: 'CONSUMER' },
      });
      expect(res.errors).toBeUndefined();
    }
  });

  it('reads back a manufacturer material "null" (user.entity.ts text[] marshalling)', async () => {
    const maker = await signUpManufacturer(t.gql, ['RING']);
    await t.gql('mutation($input: UpdateManufacturerProfileInput!) { updateManufacturerProfile(input: $input) { errors { code } } }', { input: { categories: ['RING'], materials: ['null'] } }, maker.token);
    const res = await t.gql('{ me { manufacturerProfile { materials } } }', {}, maker.token);
    expect(res.errors).toBeUndefined();
    expect(res.data).toEqual({ me: { manufacturerProfile: { materials: ['null'] } } });
  });
});
