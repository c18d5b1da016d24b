// The benchmark data set, deterministic and fast: drops and recreates only `bench_jewelry` (and, for the
// fan-out runs, `bench_jewelry_fanout`), applies the app's own migrations with the built migrate command,
// then bulk-inserts with plain SQL (json_populate_recordset, 2,000 rows a statement).
//
//   node dist/bench/seed.js            # ~10,000 designs, 600 users, 1,000 requests, 5,000 estimates
import { scryptSync } from 'node:crypto';
import pg from 'pg';
import { ADMIN_URL, BENCH_DB, BENCH_PASSWORD, FANOUT_DB, Rng, dbUrl, isMain, log, round, spawnNode } from './lib.js';

const CATEGORIES = [
  ['RING', 30],
  ['NECKLACE', 20],
  ['EARRINGS', 18],
  ['BRACELET', 14],
  ['PENDANT', 10],
  ['BROOCH', 4],
  ['OTHER', 4],
] as const;
const ALL_CATEGORIES = CATEGORIES.map(([c]) => c);
const NOUN: Record<string, string[]> = {
  RING: ['Ring', 'Band', 'Signet', 'Solitaire Ring', 'Stacking Ring'],
  NECKLACE: ['Necklace', 'Choker', 'Chain', 'Collar', 'Lariat'],
  EARRINGS: ['Earrings', 'Studs', 'Hoops', 'Drops', 'Huggies'],
  BRACELET: ['Bracelet', 'Bangle', 'Cuff', 'Tennis Bracelet', 'Charm Bracelet'],
  PENDANT: ['Pendant', 'Locket', 'Medallion', 'Charm'],
  BROOCH: ['Brooch', 'Pin', 'Lapel Pin'],
  OTHER: ['Anklet', 'Tiara', 'Hair Pin', 'Cufflinks', 'Body Chain'],
};
const MATERIALS = ['Yellow Gold', 'White Gold', 'Rose Gold', 'Sterling Silver', 'Platinum', 'Titanium', 'Palladium', 'Brass', 'Leather', 'Gold Vermeil'];
const GEMSTONES = ['Diamond', 'Sapphire', 'Ruby', 'Emerald', 'Pearl', 'Opal', 'Amethyst', 'Topaz', 'Garnet', 'Aquamarine', 'Moissanite', 'Tourmaline'];
const STYLES = ['Celestial', 'Vintage', 'Minimal', 'Art Deco', 'Halo', 'Twisted', 'Hammered', 'Floral', 'Geometric', 'Infinity', 'Bezel', 'Pavé', 'Eternity', 'Cluster', 'Baroque', 'Organic', 'Nautical', 'Victorian', 'Modern', 'Bohemian'];
const FIRST = ['Ava', 'Noah', 'Mia', 'Liam', 'Zoe', 'Ethan', 'Iris', 'Omar', 'Lena', 'Ravi', 'Sofia', 'Jonas', 'Maya', 'Kai', 'Nora', 'Theo', 'Yara', 'Hugo', 'Elif', 'Tariq'];
const LAST = ['Moreau', 'Okafor', 'Lindqvist', 'Tanaka', 'Rossi', 'Haddad', 'Novak', 'Fischer', 'Santos', 'Kowalski', 'Ibrahim', 'Larsen', 'Chen', 'Dubois', 'Patel', 'Murphy'];
const WORKSHOP = ['Works', 'Foundry', 'Atelier', 'Studio', 'Goldsmiths', 'Casting Co.', 'Bench Jewelers', 'Manufacturing'];
const CURRENCIES = [
  ['USD', 85],
  ['EUR', 10],
  ['GBP', 5],
] as const;

const DAY = 24 * 3600 * 1000;
/** Fixed times keep the data identical from run to run; open requests and active estimates end far ahead. */
const ANCHOR = Date.UTC(2026, 10, 1);
const FAR = Date.UTC(2099, 0, 1);
const iso = (ms: number) => new Date(Math.round(ms)).toISOString();

export const COUNTS = { designers: 200, consumers: 200, manufacturers: 200, designs: 10_000, requests: 1_000, estimates: 5_000 };

