// Owns per-operation batching: each list resolves its relations with one query per relation, not per row.
import DataLoader from 'dataloader';
import type { EntityManager } from '@mikro-orm/postgresql';
import { User } from '../modules/accounts/user.entity.js';

export interface Loaders {
  users: DataLoader<string, User | null>;
}

/** Loads entities by id in one `in (...)` query, answering from the identity map when it can. */
export function byIdLoader<T extends { id: string }>(em: EntityManager, entity: new (...args: never[]) => T) {
  return new DataLoader<string, T | null>(async (ids) => {
    const rows = (await em.find(entity as never, { id: { $in: [...ids] } } as never)) as T[];
    const byId = new Map(rows.map((row) => [row.id, row]));
    return ids.map((id) => byId.get(id) ?? null);
  });
}

export function createLoaders(em: EntityManager): Loaders {
  return { users: byIdLoader(em, User) };
}
