import { execFile } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DesignsDocument, ImportDesignsDocument, type ImportDesignsMutation } from './generated/graphql.js';
import { TEST_JWT_SECRET, startTestApp, type TestApp } from './support/app.js';
import { signUp, uniqueEmail, type TestUser } from './support/users.js';
import { SHOPIFY_CSV_PATH, readShopifyExport } from './support/shopify-export.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(here, '..');
const SHOPIFY_CSV = readShopifyExport();
const PHOTOS = 'https://burst.shopifycdn.com/photos/';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(() => t?.stop());

type Imported = ImportDesignsMutation['importDesigns'];

async function importCsv(designer: TestUser, content: string, currencyCode?: string): Promise<Imported> {
  const res = await t.gql(ImportDesignsDocument, { input: { format: 'SHOPIFY_CSV', content, currencyCode } }, designer.token);
  expect(res.errors).toBeUndefined();
  return res.data!.importDesigns;
}

async function designCount(designer: TestUser): Promise<number> {
  const res = await t.gql(DesignsDocument, { first: 1, filter: { designerId: designer.id } }, designer.token);
  return res.data!.designs.totalCount;
}

const byHandle = (result: Imported, handle: string) => {
  const design = result.designs.find((d) => d.sourceHandle === handle);
  expect(design, `design for handle ${handle}`).toBeDefined();
  return design!;
};

