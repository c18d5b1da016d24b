import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ArchiveDesignDocument,
  CreateDesignDocument,
  DesignDocument,
  DesignsDocument,
  UpdateDesignDocument,
  type CreateDesignInput,
  type DesignFilter,
  type DesignsQuery,
} from './generated/graphql.js';
import { startTestApp, type GqlResponse, type TestApp } from './support/app.js';
import { signUp, type TestUser } from './support/users.js';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(() => t?.stop());

/** A word no other test uses, so searches can tell this test's designs apart. Letters only: one lexeme. */
function uniqueWord(): string {
  return `zq${[...randomBytes(6)].map((b) => String.fromCharCode(97 + (b % 26))).join('')}`;
}

async function createDesign(designer: TestUser, input: CreateDesignInput) {
  const res = await t.gql(CreateDesignDocument, { input }, designer.token);
  expect(res.errors).toBeUndefined();
  expect(res.data!.createDesign.errors).toEqual([]);
  return res.data!.createDesign.design!;
}

async function readDesign(id: string, token?: string) {
  const res = await t.gql(DesignDocument, { id }, token);
  expect(res.errors).toBeUndefined();
  return res.data!.design;
}

async function listDesigns(filter: DesignFilter, token?: string, first = 100) {
  const res = await t.gql(DesignsDocument, { first, filter }, token);
  expect(res.errors).toBeUndefined();
  return res.data!.designs;
}

const RING: CreateDesignInput = { title: 'Plain Ring', category: 'RING' };