/** One scrypt hash (the app's format and parameters, fixed salt) shared by every seeded account. */
function passwordHash(): string {
  const salt = Buffer.from('bench-jewelry-salt');
  const key = scryptSync(BENCH_PASSWORD.normalize('NFKC'), salt, 32, { N: 2 ** 15, r: 8, p: 1, maxmem: 128 * 2 ** 15 * 8 * 2 });
  return ['scrypt', 2 ** 15, 8, 1, salt.toString('base64url'), key.toString('base64url')].join('$');
}

async function admin<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: ADMIN_URL });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** Drops and creates one of the benchmark databases (never any other), then applies the app's migrations. */
export async function recreateDatabase(name: typeof BENCH_DB | typeof FANOUT_DB): Promise<string> {
  await admin(async (c) => {
    await c.query(`drop database if exists ${name} with (force)`);
    await c.query(`create database ${name}`);
  });
  const url = dbUrl(name);
  const migrate = spawnNode(['dist/cli/migrate.js'], { DATABASE_URL: url, LOG_LEVEL: 'warn', NODE_ENV: 'development', JWT_SECRET: 'x'.repeat(32), DATA_DIR: '/nonexistent-bench-data-dir' });
  const code = await migrate.exited;
  if (code !== 0) throw new Error(`migrations failed (${code}):\n${migrate.output()}`);
  return url;
}

type Row = Record<string, unknown>;

async function insert(client: pg.Client, table: string, rows: Row[], batch = 2000): Promise<void> {
  if (rows.length === 0) return;
  const columns = Object.keys(rows[0])
    .map((c) => `"${c}"`)
    .join(', ');
  for (let i = 0; i < rows.length; i += batch) {
    await client.query(`insert into "${table}" (${columns}) select ${columns} from json_populate_recordset(null::"${table}", $1::json)`, [
      JSON.stringify(rows.slice(i, i + batch)),
    ]);
  }
}

function user(rng: Rng, role: string, i: number, hash: string, createdAt: number): Row & { id: string } {
  const person = `${rng.pick(FIRST)} ${rng.pick(LAST)}`;
  const displayName =
    role === 'DESIGNER' ? `Atelier ${rng.pick(LAST)} ${i + 1}` : role === 'MANUFACTURER' ? `${rng.pick(LAST)} ${rng.pick(WORKSHOP)} ${i + 1}` : person;
  const email = `${role.toLowerCase()}-${String(i + 1).padStart(4, '0')}@bench.jewelry`;
  const manufacturer = role === 'MANUFACTURER';
  return {
    id: rng.uuid(),
    email,
    email_lower: email,
    password_hash: hash,
    display_name: displayName,
    role,
    profile_categories: manufacturer ? rng.sample(ALL_CATEGORIES, rng.int(2, 5)) : null,
    profile_materials: manufacturer ? rng.sample(MATERIALS, rng.int(2, 5)) : null,
    profile_region: manufacturer ? rng.pick(['Antwerp', 'Jaipur', 'Bangkok', 'Vicenza', 'New York', 'Istanbul', 'Guangzhou', 'Pforzheim']) : null,
    profile_bio: manufacturer ? `${displayName}: casting, setting and finishing since ${rng.int(1950, 2020)}.` : null,
    created_at: iso(createdAt),
  };
}

function money(rng: Rng): { min: string; max: string; currency: string } {
  const min = Math.round(Math.exp(Math.log(40) + rng.next() * (Math.log(8000) - Math.log(40))) * 100) / 100;
  const max = rng.chance(0.4) ? Math.round(min * (1 + rng.next() * 0.6) * 100) / 100 : min;
  return { min: min.toFixed(2), max: max.toFixed(2), currency: rng.weighted(CURRENCIES) };
}

export interface BenchSeed {
  url: string;
  /** A consumer's open request with 3 items and 6 active estimates (none superseded): the detail benchmark. */
  detail: { requestId: string; consumerId: string; consumerEmail: string };
  counts: Record<string, number>;
  ms: number;
}

