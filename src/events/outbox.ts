// Owns getting committed outbox rows onto the bus, in commit order, at least once.
// One relay at a time across all processes (a PostgreSQL advisory lock on the relay's own connection):
// it numbers newly committed rows (`seq`, the feeds' cursor), publishes them in that order, then marks
// them published. A crash in between re-publishes; subscribers drop a seq they have already seen.
import pg from 'pg';
import type { Logger } from 'pino';
import type { EntityManager } from '@mikro-orm/postgresql';
import { withTimeout, type EventBus } from './bus.js';
import { OutboxEvent, type FeedName } from './outbox.entity.js';

const RELAY_LOCK_KEY = 727_001;
const BATCH = 500;

/** What travels on the bus: ids and times only; subscribers re-load what they show. */
export interface FeedMessage {
  seq: string;
  feed: FeedName;
  type: string;
  audience: string[];
  requestId: string;
  estimateId: string | null;
  occurredAt: string;
}

export interface NewEvent {
  feed: FeedName;
  type: string;
  audience: string[];
  quoteRequestId: string;
  estimateId?: string | null;
}

/** Adds event rows to the unit of work of `em`: they commit or roll back with the change they describe. */
export function recordEvents(em: EntityManager, events: NewEvent[]): void {
  const now = new Date();
  for (const event of events) {
    if (event.audience.length === 0) continue;
    em.create(OutboxEvent, {
      feed: event.feed,
      type: event.type,
      audience: [...new Set(event.audience)],
      quoteRequestId: event.quoteRequestId,
      estimateId: event.estimateId ?? null,
      occurredAt: now,
    } as never);
  }
}

/** `recordEvents` for a change written in plain SQL: one event row, as a statement (or a CTE) of its own. */
export const OUTBOX_INSERT =
  'insert into event_outbox (feed, type, audience, quote_request_id, estimate_id, occurred_at) values (?, ?, array[?]::uuid[], ?, ?, ?::timestamptz)';

export function outboxValues(event: NewEvent, at: Date): unknown[] {
  return [event.feed, event.type, [...new Set(event.audience)], event.quoteRequestId, event.estimateId ?? null, at.toISOString()];
}

interface OutboxRow {
  seq: string;
  feed: FeedName;
  type: string;
  audience: string[];
  quote_request_id: string;
  estimate_id: string | null;
  occurred_at: Date;
}

export function toFeedMessage(row: OutboxRow): FeedMessage {
  return {
    seq: String(row.seq),
    feed: row.feed,
    type: row.type,
    audience: row.audience,
    requestId: row.quote_request_id,
    estimateId: row.estimate_id,
    occurredAt: new Date(row.occurred_at).toISOString(),
  };
}

export const OUTBOX_COLUMNS = 'seq, feed, type, audience, quote_request_id, estimate_id, occurred_at';

export class OutboxRelay {
  private client: pg.Client | null = null;
  private running: Promise<void> | null = null;
  private again = false;
  private timer: NodeJS.Timeout | null = null;
  private retry: NodeJS.Timeout | null = null;
  private stopped = false;

  constructor(
    private readonly databaseUrl: string,
    private readonly bus: EventBus,
    private readonly logger: Logger,
    private readonly pollMs = 1000,
  ) {}

  async start(): Promise<void> {
    await this.connect();
    this.timer = setInterval(() => this.kick(), this.pollMs);
    this.timer.unref();
    this.kick();
  }

  /** Asks for a drain soon; calls while one runs are folded into one more pass. */
  kick(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.drainLoop().finally(() => (this.running = null));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    if (this.retry) clearTimeout(this.retry);
    await this.running?.catch(() => {});
    await this.client?.end().catch(() => {});
    this.client = null;
  }

  private async connect(): Promise<pg.Client> {
    if (this.client) return this.client;
    const client = new pg.Client({ connectionString: this.databaseUrl, application_name: 'outbox-relay' });
    client.on('error', (err) => {
      this.logger.warn({ err: err.message }, 'outbox relay connection lost');
      if (this.client === client) this.client = null;
    });
    await client.connect();
    this.client = client;
    return client;
  }

  private async drainLoop(): Promise<void> {
    do {
      this.again = false;
      try {
        await this.drainOnce();
      } catch (error) {
        this.logger.warn({ err: error instanceof Error ? error.message : error }, 'outbox relay pass failed; will retry');
        this.client?.end().catch(() => {});
        this.client = null;
        return;
      }
    } while (this.again && !this.stopped);
  }

  private async drainOnce(): Promise<void> {
    const client = await this.connect();
    const { rows } = await client.query<{ locked: boolean }>('select pg_try_advisory_lock($1) as locked', [RELAY_LOCK_KEY]);
    if (!rows[0].locked) {
      // Another process is relaying; it may have missed our newest rows, so look again shortly.
      this.retry ??= setTimeout(() => {
        this.retry = null;
        this.kick();
      }, 25);
      return;
    }
    try {
      for (;;) {
        await client.query(
          `with next as (
             select id, row_number() over (order by id) as rn from event_outbox where seq is null order by id limit ${BATCH}
           ), base as (select coalesce(max(seq), 0) as s from event_outbox)
           update event_outbox e set seq = base.s + next.rn from next, base where e.id = next.id`,
        );
        const pending = await client.query<OutboxRow>(
          `select ${OUTBOX_COLUMNS} from event_outbox where published_at is null and seq is not null order by seq limit ${BATCH}`,
        );
        if (pending.rows.length === 0) return;
        for (const row of pending.rows) await withTimeout(this.bus.publish(JSON.stringify(toFeedMessage(row))), 5000);
        await client.query('update event_outbox set published_at = now() where published_at is null and seq <= $1', [
          pending.rows[pending.rows.length - 1].seq,
        ]);
      }
    } finally {
      await client.query('select pg_advisory_unlock($1)', [RELAY_LOCK_KEY]);
    }
  }
}
