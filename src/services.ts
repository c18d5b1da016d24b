// Owns the object graph: every service and resolver is built once per process, here.
import type { MikroORM } from '@mikro-orm/postgresql';
import type { Config } from './config.js';
import type { Logger } from './logger.js';
import { RedisBus, type EventBus } from './events/bus.js';
import { MemoryRateLimiter, RedisRateLimiter } from './modules/accounts/rate-limit.js';
import { FeedHub } from './events/feed-hub.js';
import { OutboxRelay } from './events/outbox.js';
import { OutboxStore } from './events/outbox-store.js';
import { AccountResolver } from './modules/accounts/account.resolver.js';
import { AuthService } from './modules/accounts/auth.service.js';
import { ContactPolicy } from './modules/accounts/contact-policy.js';
import { TokenService } from './modules/accounts/tokens.js';
import { DesignImportService } from './modules/designs/design-import.service.js';
import { DesignResolver } from './modules/designs/design.resolver.js';
import { DesignService } from './modules/designs/design.service.js';
import { FeedService } from './modules/quoting/feed.service.js';
import { ExpirySweeper } from './modules/quoting/expiry.js';
import { QuotingService } from './modules/quoting/quoting.service.js';
import {
  EstimateResolver,
  FeedResolver,
  MatchResolver,
  QuoteRecipientResolver,
  QuoteRequestItemResolver,
  QuoteRequestResolver,
} from './modules/quoting/quoting.resolver.js';

export interface Services {
  tokens: TokenService;
  auth: AuthService;
  contacts: ContactPolicy;
  designs: DesignService;
  imports: DesignImportService;
  quoting: QuotingService;
  feeds: FeedService;
  hub: FeedHub;
  store: OutboxStore | null;
  relay: OutboxRelay | null;
  sweeper: ExpirySweeper | null;
  /** Starts background work (relay, expiry sweeper); not needed to print the schema. */
  start(): Promise<void>;
  stop(): Promise<void>;
}

export function createServices(config: Config, orm: MikroORM | null, bus: EventBus, logger: Logger, databaseUrl?: string): Services {
  const tokens = new TokenService(config.jwtSecret, config.tokenTtlSeconds);
  const designs = new DesignService();
  const relay = databaseUrl ? new OutboxRelay(databaseUrl, bus, logger.child({ component: 'outbox' }), config.outboxPollMs) : null;
  const quoting = new QuotingService(() => relay?.committed());
  const store = orm ? new OutboxStore(orm.em) : null;
  const hub = new FeedHub(bus, logger.child({ component: 'feeds' }), {
    store: store ?? undefined,
    catchUpMs: bus.mode === 'redis' ? config.feedCatchUpMs : 0,
  });
  const sweeper = orm ? new ExpirySweeper(orm, quoting, store!, logger, config) : null;
  return {
    tokens,
    auth: new AuthService(
      tokens,
      bus instanceof RedisBus ? new RedisRateLimiter(bus.client, `${bus.channel}:ratelimit:`) : new MemoryRateLimiter(),
      config.signInLimits,
    ),
    contacts: new ContactPolicy(),
    designs,
    imports: new DesignImportService(designs),
    quoting,
    feeds: new FeedService(hub, quoting, store),
    store,
    hub,
    relay,
    sweeper,
    start: async () => {
      if (orm) await hub.start();
      await relay?.start();
      sweeper?.start();
    },
    stop: async () => {
      sweeper?.stop();
      hub.close();
      await relay?.stop();
    },
  };
}

export function createResolvers(services: Services): object[] {
  return [
    new AccountResolver(services.auth, services.contacts),
    new DesignResolver(services.designs, services.imports),
    new QuoteRequestResolver(services.quoting),
    new QuoteRequestItemResolver(),
    new QuoteRecipientResolver(),
    new EstimateResolver(services.quoting),
    new MatchResolver(services.quoting),
    new FeedResolver(),
  ];
}
