// Owns per-operation batching: each list resolves its relations with one query per relation, not per row.
import DataLoader from 'dataloader';
import type { EntityManager } from '@mikro-orm/postgresql';
import { rows } from '../db/views.js';
import { USER_COLUMNS, userView } from '../modules/accounts/user.rows.js';
import { DESIGN_COLUMNS, designView } from '../modules/designs/design.rows.js';
import { QuoteRecipient, QuoteRequest, QuoteRequestItem } from '../modules/quoting/quote-request.entity.js';
import { Estimate, Match } from '../modules/quoting/estimate.entity.js';

type EntityClass<T> = new (...args: never[]) => T;

/** Loads entities by id in one `in (...)` query. */
export function byIdLoader<T extends { id: string }>(em: EntityManager, entity: EntityClass<T>) {
  return new DataLoader<string, T | null>(async (ids) => {
    const rows = (await em.find(entity as never, { id: { $in: [...ids] } } as never)) as T[];
    const byId = new Map(rows.map((row) => [row.id, row]));
    return ids.map((id) => byId.get(id) ?? null);
  });
}

/** Loads rows by id in one `select … where id in (…)`, as read-only views. */
export function viewLoader<R extends { id: string }, T>(em: EntityManager, select: string, toView: (row: R) => T) {
  return new DataLoader<string, T | null>(async (ids) => {
    const found = await rows<R>(em, `${select} in (?)`, [[...ids]]);
    const byId = new Map(found.map((row) => [row.id, toView(row)]));
    return ids.map((id) => byId.get(id) ?? null);
  });
}

/** Loads the children of many parents in one query, grouped by the parent reference `key`. */
export function childrenLoader<T extends object>(em: EntityManager, entity: EntityClass<T>, key: string, orderBy: Record<string, 'asc' | 'desc'>) {
  return new DataLoader<string, T[]>(async (parentIds) => {
    const rows = (await em.find(entity as never, { [key]: { $in: [...parentIds] } } as never, { orderBy } as never)) as T[];
    const groups = new Map<string, T[]>(parentIds.map((id) => [id, []]));
    for (const row of rows) groups.get((row as Record<string, { id: string }>)[key].id)?.push(row);
    return parentIds.map((id) => groups.get(id)!);
  });
}

export function createLoaders(em: EntityManager) {
  return {
    users: viewLoader(em, `select ${USER_COLUMNS} from users u where u.id`, userView),
    designs: viewLoader(em, `select ${DESIGN_COLUMNS} from designs d where d.id`, designView),
    quoteRequests: byIdLoader(em, QuoteRequest),
    estimates: byIdLoader(em, Estimate),
    itemsByRequest: childrenLoader(em, QuoteRequestItem, 'request', { position: 'asc' }),
    recipientsByRequest: childrenLoader(em, QuoteRecipient, 'request', { createdAt: 'asc', id: 'asc' }),
    estimatesByRequest: childrenLoader(em, Estimate, 'request', { createdAt: 'asc', id: 'asc' }),
    matchByRequest: new DataLoader<string, Match | null>(async (requestIds) => {
      const rows = await em.find(Match, { request: { $in: [...requestIds] } });
      const byRequest = new Map(rows.map((m) => [m.request.id, m]));
      return requestIds.map((id) => byRequest.get(id) ?? null);
    }),
    /** The users the key user is matched with (either side); for e-mail visibility. */
    matchPartners: new DataLoader<string, Set<string>>(async (userIds) => {
      const rows = await em.find(Match, { $or: [{ consumer: { $in: [...userIds] } }, { manufacturer: { $in: [...userIds] } }] });
      return userIds.map((id) => {
        const partners = new Set<string>();
        for (const m of rows) {
          if (m.consumer.id === id) partners.add(m.manufacturer.id);
          if (m.manufacturer.id === id) partners.add(m.consumer.id);
        }
        return partners;
      });
    }),
  };
}

export type Loaders = ReturnType<typeof createLoaders>;