describe('importDesigns with a real Shopify export', () => {
  let designer: TestUser;
  let result: Imported;

  beforeAll(async () => {
    designer = await signUp(t.gql, 'DESIGNER');
    result = await importCsv(designer, SHOPIFY_CSV);
  });

  it('imports all 20 products without errors, in file order', () => {
    expect(result.errors).toEqual([]);
    expect(result.importedCount).toBe(20);
    expect(result.createdCount).toBe(20);
    expect(result.updatedCount).toBe(0);
    expect(result.designs.map((d) => [d.sourceHandle, d.title, d.category, d.images.length, d.priceRange?.min.amount, d.priceRange?.max.amount])).toEqual([
      ['chain-bracelet', '7 Shakra Bracelet', 'BRACELET', 2, '42.99', '42.99'],
      ['leather-anchor', 'Anchor Bracelet Mens', 'BRACELET', 3, '55.00', '69.99'],
      ['bangle-bracelet', 'Bangle Bracelet', 'BRACELET', 1, '39.99', '39.99'],
      ['bangle-bracelet-with-feathers', 'Boho Bangle Bracelet', 'BRACELET', 1, '42.99', '42.99'],
      ['boho-earrings', 'Boho Earrings', 'EARRINGS', 3, '27.99', '27.99'],
      ['choker-with-bead', 'Choker with Bead', 'NECKLACE', 2, '14.99', '14.99'],
      ['choker-with-gold-pendant', 'Choker with Gold Pendant', 'NECKLACE', 2, '29.99', '29.99'],
      ['choker-with-triangle', 'Choker with Triangle', 'NECKLACE', 1, '47.99', '47.99'],
      ['dainty-gold-neclace', 'Dainty Gold Necklace', 'NECKLACE', 2, '63.99', '63.99'],
      ['dreamcatcher-pendant-necklace', 'Dreamcatcher Pendant Necklace', 'NECKLACE', 2, '23.99', '23.99'],
      ['galaxy-earrings', 'Galaxy Earrings', 'EARRINGS', 1, '37.99', '37.99'],
      ['gemstone', 'Gemstone Necklace', 'NECKLACE', 4, '27.99', '27.99'],
      ['gold-bird-necklace', 'Gold Bird Necklace', 'NECKLACE', 1, '79.99', '79.99'],
      ['looped-earrings', 'Gold Elephant Earrings', 'EARRINGS', 1, '54.99', '54.99'],
      ['guardian-angel-earrings', 'Guardian Angel Earrings', 'EARRINGS', 2, '19.99', '19.99'],
      ['moon-charm-bracelet', 'Moon Charm Bracelet', 'BRACELET', 3, '47.99', '47.99'],
      ['origami-crane-necklace', 'Origami Crane Necklace', 'NECKLACE', 4, '75.99', '75.99'],
      ['pretty-gold-necklace', 'Pretty Gold Necklace', 'NECKLACE', 3, '44.95', '44.95'],
      ['silver-threader-necklace', 'Silver Threader Necklace', 'NECKLACE', 2, '14.99', '14.99'],
      ['stylish-summer-neclace', 'Stylish Summer Necklace', 'NECKLACE', 1, '44.99', '44.99'],
    ]);
    expect(result.designs.every((d) => d.designer.id === designer.id && d.status === 'ACTIVE')).toBe(true);
  });

  it('keeps images in Shopify position order, with their exact URLs', () => {
    expect(byHandle(result, 'leather-anchor').images).toEqual([
      { url: `${PHOTOS}anchor-bracelet-mens_925x.jpg`, altText: null, position: 1 },
      { url: `${PHOTOS}anchor-bracelet-for-men_925x.jpg`, altText: null, position: 2 },
      { url: `${PHOTOS}leather-anchor-bracelet-for-men_925x.jpg`, altText: null, position: 3 },
    ]);
    expect(byHandle(result, 'gemstone').images.map((i) => [i.position, i.url])).toEqual([
      [1, `${PHOTOS}blue-gemstone-pendant_925x.jpg`],
      [2, `${PHOTOS}gemstone-necklace_925x.jpg`],
      [3, `${PHOTOS}womens-necklace_925x.jpg`],
      [4, `${PHOTOS}purple-gemstone-necklace_925x.jpg`],
    ]);
  });

  it('reads prices as exact decimals in the given currency (USD by default); the reference price is the lowest', () => {
    const anchor = byHandle(result, 'leather-anchor');
    expect(anchor.referencePrice).toEqual({ amount: '55.00', currencyCode: 'USD' });
    expect(anchor.priceRange).toEqual({ min: { amount: '55.00', currencyCode: 'USD' }, max: { amount: '69.99', currencyCode: 'USD' } });
    expect(byHandle(result, 'pretty-gold-necklace').referencePrice).toEqual({ amount: '44.95', currencyCode: 'USD' });
  });

  it('collects option values across variant rows and drops the "Title / Default Title" placeholder', () => {
    expect(byHandle(result, 'chain-bracelet').options).toEqual([{ name: 'Color', values: ['Blue', 'Black'] }]);
    expect(byHandle(result, 'leather-anchor').options).toEqual([{ name: 'Color', values: ['Gold', 'Silver'] }]);
    expect(byHandle(result, 'gemstone').options).toEqual([{ name: 'Colour', values: ['Blue', 'Purple'] }]);
    for (const handle of ['bangle-bracelet', 'boho-earrings', 'pretty-gold-necklace']) {
      expect(byHandle(result, handle).options).toEqual([]);
    }
  });

  it('keeps the tags and recognises materials and gemstones among them', () => {
    expect(byHandle(result, 'leather-anchor')).toMatchObject({
      tags: ['Anchor', 'Gold', 'Leather', 'Silver'],
      materials: ['Gold', 'Leather', 'Silver'],
      gemstones: [],
    });
    expect(byHandle(result, 'gemstone')).toMatchObject({
      tags: ['Blue', 'Gem', 'Purple', 'Silver', 'Turquoise'],
      materials: ['Silver'],
      gemstones: ['Turquoise'],
    });
    expect(byHandle(result, 'chain-bracelet').tags).toEqual(['Beads']);
  });

  it('turns the HTML body into plain text', () => {
    const gemstone = byHandle(result, 'gemstone').description;
    expect(gemstone).not.toMatch(/<\/?[a-z]+/i);
    expect(gemstone).toContain('Gemstone pendant, housed in sterling silver, with sterling silver chain.');
    expect(gemstone).toContain('Sterling silver chain, 14 inches');
    expect(gemstone).toContain('Made in USA');

    // CSV-escaped quotes ("") inside a multi-line HTML body come out as plain inch marks.
    const choker = byHandle(result, 'choker-with-gold-pendant').description;
    expect(choker).not.toMatch(/<\/?[a-z]+/i);
    expect(choker).toContain('Length, 12" with 2.5" extender');

    expect(byHandle(result, 'chain-bracelet').description).toBe('7 chakra bracelet, in blue or black.');
  });

  it('makes the imported designs public in the catalog', async () => {
    const res = await t.gql(DesignsDocument, { first: 100, filter: { designerId: designer.id, category: 'EARRINGS' } });
    expect(res.data!.designs.totalCount).toBe(4);
    const search = await t.gql(DesignsDocument, { first: 100, filter: { designerId: designer.id, search: 'origami' } });
    expect(search.data!.designs.edges.map((e) => e.node.title)).toEqual(['Origami Crane Necklace']);
  });
});

