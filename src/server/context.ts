// Owns what every operation carries: its own EntityManager fork, the signed-in user, batch loaders.
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Role } from '../modules/accounts/role.js';
import { createLoaders, type Loaders } from '../graphql/loaders.js';
import type { FeedService } from '../modules/quoting/feed.service.js';

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
  /** Live feeds, for subscriptions (type-graphql's `subscribe` functions have no resolver instance). */
  feeds: FeedService;
}

/** The EntityManager fork and the loaders are made when an operation first uses them (many never do). */
export function createContext(rootEm: EntityManager, user: AuthUser | null, ip: string, feeds: FeedService): Context {
  let em: EntityManager | undefined;
  let loaders: Loaders | undefined;
  return {
    user,
    ip,
    feeds,
    get em() {
      return (em ??= rootEm.fork({ useContext: false }));
    },
    set em(value) {
      em = value;
    },
    get loaders() {
      return (loaders ??= createLoaders(this.em));
    },
    set loaders(value) {
      loaders = value;
    },
  };
}
