// Owns what every operation carries: its own EntityManager fork, the signed-in user, batch loaders.
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Role } from '../modules/accounts/role.js';
import { createLoaders, type Loaders } from '../graphql/loaders.js';

export interface AuthUser {
  id: string;
  role: Role;
  /** Token expiry, seconds since the epoch; sockets are closed when it passes. */
  exp: number;
}

export interface Context {
  em: EntityManager;
  user: AuthUser | null;
  loaders: Loaders;
  /** Client address, for rate limits and logs. */
  ip: string;
}

export function createContext(rootEm: EntityManager, user: AuthUser | null, ip: string): Context {
  const em = rootEm.fork({ useContext: false });
  return { em, user, loaders: createLoaders(em), ip };
}