describe('importing the same file again', () => {
  it('updates the designer\'s designs by handle instead of duplicating them', async () => {
    const designer = await signUp(t.gql, 'DESIGNER');
    const first = await importCsv(designer, SHOPIFY_CSV);

    const again = await importCsv(designer, SHOPIFY_CSV);

    expect(again.errors).toEqual([]);
    expect([again.importedCount, again.createdCount, again.updatedCount]).toEqual([20, 0, 20]);
    expect(again.designs.map((d) => d.id)).toEqual(first.designs.map((d) => d.id));
    expect(await designCount(designer)).toBe(20);
  });

  it('twice at the same time gives one set of designs, not an error', async () => {
    const designer = await signUp(t.gql, 'DESIGNER');

    const results = await Promise.all([importCsv(designer, SHOPIFY_CSV), importCsv(designer, SHOPIFY_CSV)]);

    expect(results.map((r) => [r.importedCount, r.createdCount, r.updatedCount, r.errors.length]).sort()).toEqual([
      [20, 0, 20, 0],
      [20, 20, 0, 0],
    ]);
    expect(results[0].designs.map((d) => d.id)).toEqual(results[1].designs.map((d) => d.id));
    expect(await designCount(designer)).toBe(20);
  });

  it('by another designer creates that designer\'s own 20 designs', async () => {
    const alice = await signUp(t.gql, 'DESIGNER');
    const bob = await signUp(t.gql, 'DESIGNER');
    const fromAlice = await importCsv(alice, SHOPIFY_CSV);

    const fromBob = await importCsv(bob, SHOPIFY_CSV);

    expect([fromBob.importedCount, fromBob.createdCount, fromBob.updatedCount]).toEqual([20, 20, 0]);
    const aliceIds = new Set(fromAlice.designs.map((d) => d.id));
    expect(fromBob.designs.some((d) => aliceIds.has(d.id))).toBe(false);
    expect(fromBob.designs.every((d) => d.designer.id === bob.id)).toBe(true);
    expect(await designCount(alice)).toBe(20);
    expect(await designCount(bob)).toBe(20);
  });
});

