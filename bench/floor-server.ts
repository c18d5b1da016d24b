// The floor: the two benchmarked reads served by `node:http` and `pg` with hand-written SQL, returning the
// product's exact JSON (same fields, order, money formatting and visibility rules: ACTIVE designs only; a
// request only to its consumer, with a verified token; estimates without SUPERSEDED ones). It reads and
// parses the same POST body but does no GraphQL: it recognises the two operations by their root field.
//
//   DATABASE_URL=... JWT_SECRET=... PORT=... node dist/bench/floor-server.js
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { jwtVerify } from 'jose';
import pg from 'pg';

const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 10 });
const key = new TextEncoder().encode(process.env.JWT_SECRET ?? '');

const digitsCache = new Map<string, number>();
function currencyDigits(code: string): number {
  let digits = digitsCache.get(code);
  if (digits === undefined) {
    digits = new Intl.NumberFormat('en', { style: 'currency', currency: code }).resolvedOptions().maximumFractionDigits ?? 2;
    digitsCache.set(code, digits);
  }
  return digits;
}

/** numeric(18,4) text -> the currency's minor units, exactly as the product's Money does (no float). */
function amount(stored: string, code: string): string {
  const digits = currencyDigits(code);
  const negative = stored.startsWith('-');
  const [whole, fraction = ''] = (negative ? stored.slice(1) : stored).split('.');
  const kept = fraction.slice(0, digits).padEnd(digits, '0');
  // Stored amounts never carry more precision than their currency (the product refuses it on input).
  return `${negative ? '-' : ''}${whole}${digits > 0 ? `.${kept}` : ''}`;
}

const money = (stored: string | null, code: string | null) => (stored !== null && code !== null ? { amount: amount(stored, code), currencyCode: code } : null);

const CATALOG_SQL = `
  select d.id, d.title, d.category, d.price_min, d.currency_code, d.images, u.id as designer_id, u.display_name
  from designs d join users u on u.id = d.designer_id
  where d.status = 'ACTIVE'
  order by d.created_at desc, d.id desc
  limit $1`;

async function catalog(first: number): Promise<string> {
  const { rows } = await pool.query(CATALOG_SQL, [first]);
  const edges = rows.map((r) => ({
    node: {
      id: r.id,
      title: r.title,
      category: r.category,
      referencePrice: money(r.price_min, r.currency_code),
      designer: { id: r.designer_id, displayName: r.display_name },
      images: (r.images as Array<{ url: string; position: number }>).map((i) => ({ url: i.url, position: i.position })),
    },
  }));
  return JSON.stringify({ data: { designs: { edges } } });
}

const REQUEST_SQL = `
  select id, status, note, created_at, expires_at, budget_amount, budget_currency
  from quote_requests where id = $1 and consumer_id = $2`;
const ITEMS_SQL = `
  select i.quantity, i.design_id, i.design_title, i.design_category, i.design_image_url
  from quote_request_items i join quote_requests q on q.id = i.request_id
  where i.request_id = $1 and q.consumer_id = $2
  order by i.position`;
const ESTIMATES_SQL = `
  select e.id, e.status, e.version, e.amount, e.currency_code, e.lead_time_days, e.valid_until, e.note, u.id as manufacturer_id, u.display_name
  from estimates e join quote_requests q on q.id = e.request_id join users u on u.id = e.manufacturer_id
  where e.request_id = $1 and q.consumer_id = $2 and e.status <> 'SUPERSEDED'
  order by e.created_at, e.id`;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

async function detail(id: string, userId: string): Promise<string> {
  if (!UUID.test(id)) return JSON.stringify({ data: { quoteRequest: null } });
  // Three statements in parallel on three connections: one round trip of latency.
  const [request, items, estimates] = await Promise.all([
    pool.query(REQUEST_SQL, [id, userId]),
    pool.query(ITEMS_SQL, [id, userId]),
    pool.query(ESTIMATES_SQL, [id, userId]),
  ]);
  const q = request.rows[0];
  if (!q) return JSON.stringify({ data: { quoteRequest: null } });
  const status = q.status === 'OPEN' && q.expires_at <= new Date() ? 'EXPIRED' : q.status;
  return JSON.stringify({
    data: {
      quoteRequest: {
        id: q.id,
        status,
        note: q.note,
        createdAt: q.created_at.toISOString(),
        expiresAt: q.expires_at.toISOString(),
        budget: money(q.budget_amount, q.budget_currency),
        items: items.rows.map((i) => ({
          quantity: i.quantity,
          design: { id: i.design_id, title: i.design_title, category: i.design_category, imageUrl: i.design_image_url },
        })),
        estimates: estimates.rows.map((e) => ({
          id: e.id,
          status: e.status,
          version: e.version,
          price: money(e.amount, e.currency_code),
          leadTimeDays: e.lead_time_days,
          validUntil: e.valid_until.toISOString(),
          note: e.note,
          manufacturer: { id: e.manufacturer_id, displayName: e.display_name },
        })),
      },
    },
  });
}

async function userOf(req: IncomingMessage): Promise<string | null> {
  const match = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization?.trim() ?? '');
  if (!match) return null;
  try {
    const { payload } = await jwtVerify(match[1], key, { algorithms: ['HS256'], issuer: 'jewelry-marketplace' });
    return typeof payload.sub === 'string' ? payload.sub : null;
  } catch {
    return null;
  }
}

function send(res: ServerResponse, status: number, body: string): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (req.method === 'GET' && req.url === '/readyz') return send(res, 200, '{"status":"ready"}');
  if (req.method !== 'POST' || req.url !== '/graphql') return send(res, 404, '{"errors":[{"message":"not found"}]}');
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { query: string; variables?: Record<string, unknown> };
  if (body.query.includes('quoteRequest(')) {
    const userId = await userOf(req);
    if (!userId) return send(res, 401, '{"errors":[{"message":"sign in","extensions":{"code":"UNAUTHENTICATED"}}]}');
    return send(res, 200, await detail(String(body.variables?.id ?? ''), userId));
  }
  if (body.query.includes('designs(')) return send(res, 200, await catalog(Number(/first:\s*(\d+)/.exec(body.query)?.[1] ?? 20)));
  return send(res, 400, '{"errors":[{"message":"the floor answers two operations only"}]}');
}

const server = createServer((req, res) => {
  handle(req, res).catch((error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
    if (!res.headersSent) send(res, 500, '{"errors":[{"message":"Internal server error"}]}');
  });
});
server.keepAliveTimeout = 65_000;
server.listen(Number(process.env.PORT ?? 4100), process.env.HOST ?? '127.0.0.1', () => {
  process.stdout.write(`floor ready on ${process.env.PORT}\n`);
});
const stop = () => {
  server.close(() => void pool.end().then(() => process.exit(0)));
  server.closeAllConnections();
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
