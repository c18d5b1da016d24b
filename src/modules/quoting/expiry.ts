// Owns time passing: every few seconds, requests past their expiry and estimates past their validity
// become EXPIRED (each row once, whichever process gets there first), and the feeds say so; outbox
// events older than the retention window are pruned.
import type { MikroORM } from '@mikro-orm/postgresql';
import type { Logger } from 'pino';
import type { QuotingService } from './quoting.service.js';
import type { OutboxStore } from '../../events/outbox-store.js';
import type { Config } from '../../config.js';

export class ExpirySweeper {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<unknown> | null = null;

  constructor(
    private readonly orm: MikroORM,
    private readonly quoting: QuotingService,
    private readonly store: OutboxStore,
    private readonly logger: Logger,
    private readonly config: Pick<Config, 'expirySweepMs' | 'outboxRetentionMs'>,
  ) {}

  start(): void {
    this.timer = setInterval(() => void this.sweep(), this.config.expirySweepMs);
    this.timer.unref();
  }

  async sweep(): Promise<{ requests: number; estimates: number } | null> {
    if (this.running) return null;
    const run = this.quoting.expireDue(this.orm.em.fork());
    this.running = run;
    try {
      const result = await run;
      if (result.requests + result.estimates > 0) this.logger.info(result, 'expired quote requests and estimates');
      const pruned = await this.store.prune(this.config.outboxRetentionMs);
      if (pruned > 0) this.logger.debug({ pruned }, 'pruned old outbox events');
      return result;
    } catch (error) {
      this.logger.warn({ err: error instanceof Error ? error.message : error }, 'expiry sweep failed; will retry');
      return null;
    } finally {
      this.running = null;
    }
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }
}