describe('a file with bad rows', () => {
  const HEADER = 'Handle,Title,Body (HTML),Type,Tags,Option1 Name,Option1 Value,Variant Price,Image Src,Image Position';
  const LINES = [
    HEADER, //                                                                  line 1
    'good-ring,Good Ring,<p>Plain band</p>,Ring,Gold,Title,Default Title,100.00,https://img.example.test/ring.jpg,1', // 2
    'bad-price,Bad Price,Nice,Ring,,Size,6,abc,,', //                           line 3
    ',Orphan,No handle,Ring,,,,10,,', //                                        line 4
    'multi-line,Multi Line,"<p>First line</p>', //                              line 5
    '<p>Second, with a comma</p>', //                                           line 6
    '<p>Third line</p>",Necklace,Silver,,,25.5,,', //                           line 7
    'good-bracelet,Good Bracelet,Fine,Bracelet,,,,30,,', //                     line 8
    'broken,Broken,"this quote is never closed,Ring,,,,10,,', //                line 9
    'after-broken,After Broken,Text,Ring,,,,10,,', //                           line 10
  ];

  function expectReport(result: Imported) {
    // the good products are imported
    expect(result.designs.map((d) => [d.sourceHandle, d.title, d.category, d.referencePrice?.amount])).toEqual([
      ['good-ring', 'Good Ring', 'RING', '100.00'],
      ['multi-line', 'Multi Line', 'NECKLACE', '25.50'],
      ['good-bracelet', 'Good Bracelet', 'BRACELET', '30.00'],
    ]);
    expect(result.importedCount).toBe(3);
    expect(result.designs[1].description).toBe('First line\n\nSecond, with a comma\n\nThird line');

    // each bad row is reported once, at its physical line in the file
    expect(result.errors.map((e) => [e.code, e.line, e.field])).toEqual([
      ['INVALID_INPUT', 3, ['input', 'content']],
      ['INVALID_INPUT', 4, ['input', 'content']],
      ['INVALID_INPUT', 9, ['input', 'content']],
    ]);
    const [price, handle, quote] = result.errors.map((e) => e.message);
    expect(price).toMatch(/^Line 3: Variant Price: "abc" is not a decimal amount/);
    expect(price).toContain('"bad-price" was not imported');
    expect(handle).toMatch(/^Line 4: The Handle is empty/);
    expect(quote).toMatch(/^Line 9: A quoted field is never closed/);
  }

  it('imports the good products and reports each bad row with its line number', async () => {
    const designer = await signUp(t.gql, 'DESIGNER');
    const result = await importCsv(designer, `${LINES.join('\n')}\n`);
    expectReport(result);
    expect(await designCount(designer)).toBe(3);
  });

  it('gives the same line numbers for a file with Windows (CRLF) line endings', async () => {
    const designer = await signUp(t.gql, 'DESIGNER');
    const result = await importCsv(designer, `${LINES.join('\r\n')}\r\n`);
    expectReport(result);
  });

  it('refuses a file without a Handle column with one error at line 1, importing nothing', async () => {
    const designer = await signUp(t.gql, 'DESIGNER');
    const result = await importCsv(designer, 'Name,Title,Variant Price\nring,Ring,10\n');
    expect(result.importedCount).toBe(0);
    expect(result.designs).toEqual([]);
    expect(result.errors).toEqual([
      expect.objectContaining({ code: 'INVALID_INPUT', line: 1, message: expect.stringMatching(/^Line 1: .*no Handle column/) }),
    ]);
    expect(await designCount(designer)).toBe(0);
  });

  it('refuses an unknown currency code before reading the file', async () => {
    const designer = await signUp(t.gql, 'DESIGNER');
    const result = await importCsv(designer, SHOPIFY_CSV, 'ABC');
    expect(result.importedCount).toBe(0);
    expect(result.errors).toEqual([expect.objectContaining({ code: 'INVALID_INPUT', field: ['input', 'currencyCode'], line: null })]);
    expect(await designCount(designer)).toBe(0);
  });

  it('reads prices in the currency given', async () => {
    const designer = await signUp(t.gql, 'DESIGNER');
    const result = await importCsv(designer, `${HEADER}\nsolitaire,Solitaire,,Ring,,,,1250.5,,\n`, 'eur');
    expect(result.designs[0].referencePrice).toEqual({ amount: '1250.50', currencyCode: 'EUR' });
  });
});

describe('who may import', () => {
  it('is FORBIDDEN for a consumer and UNAUTHENTICATED when anonymous', async () => {
    const consumer = await signUp(t.gql, 'CONSUMER');
    const input = { format: 'SHOPIFY_CSV' as const, content: SHOPIFY_CSV };
    expect((await t.gql(ImportDesignsDocument, { input }, consumer.token)).errors?.[0].extensions?.code).toBe('FORBIDDEN');
    expect((await t.gql(ImportDesignsDocument, { input })).errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
  });
});

describe('the import CLI (dist/cli/import.js)', () => {
  function runCli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
    return new Promise((resolve) => {
      execFile(
        process.execPath,
        ['dist/cli/import.js', ...args],
        {
          cwd: repoRoot,
          env: { PATH: process.env.PATH, NODE_ENV: 'test', DATABASE_URL: t.db.url, LOG_LEVEL: 'silent', JWT_SECRET: TEST_JWT_SECRET },
        },
        (error, stdout, stderr) => resolve({ code: error ? (error.code as number | null) : 0, stdout, stderr }),
      );
    });
  }

  it('imports the file for an existing designer', async () => {
    const designer = await signUp(t.gql, 'DESIGNER');

    const run = await runCli(['--designer', designer.email, SHOPIFY_CSV_PATH]);

    expect(run.stderr).toBe('');
    expect(run.stdout).toContain('Imported 20 designs');
    expect(run.code).toBe(0);
    expect(await designCount(designer)).toBe(20);
  });

  it('exits 1 with a clear message for an e-mail that is not a designer', async () => {
    const consumer = await signUp(t.gql, 'CONSUMER');
    for (const email of [uniqueEmail('nobody'), consumer.email]) {
      const run = await runCli(['--designer', email, SHOPIFY_CSV_PATH]);
      expect(run.code).toBe(1);
      expect(run.stderr).toContain(`No designer account with the e-mail ${email}`);
      expect(run.stdout).toBe('');
    }
  });
});
