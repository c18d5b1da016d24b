// Owns the object graph: every service and resolver is built once per process, here.
import type { MikroORM } from '@mikro-orm/postgresql';
import type { Config } from './config.js';
import type { Logger } from './logger.js';
import type { EventBus } from './events/bus.js';
import { AccountResolver } from './modules/accounts/account.resolver.js';
import { AuthService } from './modules/accounts/auth.service.js';
import { ContactPolicy } from './modules/accounts/contact-policy.js';
import { TokenService } from './modules/accounts/tokens.js';
import { DesignImportService } from './modules/designs/design-import.service.js';
import { DesignResolver } from './modules/designs/design.resolver.js';
import { DesignService } from './modules/designs/design.service.js';

export interface Services {
  tokens: TokenService;
  auth: AuthService;
  contacts: ContactPolicy;
  designs: DesignService;
  imports: DesignImportService;
  stop(): Promise<void>;
}

export function createServices(config: Config, _orm: MikroORM, _bus: EventBus, _logger: Logger): Services {
  const tokens = new TokenService(config.jwtSecret, config.tokenTtlSeconds);
  const designs = new DesignService();
  return {
    tokens,
    auth: new AuthService(tokens),
    contacts: new ContactPolicy(),
    designs,
    imports: new DesignImportService(designs),
    stop: async () => {},
  };
}

export function createResolvers(services: Services): object[] {
  return [new AccountResolver(services.auth, services.contacts), new DesignResolver(services.designs, services.imports)];
}
