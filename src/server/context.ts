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

/**
 * The EntityManager fork and the loaders are made when an operation first uses them (many never do). They
 * are accessors of the class, not of the object: Apollo copies every context (Object.assign onto an object of
 * the same prototype), which would call own getters and so fork on every request. What they make is kept in
 * one holder, so a copy, or an object with this one as prototype (shared-execution.ts), sees the same fork.
 */
class OperationContext implements Context {
  private readonly made: { em?: EntityManager; loaders?: Loaders } = {};

  constructor(
    private readonly rootEm: EntityManager,
    readonly user: AuthUser | null,
    readonly ip: string,
    readonly feeds: FeedService,
  ) {}

  get em(): EntityManager {
    return (this.made.em ??= this.rootEm.fork({ useContext: false }));
  }

  set em(value: EntityManager) {
    this.made.em = value;
  }

  get loaders(): Loaders {
    return (this.made.loaders ??= createLoaders(this.em));
  }

  set loaders(value: Loaders) {
    this.made.loaders = value;
  }
}

export function createContext(rootEm: EntityManager, user: AuthUser | null, ip: string, feeds: FeedService): Context {
  return new OperationContext(rootEm, user, ip, feeds);
}