/** ~10,000 designs, 200 designers, 200 consumers, 200 manufacturers, 1,000 requests, 5,000 estimates. */
export async function seedBench(): Promise<BenchSeed> {
  const started = performance.now();
  const url = await recreateDatabase(BENCH_DB);
  const rng = new Rng(20261203);
  const hash = passwordHash();
  const designers = Array.from({ length: COUNTS.designers }, (_, i) => user(rng, 'DESIGNER', i, hash, ANCHOR - 800 * DAY + i * 60_000));
  const consumers = Array.from({ length: COUNTS.consumers }, (_, i) => user(rng, 'CONSUMER', i, hash, ANCHOR - 700 * DAY + i * 60_000));
  const manufacturers = Array.from({ length: COUNTS.manufacturers }, (_, i) => user(rng, 'MANUFACTURER', i, hash, ANCHOR - 750 * DAY + i * 60_000));

  const designs: Array<Row & { id: string; category: string; title: string; materials: string[]; gemstones: string[]; images: Array<{ url: string }> }> = [];
  for (let i = 0; i < COUNTS.designs; i++) {
    const id = rng.uuid();
    const category = rng.weighted(CATEGORIES);
    const materials = rng.sample(MATERIALS, rng.int(1, 3));
    const gemstones = rng.chance(0.6) ? rng.sample(GEMSTONES, rng.int(1, 2)) : [];
    const style = rng.pick(STYLES);
    const noun = rng.pick(NOUN[category]);
    const title = `${style} ${gemstones[0] ? `${gemstones[0]} ` : ''}${materials[0]} ${noun}`;
    const images = Array.from({ length: rng.int(1, 5) }, (_, k) => ({
      url: `https://cdn.bench.jewelry/designs/${id}/${k + 1}.jpg`,
      altText: k === 0 ? title : rng.chance(0.5) ? `${title}, view ${k + 1}` : null,
      position: k + 1,
    }));
    const options =
      category === 'RING'
        ? [{ name: 'Ring size', values: ['4', '5', '6', '7', '8', '9', '10'] }, ...(rng.chance(0.5) ? [{ name: 'Metal', values: materials }] : [])]
        : rng.chance(0.5)
          ? [{ name: 'Metal', values: materials }]
          : [];
    const price = rng.chance(0.95) ? money(rng) : null;
    designs.push({
      id,
      designer_id: rng.pick(designers).id,
      title,
      description: `${title}. ${style} ${noun.toLowerCase()} in ${materials.join(' and ').toLowerCase()}${gemstones.length ? ` set with ${gemstones.join(' and ').toLowerCase()}` : ''}. Made to order; allow ${rng.int(2, 8)} weeks.`,
      category,
      materials,
      gemstones,
      tags: rng.sample(['handmade', 'gift', 'wedding', 'engagement', 'everyday', 'statement', 'minimalist', 'vintage', 'bridal', 'custom'], rng.int(1, 4)),
      options,
      images,
      price_min: price?.min ?? null,
      price_max: price?.max ?? null,
      currency_code: price?.currency ?? null,
      status: rng.chance(0.97) ? 'ACTIVE' : 'ARCHIVED',
      source_handle: null,
      created_at: iso(ANCHOR - rng.next() * 365 * DAY),
      updated_at: iso(ANCHOR),
    });
  }
  const activeDesigns = designs.filter((d) => d.status === 'ACTIVE');

  const requests: Row[] = [];
  const items: Row[] = [];
  const recipients: Row[] = [];
  const estimates: Row[] = [];
  const matches: Row[] = [];
  let detail: BenchSeed['detail'] | null = null;
  let estimatesLeft = COUNTS.estimates;
  for (let r = 0; r < COUNTS.requests; r++) {
    const isDetail = r === 0;
    const id = rng.uuid();
    const consumer = isDetail ? consumers[0] : rng.pick(consumers);
    const status = isDetail ? 'OPEN' : rng.weighted([['OPEN', 60], ['MATCHED', 20], ['CANCELLED', 10], ['EXPIRED', 10]] as const);
    const createdAt = ANCHOR - rng.next() * 60 * DAY;
    const closedAt = status === 'OPEN' ? null : createdAt + rng.int(1, 14) * DAY;
    const budget = isDetail || rng.chance(0.5) ? money(rng) : null;
    requests.push({
      id,
      consumer_id: consumer.id,
      status,
      note: rng.chance(0.6) ? `Looking for ${rng.pick(['a wedding set', 'an anniversary gift', 'a one-off piece', 'a small batch', 'a replica of a family heirloom'])}.` : null,
      budget_amount: budget?.max ?? null,
      budget_currency: budget?.currency ?? null,
      needed_by: rng.chance(0.5) ? iso(FAR - rng.int(0, 365) * DAY) : null,
      expires_at: status === 'OPEN' ? iso(FAR - rng.int(0, 365) * DAY) : iso(createdAt + 14 * DAY),
      closed_at: closedAt === null ? null : iso(closedAt),
      created_at: iso(createdAt),
      updated_at: iso(closedAt ?? createdAt),
    });
    for (const [position, design] of rng.sample(activeDesigns, isDetail ? 3 : rng.int(1, 4)).entries()) {
      items.push({
        id: rng.uuid(),
        request_id: id,
        position,
        design_id: design.id,
        quantity: rng.int(1, 5),
        options: [],
        note: rng.chance(0.2) ? 'Slightly larger, please.' : null,
        design_title: design.title,
        design_category: design.category,
        design_materials: design.materials,
        design_gemstones: design.gemstones,
        design_image_url: design.images[0]?.url ?? null,
      });
    }
    // Five estimates per request on average (six on the detail request), from up to five quoting makers;
    // extra estimates are revisions (earlier versions SUPERSEDED).
    const requestsLeft = COUNTS.requests - r;
    const count = isDetail ? 6 : Math.min(estimatesLeft - (requestsLeft - 1), Math.round(estimatesLeft / requestsLeft));
    estimatesLeft -= count;
    const quoting = isDetail ? 6 : Math.min(count, rng.int(2, 5));
    const asked = rng.sample(manufacturers, quoting + rng.int(1, 4));
    const versions = asked.slice(0, quoting).map(() => 1);
    for (let extra = count - quoting; extra > 0; extra--) versions[rng.int(0, quoting - 1)] += 1;
    const winner = status === 'MATCHED' ? rng.int(0, quoting - 1) : -1;
    asked.forEach((maker, k) => {
      const quoted = k < quoting;
      const declined = !quoted && rng.chance(0.3);
      recipients.push({
        id: rng.uuid(),
        request_id: id,
        manufacturer_id: maker.id,
        status: quoted ? 'QUOTED' : declined ? 'DECLINED' : 'PENDING',
        decline_reason: declined ? 'Fully booked this season.' : null,
        responded_at: quoted || declined ? iso(createdAt + DAY) : null,
        created_at: iso(createdAt),
      });
      if (!quoted) return;
      let at = createdAt + rng.int(1, 48) * 3600_000;
      for (let v = 1; v <= versions[k]; v++) {
        const latest = v === versions[k];
        const amount = (Math.round(rng.int(20_000, 900_000)) / 100).toFixed(2);
        const currency = (budget?.currency as string | undefined) ?? 'USD';
        let estimateStatus = latest ? 'ACTIVE' : 'SUPERSEDED';
        if (latest && status === 'MATCHED') estimateStatus = k === winner ? 'ACCEPTED' : 'REJECTED';
        if (latest && status === 'CANCELLED') estimateStatus = 'REJECTED';
        if (latest && status === 'EXPIRED') estimateStatus = 'EXPIRED';
        if (latest && status === 'OPEN' && !isDetail && rng.chance(0.05)) estimateStatus = 'WITHDRAWN';
        const estimateId = rng.uuid();
        estimates.push({
          id: estimateId,
          request_id: id,
          manufacturer_id: maker.id,
          version: v,
          status: estimateStatus,
          amount,
          currency_code: currency,
          line_items: [{ label: 'Casting, setting and finishing', amount }],
          lead_time_days: rng.int(7, 90),
          valid_until: iso(status === 'OPEN' ? FAR : at + 30 * DAY),
          note: rng.chance(0.3) ? 'Price includes insured shipping.' : null,
          created_at: iso(at),
          updated_at: iso(at),
        });
        if (estimateStatus === 'ACCEPTED') {
          matches.push({ id: rng.uuid(), request_id: id, estimate_id: estimateId, consumer_id: consumer.id, manufacturer_id: maker.id, created_at: iso(closedAt!) });
        }
        at += rng.int(1, 72) * 3600_000;
      }
    });
    if (isDetail) detail = { requestId: id, consumerId: consumer.id, consumerEmail: String(consumer.email) };
  }

  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await insert(client, 'users', [...designers, ...consumers, ...manufacturers]);
    await insert(client, 'designs', designs);
    await insert(client, 'quote_requests', requests);
    await insert(client, 'quote_request_items', items);
    await insert(client, 'quote_recipients', recipients);
    await insert(client, 'estimates', estimates);
    await insert(client, 'matches', matches);
    await client.query('vacuum analyze');
  } finally {
    await client.end();
  }
  const counts = {
    users: designers.length + consumers.length + manufacturers.length,
    designs: designs.length,
    quoteRequests: requests.length,
    items: items.length,
    recipients: recipients.length,
    estimates: estimates.length,
    matches: matches.length,
  };
  return { url, detail: detail!, counts, ms: round(performance.now() - started, 0) };
}