describe('createDesign', () => {
  it('stores every field as given, cleaned: trimmed title, de-duplicated lists, ordered images, exact price', async () => {
    const designer = await signUp(t.gql, 'DESIGNER', 'Ana Lopes');

    const res = await t.gql(
      CreateDesignDocument,
      {
        input: {
          title: '   Twisted   Vine Ring  ',
          description: 'A vine of gold wrapped around the finger.',
          category: 'RING',
          materials: ['Gold', 'gold', ' Platinum ', 'GOLD'],
          gemstones: ['Emerald', 'emerald'],
          tags: ['botanical', 'vine'],
          options: [
            { name: 'Ring size', values: ['6', '7', '8'] },
            { name: 'Metal', values: ['Yellow gold', 'White gold'] },
          ],
          images: [
            { url: 'https://images.example.test/vine-front.jpg', altText: 'Front' },
            { url: 'https://images.example.test/vine-side.jpg' },
            { url: 'https://images.example.test/vine-hand.jpg', altText: 'On a hand' },
          ],
          referencePrice: { amount: '1250.5', currencyCode: 'usd' },
        },
      },
      designer.token,
    );

    expect(res.errors).toBeUndefined();
    const { design, errors } = res.data!.createDesign;
    expect(errors).toEqual([]);
    expect(design).toMatchObject({
      title: 'Twisted Vine Ring',
      description: 'A vine of gold wrapped around the finger.',
      category: 'RING',
      materials: ['Gold', 'Platinum'],
      gemstones: ['Emerald'],
      tags: ['botanical', 'vine'],
      status: 'ACTIVE',
      sourceHandle: null,
      options: [
        { name: 'Ring size', values: ['6', '7', '8'] },
        { name: 'Metal', values: ['Yellow gold', 'White gold'] },
      ],
      images: [
        { url: 'https://images.example.test/vine-front.jpg', altText: 'Front', position: 1 },
        { url: 'https://images.example.test/vine-side.jpg', altText: null, position: 2 },
        { url: 'https://images.example.test/vine-hand.jpg', altText: 'On a hand', position: 3 },
      ],
      referencePrice: { amount: '1250.50', currencyCode: 'USD' },
      priceRange: { min: { amount: '1250.50', currencyCode: 'USD' }, max: { amount: '1250.50', currencyCode: 'USD' } },
      designer: { id: designer.id, displayName: 'Ana Lopes' },
    });

    // Read back through the public query: the same design, for anyone.
    const { createdAt: _createdAt, updatedAt: _updatedAt, designer: _designer, ...stored } = design!;
    const publicView = await readDesign(design!.id);
    expect(publicView).toMatchObject(stored);
    expect(publicView!.designer.email).toBeNull();
  });

  it('works with only the required fields', async () => {
    const designer = await signUp(t.gql, 'DESIGNER');
    const design = await createDesign(designer, RING);
    expect(design).toMatchObject({
      title: 'Plain Ring',
      description: '',
      materials: [],
      gemstones: [],
      tags: [],
      options: [],
      images: [],
      referencePrice: null,
      priceRange: null,
    });
  });

  describe('refuses invalid input with a field path, and creates nothing', () => {
    const cases: Array<[string, Partial<CreateDesignInput>, string[]]> = [
      ['an empty title', { title: '   ' }, ['input', 'title']],
      ['an image URL that is not http(s)', { images: [{ url: 'not a url' }] }, ['input', 'images', '0', 'url']],
      ['a USD amount with 3 decimals', { referencePrice: { amount: '10.999', currencyCode: 'USD' } }, ['input', 'referencePrice', 'amount']],
      ['an unknown currency', { referencePrice: { amount: '10.00', currencyCode: 'XYZ' } }, ['input', 'referencePrice', 'currencyCode']],
      ['a negative price', { referencePrice: { amount: '-5', currencyCode: 'EUR' } }, ['input', 'referencePrice', 'amount']],
      ['an option without values', { options: [{ name: 'Size', values: [' '] }] }, ['input', 'options', '0', 'values']],
    ];

    it.each(cases)('%s', async (_case, bad, field) => {
      const designer = await signUp(t.gql, 'DESIGNER');
      await createDesign(designer, RING);

      const res = await t.gql(CreateDesignDocument, { input: { ...RING, ...bad } }, designer.token);

      expect(res.errors).toBeUndefined();
      expect(res.data!.createDesign.design).toBeNull();
      expect(res.data!.createDesign.errors).toEqual([expect.objectContaining({ code: 'INVALID_INPUT', field })]);
      expect((await listDesigns({ designerId: designer.id }, designer.token)).totalCount).toBe(1);
    });

    it('reports every problem at once', async () => {
      const designer = await signUp(t.gql, 'DESIGNER');
      const res = await t.gql(
        CreateDesignDocument,
        { input: { title: '', category: 'RING', images: [{ url: 'https://ok.example.test/a.jpg' }, { url: 'ftp://example.test/b.jpg' }] } },
        designer.token,
      );
      expect(res.data!.createDesign.errors.map((e) => [e.code, e.field])).toEqual([
        ['INVALID_INPUT', ['input', 'title']],
        ['INVALID_INPUT', ['input', 'images', '1', 'url']],
      ]);
      expect(res.data!.createDesign.errors[0].message).toBe('A design needs a title.');
      expect((await listDesigns({ designerId: designer.id }, designer.token)).totalCount).toBe(0);
    });
  });

  it('is FORBIDDEN for a consumer and UNAUTHENTICATED when anonymous', async () => {
    const consumer = await signUp(t.gql, 'CONSUMER');

    const forbidden = await t.gql(CreateDesignDocument, { input: RING }, consumer.token);
    expect(forbidden.errors?.[0].extensions?.code).toBe('FORBIDDEN');
    expect(forbidden.data).toBeNull();

    const anonymous = await t.gql(CreateDesignDocument, { input: RING });
    expect(anonymous.errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
    expect(anonymous.data).toBeNull();
  });
});

describe('updateDesign and archiveDesign', () => {
  const original: CreateDesignInput = {
    title: 'Moonstone Pendant',
    description: 'Oval moonstone in a silver bezel.',
    category: 'PENDANT',
    materials: ['Silver'],
    gemstones: ['Moonstone'],
    tags: ['moon'],
    options: [{ name: 'Chain length', values: ['40 cm', '45 cm'] }],
    images: [{ url: 'https://images.example.test/moon.jpg', altText: 'Pendant' }],
    referencePrice: { amount: '320', currencyCode: 'EUR' },
  };

  it('changes only the fields given; a null referencePrice clears the price', async () => {
    const owner = await signUp(t.gql, 'DESIGNER');
    const created = await createDesign(owner, original);

    // when: the owner renames it and changes the materials
    const renamed = await t.gql(UpdateDesignDocument, { id: created.id, input: { title: ' Moonstone  Drop ', materials: ['Gold', 'gold'] } }, owner.token);

    // then: those two fields changed, the rest is as created
    expect(renamed.data!.updateDesign.errors).toEqual([]);
    const { title: _t, materials: _m, updatedAt: _u, ...unchanged } = created;
    expect(renamed.data!.updateDesign.design).toMatchObject({ ...unchanged, title: 'Moonstone Drop', materials: ['Gold'] });

    // when: the owner clears the price
    const cleared = await t.gql(UpdateDesignDocument, { id: created.id, input: { referencePrice: null } }, owner.token);
    expect(cleared.data!.updateDesign.errors).toEqual([]);
    expect(cleared.data!.updateDesign.design).toMatchObject({ title: 'Moonstone Drop', referencePrice: null, priceRange: null });

    const reread = await readDesign(created.id);
    expect(reread).toMatchObject({
      title: 'Moonstone Drop',
      materials: ['Gold'],
      description: original.description,
      category: 'PENDANT',
      gemstones: ['Moonstone'],
      tags: ['moon'],
      options: created.options,
      images: created.images,
      referencePrice: null,
      priceRange: null,
    });
  });

  it('sets a new price exactly and refuses an invalid patch without changing anything', async () => {
    const owner = await signUp(t.gql, 'DESIGNER');
    const created = await createDesign(owner, original);

    const repriced = await t.gql(UpdateDesignDocument, { id: created.id, input: { referencePrice: { amount: '99.9', currencyCode: 'GBP' } } }, owner.token);
    expect(repriced.data!.updateDesign.design!.referencePrice).toEqual({ amount: '99.90', currencyCode: 'GBP' });

    const invalid = await t.gql(UpdateDesignDocument, { id: created.id, input: { title: ' ', description: 'Should not be saved' } }, owner.token);
    expect(invalid.data!.updateDesign.design).toBeNull();
    expect(invalid.data!.updateDesign.errors).toEqual([expect.objectContaining({ code: 'INVALID_INPUT', field: ['input', 'title'] })]);
    expect(await readDesign(created.id)).toMatchObject({ title: original.title, description: original.description });
  });

  it("answers NOT_FOUND to another designer's update or archive, and changes nothing", async () => {
    const owner = await signUp(t.gql, 'DESIGNER');
    const intruder = await signUp(t.gql, 'DESIGNER');
    const created = await createDesign(owner, original);
    const before = await readDesign(created.id);

    const update = await t.gql(UpdateDesignDocument, { id: created.id, input: { title: 'Stolen', referencePrice: null } }, intruder.token);
    const archive = await t.gql(ArchiveDesignDocument, { id: created.id }, intruder.token);

    for (const payload of [update.data!.updateDesign, archive.data!.archiveDesign]) {
      expect(payload.design).toBeNull();
      expect(payload.errors).toEqual([{ code: 'NOT_FOUND', message: 'Design not found.', field: ['id'], line: null }]);
    }
    expect(await readDesign(created.id)).toEqual(before);
  });

  it('answers NOT_FOUND for an id that does not exist or is not a UUID', async () => {
    const owner = await signUp(t.gql, 'DESIGNER');
    for (const id of ['00000000-0000-4000-8000-000000000000', 'not-a-uuid']) {
      const res = await t.gql(ArchiveDesignDocument, { id }, owner.token);
      expect(res.data!.archiveDesign.errors.map((e) => e.code)).toEqual(['NOT_FOUND']);
    }
  });

  it('is FORBIDDEN for a consumer', async () => {
    const owner = await signUp(t.gql, 'DESIGNER');
    const consumer = await signUp(t.gql, 'CONSUMER');
    const created = await createDesign(owner, original);
    const res = await t.gql(UpdateDesignDocument, { id: created.id, input: { title: 'Mine now' } }, consumer.token);
    expect(res.errors?.[0].extensions?.code).toBe('FORBIDDEN');
    expect((await readDesign(created.id))!.title).toBe(original.title);
  });
});

describe('archived designs', () => {
  it('are hidden from everyone but their designer, in design(id) and in designs', async () => {
    // given: a designer with two designs, one of them archived
    const owner = await signUp(t.gql, 'DESIGNER');
    const otherDesigner = await signUp(t.gql, 'DESIGNER');
    const consumer = await signUp(t.gql, 'CONSUMER');
    const kept = await createDesign(owner, { title: 'Kept Brooch', category: 'BROOCH' });
    const archived = await createDesign(owner, { title: 'Retired Brooch', category: 'BROOCH' });
    const res = await t.gql(ArchiveDesignDocument, { id: archived.id }, owner.token);
    expect(res.data!.archiveDesign).toEqual({ design: { id: archived.id, status: 'ARCHIVED' }, errors: [] });

    // then: anonymous visitors and other users neither find it nor count it
    for (const token of [undefined, otherDesigner.token, consumer.token]) {
      expect(await readDesign(archived.id, token)).toBeNull();
      expect((await readDesign(kept.id, token))!.status).toBe('ACTIVE');
      const list = await listDesigns({ designerId: owner.id }, token);
      expect(list.totalCount).toBe(1);
      expect(list.edges.map((e) => e.node.id)).toEqual([kept.id]);
    }

    // and: its designer still sees it, marked ARCHIVED
    expect(await readDesign(archived.id, owner.token)).toMatchObject({ id: archived.id, status: 'ARCHIVED', title: 'Retired Brooch' });
    const own = await listDesigns({ designerId: owner.id }, owner.token);
    expect(own.totalCount).toBe(2);
    expect(own.edges.map((e) => [e.node.id, e.node.status])).toEqual([
      [archived.id, 'ARCHIVED'],
      [kept.id, 'ACTIVE'],
    ]);
  });
});

describe('design(id)', () => {
  it('answers null, not an error, for an id that is not a UUID or does not exist', async () => {
    for (const id of ['not-a-uuid', '12345', '00000000-0000-4000-8000-000000000000']) {
      const res = await t.gql(DesignDocument, { id });
      expect(res.errors).toBeUndefined();
      expect(res.data!.design).toBeNull();
    }
  });
});

describe('designs: search, filters and pagination', () => {
  let designer: TestUser;
  let word: string;
  /** Everything this designer created, newest first (the catalog's order). */
  let created: Array<{ id: string; title: string; createdAt: string }>;
  const byTitle = (suffix: string) => created.find((d) => d.title === `${word} ${suffix}`)!.id;

  beforeAll(async () => {
    designer = await signUp(t.gql, 'DESIGNER');
    word = uniqueWord();
    const special: CreateDesignInput[] = [
      { title: `${word} Twisted Bracelet`, category: 'BRACELET', materials: ['Gold'] },
      { title: `${word} Charm Bracelet`, category: 'BRACELET', materials: ['Silver'] },
      { title: `${word} Pearl Necklace`, category: 'NECKLACE', materials: ['gold', 'Pearl'], description: 'Pairs with the charm bracelet.' },
      { title: `${word} Stud Earrings`, category: 'EARRINGS', materials: ['Platinum'], tags: ['filigree'] },
      { title: `${word} Signet Ring`, category: 'RING', materials: ['Platinum'], description: 'Hand hammered signet.' },
    ];
    const fillers: CreateDesignInput[] = Array.from({ length: 20 }, (_, i) => ({
      title: `${word} Piece ${i + 1}`,
      category: (['RING', 'PENDANT', 'BROOCH', 'OTHER'] as const)[i % 4],
      materials: ['Titanium'],
    }));
    created = [];
    for (const input of [...special, ...fillers]) {
      const design = await createDesign(designer, input);
      created.push({ id: design.id, title: design.title, createdAt: design.createdAt });
    }
    // Newest first; designs made in the same millisecond are ordered by id, descending.
    created.sort((a, b) => (a.createdAt === b.createdAt ? (a.id < b.id ? 1 : -1) : a.createdAt < b.createdAt ? 1 : -1));

    // Another designer's matching design must never show up under this designer's filter.
    const other = await signUp(t.gql, 'DESIGNER');
    await createDesign(other, { title: `${word} Gold Bracelet`, category: 'BRACELET', materials: ['Gold'] });
  });

  const ids = async (filter: Omit<DesignFilter, 'designerId'>) => {
    const list = await listDesigns({ ...filter, designerId: designer.id });
    expect(list.totalCount).toBe(list.edges.length);
    return list.edges.map((e) => e.node.id).sort();
  };
  const expected = (...titles: string[]) => titles.map(byTitle).sort();

  it('filters by designer', async () => {
    const list = await listDesigns({ designerId: designer.id });
    expect(list.totalCount).toBe(25);
    expect(list.edges.every((e) => e.node.designer.id === designer.id)).toBe(true);
  });

  it('filters by category', async () => {
    expect(await ids({ category: 'BRACELET' })).toEqual(expected('Twisted Bracelet', 'Charm Bracelet'));
    expect(await ids({ category: 'EARRINGS' })).toEqual(expected('Stud Earrings'));
  });

  it('filters by material in any letter case', async () => {
    expect(await ids({ material: 'gold' })).toEqual(expected('Twisted Bracelet', 'Pearl Necklace'));
    expect(await ids({ material: ' PLATINUM ' })).toEqual(expected('Stud Earrings', 'Signet Ring'));
    expect(await ids({ material: 'Unobtainium' })).toEqual([]);
  });

  it('searches title words by prefix ("brace" finds "bracelet", in the title or the description)', async () => {
    expect(await ids({ search: 'brace' })).toEqual(expected('Twisted Bracelet', 'Charm Bracelet', 'Pearl Necklace'));
    expect(await ids({ search: 'Twisted' })).toEqual(expected('Twisted Bracelet'));
  });

  it('searches tags and descriptions', async () => {
    expect(await ids({ search: 'filigree' })).toEqual(expected('Stud Earrings'));
    expect(await ids({ search: 'hammered' })).toEqual(expected('Signet Ring'));
  });

  it('needs every search word to match, and combines search with the other filters', async () => {
    expect(await ids({ search: 'charm brace' })).toEqual(expected('Charm Bracelet', 'Pearl Necklace'));
    expect(await ids({ search: 'brace', category: 'NECKLACE' })).toEqual(expected('Pearl Necklace'));
    expect(await ids({ search: 'brace', material: 'silver' })).toEqual(expected('Charm Bracelet'));
    expect(await ids({ search: 'nosuchwordanywhere' })).toEqual([]);
  });

  it('finds the designs by the unique word across all designers', async () => {
    const res = await t.gql(DesignsDocument, { first: 100, filter: { search: word } });
    expect(res.data!.designs.totalCount).toBe(26);
  });

  it('walks every design exactly once, newest first, 7 at a time', async () => {
    const seen: string[] = [];
    const pageSizes: number[] = [];
    let after: string | null = null;
    for (;;) {
      const res: GqlResponse<DesignsQuery> = await t.gql(DesignsDocument, { first: 7, after, filter: { designerId: designer.id } });
      expect(res.errors).toBeUndefined();
      const page = res.data!.designs;
      expect(page.totalCount).toBe(25);
      pageSizes.push(page.edges.length);
      seen.push(...page.edges.map((e) => e.node.id));
      expect(page.pageInfo.endCursor).toBe(page.edges.at(-1)?.cursor ?? null);
      if (!page.pageInfo.hasNextPage) break;
      after = page.pageInfo.endCursor;
    }
    expect(pageSizes).toEqual([7, 7, 7, 4]);
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen).toEqual(created.map((d) => d.id));
  });

  it('refuses more than 100 per page and a cursor it did not issue (BAD_USER_INPUT)', async () => {
    const tooMany = await t.gql(DesignsDocument, { first: 101 });
    expect(tooMany.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');

    const garbage = await t.gql(DesignsDocument, { first: 5, after: 'definitely-not-a-cursor' });
    expect(garbage.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
  });

  it('answers an empty list for a designerId that is not a UUID', async () => {
    const res = await t.gql(DesignsDocument, { first: 5, filter: { designerId: 'not-a-uuid' } });
    expect(res.errors).toBeUndefined();
    expect(res.data!.designs).toEqual({ totalCount: 0, pageInfo: { hasNextPage: false, endCursor: null }, edges: [] });
  });
});

describe('designs: a page reads only the columns asked for', () => {
  const FIELDS = [
    'id',
    'title',
    'description',
    'category',
    'materials',
    'gemstones',
    'tags',
    'status',
    'sourceHandle',
    'options { name values }',
    'images { url altText position }',
    'referencePrice { amount currencyCode }',
    'priceRange { min { amount currencyCode } max { amount currencyCode } }',
    'designer { id displayName email role createdAt }',
    'createdAt',
    'updatedAt',
  ];
  const FULL: CreateDesignInput = {
    title: 'Twisted Halo Ring',
    description: 'A halo of pavé diamonds around an oval centre stone.',
    category: 'RING',
    materials: ['18k Gold', 'Platinum'],
    gemstones: ['Diamond'],
    tags: ['halo', 'engagement'],
    options: [{ name: 'Ring size', values: ['5', '6', '7'] }],
    images: [{ url: 'https://example.com/halo-1.jpg', altText: 'Front' }, { url: 'https://example.com/halo-2.jpg' }],
    referencePrice: { amount: '1249.50', currencyCode: 'USD' },
  };

  async function page(selection: string, designerId: string, token?: string) {
    const res = await t.gql<{ designs: { edges: Array<{ node: Record<string, unknown> }> } }>(
      `query ($filter: DesignFilter) { designs(filter: $filter) { edges { node { ${selection} } } } }`,
      { filter: { designerId } },
      token,
    );
    expect(res.errors).toBeUndefined();
    expect(res.data!.designs.edges).toHaveLength(1);
    return res.data!.designs.edges[0].node;
  }

  it('answers every field, alone or all together, exactly as design(id) does', async () => {
    // given: a design with every field filled in, read through design(id) (which reads every column)
    const designer = await signUp(t.gql, 'DESIGNER', 'Mara Field');
    const created = await createDesign(designer, FULL);
    for (const token of [designer.token, undefined]) {
      const res = await t.gql<{ design: Record<string, unknown> }>(`query ($id: ID!) { design(id: $id) { ${FIELDS.join(' ')} } }`, { id: created.id }, token);
      expect(res.errors).toBeUndefined();
      const expected = res.data!.design;
      expect(expected.priceRange).toEqual({ min: { amount: '1249.50', currencyCode: 'USD' }, max: { amount: '1249.50', currencyCode: 'USD' } });
      expect((expected.designer as { email: string | null }).email).toBe(token ? designer.email : null);

      // then: each field asked alone on a catalog page has the same value
      for (const field of FIELDS) {
        const name = field.split(' ')[0];
        expect(await page(field, designer.id, token), name).toEqual({ [name]: expected[name] });
      }
      // and: each field of the designer alone (the page joins only its columns) as design(id) answers it
      for (const sub of ['id', 'displayName', 'email', 'role', 'createdAt', 'manufacturerProfile { categories region }', '__typename']) {
        const alone = await t.gql<{ design: Record<string, unknown> }>(`query ($id: ID!) { design(id: $id) { designer { ${sub} } } }`, { id: created.id }, token);
        expect(await page(`designer { ${sub} }`, designer.id, token), sub).toEqual(alone.data!.design);
      }
      // and: all of them through a fragment, an inline fragment and an alias
      const res2 = await t.gql<{ designs: { edges: Array<{ node: Record<string, unknown> }> } }>(
        `query ($filter: DesignFilter) { designs(filter: $filter) { edges { node { ...F ... on Design { again: title } } } } }
         fragment F on Design { ${FIELDS.join(' ')} }`,
        { filter: { designerId: designer.id } },
        token,
      );
      expect(res2.errors).toBeUndefined();
      expect(res2.data!.designs.edges[0].node).toEqual({ ...expected, again: 'Twisted Halo Ring' });
    }
  });
});
