// Owns per-operation batching: each list resolves its relations with one query per relation, not per row.
// Loaders read plain rows into read-only views (src/db/views.ts): they serve reads, never writes.
import DataLoader from 'dataloader';
import type { Estimate } from '../modules/quoting/estimate.entity.js';
import type { EntityManager } from '@mikro-orm/postgresql';
import { preparedRows } from '../db/views.js';
import { USER_COLUMNS, userView, type UserRow } from '../modules/accounts/user.rows.js';
import { DESIGN_COLUMNS, designView } from '../modules/designs/design.rows.js';
import {
  ESTIMATE_COLUMNS,
  ITEM_COLUMNS,
  MATCH_COLUMNS,
  RECIPIENT_COLUMNS,
  REQUEST_COLUMNS,
  estimateView,
  itemView,
  type EstimateRow,
  matchView,
  recipientKey,
  recipientView,
  type RecipientRow,
  requestView,
} from '../modules/quoting/quoting.rows.js';
import type { QuoteRecipient } from '../modules/quoting/quote-request.entity.js';

/**
 * Loads rows by id in one `select … where <key> = any(<ids>)` (a prepared statement on the read pipeline);
 * `select` ends with the key column.
 */
export function viewLoader<R, T extends { id: string }>(em: EntityManager, select: string, toView: (row: R) => T) {
  return new DataLoader<string, T | null>(async (ids) => {
    const found = (await preparedRows<R>(em, `${select} = any(?::uuid[])`, [[...ids]])).map(toView);
    const byId = new Map(found.map((row) => [row.id, row]));
    return ids.map((id) => byId.get(id) ?? null);
  });
}

/** Loads the children of many parents in one statement, grouped by `parentKey` of each row. */
export function childrenLoader<R, T>(em: EntityManager, select: string, orderBy: string, toView: (row: R) => T, parentKey: (row: R) => string) {
  return new DataLoader<string, T[]>(async (parentIds) => {
    const found = await preparedRows<R>(em, `${select} = any(?::uuid[]) order by ${orderBy}`, [[...parentIds]]);
    const groups = new Map<string, T[]>(parentIds.map((id) => [id, []]));
    for (const row of found) groups.get(parentKey(row))?.push(toView(row));
    return parentIds.map((id) => groups.get(id)!);
  });
}

const byRequest = (row: { request_id: string }) => row.request_id;

export function createLoaders(em: EntityManager) {
  const users = viewLoader(em, `select ${USER_COLUMNS} from users u where u.id`, userView);
  /** A row's `user` (read in the same statement) primes the users loader: no second statement for it. */
  const withUser =
    <R, T>(toView: (row: R) => T) =>
    (row: R & { user: UserRow }): T => {
      users.prime(row.user.id, userView(row.user));
      return toView(row);
    };
  const userColumn = (idColumn: string) =>
    `(select to_json(u) from (select ${USER_COLUMNS} from users u where u.id = ${idColumn}) u) as "user"`;
  return {
    users,
    designs: viewLoader(em, `select ${DESIGN_COLUMNS} from designs d where d.id`, designView),
    quoteRequests: viewLoader(em, `select ${REQUEST_COLUMNS} from quote_requests q where q.id`, requestView),
    // With its manufacturer, in the same statement: an estimate is shown with who made it (feeds, matches).
    estimates: viewLoader(em, `select ${ESTIMATE_COLUMNS}, ${userColumn('e.manufacturer_id')} from estimates e where e.id`, withUser<EstimateRow, Estimate>(estimateView)),
    itemsByRequest: childrenLoader(em, `select ${ITEM_COLUMNS} from quote_request_items i where i.request_id`, 'i.position', itemView, byRequest),
    recipientsByRequest: childrenLoader(
      em,
      `select ${RECIPIENT_COLUMNS} from quote_recipients r where r.request_id`,
      'r.created_at, r.id',
      recipientView,
      byRequest,
    ),
    /**
     * One manufacturer's recipient row on a request, by `recipientKey(requestId, manufacturerId)`: what a
     * manufacturer's reads need (may it see the request, its own answer state), without reading every recipient
     * of a request sent to thousands, once per event and process for the feeds.
     */
    recipient: new DataLoader<string, QuoteRecipient | null>(async (keys) => {
      const pairs = keys.map((key) => key.split('/'));
      const found = await preparedRows<RecipientRow>(
        em,
        `select ${RECIPIENT_COLUMNS} from quote_recipients r
         where (r.request_id, r.manufacturer_id) in (select * from unnest(?::uuid[], ?::uuid[]))`,
        [pairs.map(([requestId]) => requestId), pairs.map(([, manufacturerId]) => manufacturerId)],
      );
      const byKey = new Map(found.map((row) => [recipientKey(row.request_id, row.manufacturer_id), recipientView(row)]));
      return keys.map((key) => byKey.get(key) ?? null);
    }),
    // With each estimate's manufacturer: a request's estimates are shown with who made them.
    estimatesByRequest: childrenLoader(
      em,
      `select ${ESTIMATE_COLUMNS}, ${userColumn('e.manufacturer_id')} from estimates e where e.request_id`,
      'e.created_at, e.id',
      withUser<EstimateRow, Estimate>(estimateView),
      byRequest,
    ),
    matchByRequest: new DataLoader<string, ReturnType<typeof matchView> | null>(async (requestIds) => {
      const found = (await preparedRows<Parameters<typeof matchView>[0]>(em, `select ${MATCH_COLUMNS} from matches m where m.request_id = any(?::uuid[])`, [[...requestIds]])).map(matchView);
      const byId = new Map(found.map((m) => [m.request.id, m]));
      return requestIds.map((id) => byId.get(id) ?? null);
    }),
    /** The users the key user is matched with (either side); for e-mail visibility. */
    matchPartners: new DataLoader<string, Set<string>>(async (userIds) => {
      const found = await preparedRows<{ consumer_id: string; manufacturer_id: string }>(
        em,
        'select m.consumer_id, m.manufacturer_id from matches m where m.consumer_id = any(?::uuid[]) or m.manufacturer_id = any(?::uuid[])',
        [[...userIds], [...userIds]],
      );
      return userIds.map((id) => {
        const partners = new Set<string>();
        for (const m of found) {
          if (m.consumer_id === id) partners.add(m.manufacturer_id);
          if (m.manufacturer_id === id) partners.add(m.consumer_id);
        }
        return partners;
      });
    }),
  };
}

export type Loaders = ReturnType<typeof createLoaders>;