export interface FanoutSeed {
  url: string;
  designId: string;
  consumer: { id: string; email: string };
  manufacturers: string[];
}

/**
 * The fan-out data set: one designer with one RING design, one consumer, and `n` manufacturers whose
 * profile covers RING (a request naming nobody goes to all of them). Nothing else.
 */
export async function seedFanout(n: number): Promise<FanoutSeed> {
  const url = await recreateDatabase(FANOUT_DB);
  const rng = new Rng(4242 + n);
  const hash = passwordHash();
  const designer = user(rng, 'DESIGNER', 0, hash, ANCHOR - 10 * DAY);
  const consumer = user(rng, 'CONSUMER', 0, hash, ANCHOR - 10 * DAY);
  const makers = Array.from({ length: n }, (_, i) => ({ ...user(rng, 'MANUFACTURER', i, hash, ANCHOR - 10 * DAY + i), profile_categories: ['RING'] }));
  const designId = rng.uuid();
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await insert(client, 'users', [designer, consumer, ...makers]);
    // The design every request asks for, and 40 more so that the concurrent catalog load reads full pages.
    const catalog = Array.from({ length: 40 }, (_, i) => {
      const id = rng.uuid();
      return {
        id,
        designer_id: designer.id,
        title: `Catalog Piece ${i + 1}`,
        description: 'Filler for the catalog page read during the fan-out.',
        category: rng.pick(ALL_CATEGORIES),
        materials: rng.sample(MATERIALS, 2),
        gemstones: [],
        tags: [],
        options: [],
        images: Array.from({ length: rng.int(1, 4) }, (_, k) => ({ url: `https://cdn.bench.jewelry/designs/${id}/${k + 1}.jpg`, altText: null, position: k + 1 })),
        price_min: '99.00',
        price_max: '149.00',
        currency_code: 'USD',
        status: 'ACTIVE',
        source_handle: null,
        created_at: iso(ANCHOR - i * 3600_000),
        updated_at: iso(ANCHOR),
      };
    });
    await insert(client, 'designs', [
      ...catalog,
      {
        id: designId,
        designer_id: designer.id,
        title: 'Fan-out Solitaire Ring',
        description: 'The ring every manufacturer is asked to quote.',
        category: 'RING',
        materials: ['Platinum'],
        gemstones: ['Diamond'],
        tags: ['bench'],
        options: [],
        images: [{ url: `https://cdn.bench.jewelry/designs/${designId}/1.jpg`, altText: null, position: 1 }],
        price_min: '1200.00',
        price_max: '1200.00',
        currency_code: 'USD',
        status: 'ACTIVE',
        source_handle: null,
        created_at: iso(ANCHOR),
        updated_at: iso(ANCHOR),
      },
    ]);
    await client.query('vacuum analyze');
  } finally {
    await client.end();
  }
  return { url, designId, consumer: { id: consumer.id, email: String(consumer.email) }, manufacturers: makers.map((m) => m.id) };
}

if (isMain(import.meta.url)) {
  log('seeding bench_jewelry');
  const result = await seedBench();
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
}
