// Owns getting committed outbox rows onto the bus, in commit order, at least once.
// One relay at a time across all processes (a PostgreSQL advisory lock held by the relay's own connection):
// it numbers newly committed rows (`seq`, the feeds' cursor), publishes them in that order, then marks
// them published. A crash in between re-publishes; subscribers drop a seq they have already seen.
import pg from 'pg';
import type { Logger } from 'pino';
import type { EntityManager } from '@mikro-orm/postgresql';
import { withTimeout, type EventBus } from './bus.js';
import { OutboxEvent, type FeedName } from './outbox.entity.js';

const RELAY_LOCK_KEY = 727_001;
const BATCH = 500;
/** How long published rows may stay unmarked when no further event comes (marking is folded into the next pass). */
const MARK_DELAY_MS = 200;

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

/**
 * One relay pass ($1: the highest seq published so far): mark what the previous pass published, number the
 * rows committed since (in id order), and return every numbered row not yet published, with `fresh` on the
 * ones this pass numbered.
 */
export const RELAY_PASS_NAME = 'outbox-relay-pass';

export const RELAY_PASS_SQL = `with done as (
    update event_outbox set published_at = now() where published_at is null and seq <= $1
  ), next as (
    select id, row_number() over (order by id) as rn from event_outbox where seq is null order by id limit ${BATCH}
  ), base as (
    -- Never below what retention pruned: an emptied outbox must not restart the numbering (subscribers
    -- drop a seq they think they have seen, and cursors must only grow).
    select greatest(coalesce(max(seq), 0), (select pruned_through from outbox_state where id = 1)) as s from event_outbox
  ), numbered as (
    update event_outbox e set seq = base.s + next.rn from next, base where e.id = next.id
    returning e.id, ${OUTBOX_COLUMNS.split(', ').map((c) => `e.${c}`).join(', ')}
  )
  select id, true as fresh, ${OUTBOX_COLUMNS} from numbered
  union all
  select id, false as fresh, ${OUTBOX_COLUMNS} from event_outbox where published_at is null and seq > $1
  order by seq limit ${2 * BATCH}`;

/** The wake-up another process's relay LISTENs for; `synchronous_commit` off: it writes nothing to lose. */
export const WAKE_SQL = `select set_config('synchronous_commit', 'off', true), pg_notify('event_outbox', '')`;

/**
 * The relay connection's session: plain index scans and nested loops for the pass, whatever the statistics
 * say. Every event leaves two dead entries in the partial indexes the pass reads (numbered, then published);
 * a bitmap scan visits all of them on every pass until VACUUM comes (0.43 ms a pass after 3,000 events,
 * growing), an index scan marks them dead on the first visit and skips them afterwards (0.02 ms). The pass
 * is a prepared statement, so after five runs PostgreSQL may keep a generic plan for good: planned while the
 * outbox was small, that was a hash join over a sequential scan of the whole outbox, visiting every row and
 * every dead version on each pass (1.3 ms a pass after 3,000 events at 200 a second, growing until VACUUM).
 * The pass reads a few rows by index; no other plan is ever the better one.
 */
export const RELAY_SESSION_SQL = 'set enable_bitmapscan = off; set enable_seqscan = off; set enable_hashjoin = off; set enable_mergejoin = off';

/**
 * One process at a time is the relay: the first to take the advisory lock keeps it for as long as its
 * connection lives, LISTENs for the NOTIFY another process sends after committing events, and drains.
 * The others try the lock every `pollMs`, so one takes over within that time when the relay process dies.
 */
export class OutboxRelay {
  private client: pg.Client | null = null;
  private leader = false;
  /** The highest seq this relay has published; the next pass marks everything up to it as published. */
  private published = 0n;
  private running: Promise<void> | null = null;
  /** A pass is wanted whatever it may find (timer, marking, takeover, a NOTIFY without an id). */
  private wanted = false;
  /** Outbox ids named by NOTIFYs that arrived while a pass ran and that it did not number. */
  private heard = new Set<string>();
  private timer: NodeJS.Timeout | null = null;
  private markTimer: NodeJS.Timeout | null = null;
  private stopped = false;

  constructor(
    private readonly databaseUrl: string,
    private readonly bus: EventBus,
    private readonly logger: Logger,
    private readonly pollMs = 1000,
  ) {}

  async start(): Promise<void> {
    await this.connect();
    this.timer = setInterval(() => this.kick(true), this.pollMs);
    this.timer.unref();
    this.kick(true);
  }

  /**
   * Asks for a drain soon; calls while one runs are folded into one more pass. A process that is not the
   * relay only tries to become it on its timer (`takeOver`): its commits reach the relay through `committed`.
   */
  kick(takeOver = false): void {
    if (this.stopped || (!this.leader && !takeOver)) return;
    this.wanted = true;
    this.schedule();
  }

  /**
   * This process committed events. The relay here drains them; the relay in another process is woken by a
   * NOTIFY sent after the commit, in a statement of its own that writes nothing and does not wait for the WAL
   * flush (PostgreSQL serialises notifying commits on one lock held through the flush: sent inside the
   * writing transaction, it kept those commits from sharing a flush). A lost wake-up is covered by the
   * relay's poll.
   */
  committed(): void {
    if (this.stopped) return;
    if (this.leader) {
      this.kick();
      return;
    }
    this.client?.query(WAKE_SQL).catch((error: Error) => this.logger.debug({ err: error.message }, 'outbox wake-up not sent; the relay polls'));
  }

  /**
   * A NOTIFY may name the highest outbox id a commit inserted (older versions' trigger did). When it arrives
   * during a pass, that pass may already have numbered it (it committed before the pass's statement began):
   * then no further pass is run for it. One heard before a pass begins is always seen by that pass.
   */
  private heardCommit(payload: string | undefined): void {
    if (this.stopped || !this.leader) return;
    if (payload && /^[1-9]\d{0,18}$/.test(payload)) this.heard.add(payload);
    else this.wanted = true;
    this.schedule();
  }

  private schedule(): void {
    if (this.running) return;
    this.running = this.drainLoop().finally(() => (this.running = null));
  }

  /** Whether this process currently relays (tests and logs). */
  get isLeader(): boolean {
    return this.leader;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    if (this.markTimer) clearTimeout(this.markTimer);
    await this.running?.catch(() => {});
    await this.client?.end().catch(() => {});
    this.client = null;
    this.leader = false;
  }

  private async connect(): Promise<pg.Client> {
    if (this.client) return this.client;
    const client = new pg.Client({ connectionString: this.databaseUrl, application_name: 'outbox-relay' });
    client.on('error', (err) => {
      this.logger.warn({ err: err.message }, 'outbox relay connection lost');
      this.drop(client);
    });
    client.on('notification', (message) => this.heardCommit(message.payload));
    await client.connect();
    await client.query(RELAY_SESSION_SQL);
    this.client = client;
    return client;
  }

  /** A lost connection also lost the lock (PostgreSQL released it): leadership is taken again from scratch. */
  private drop(client: pg.Client): void {
    if (this.client !== client) return;
    this.client = null;
    this.leader = false;
    this.published = 0n;
    client.end().catch(() => {});
  }

  private async drainLoop(): Promise<void> {
    do {
      this.wanted = false;
      // Heard before this pass: its statement sees them (numbered now or earlier), so they are done with.
      this.heard = new Set();
      const client = this.client;
      let numbered: Set<string>;
      try {
        numbered = await this.drainOnce();
      } catch (error) {
        this.logger.warn({ err: error instanceof Error ? error.message : error }, 'outbox relay pass failed; will retry');
        if (client) this.drop(client);
        return;
      }
      for (const id of this.heard) if (numbered.has(id)) this.heard.delete(id);
    } while ((this.wanted || this.heard.size > 0) && !this.stopped);
  }

  /** One pass; returns the outbox ids it numbered. */
  private async drainOnce(): Promise<Set<string>> {
    const numberedIds = new Set<string>();
    const client = await this.connect();
    if (!this.leader) {
      const { rows } = await client.query<{ locked: boolean }>('select pg_try_advisory_lock($1) as locked', [RELAY_LOCK_KEY]);
      if (!rows[0].locked) return numberedIds; // another process relays; `committed` wakes it
      await client.query('listen event_outbox');
      this.leader = true;
      this.published = 0n;
      this.logger.debug('this process relays the outbox');
    }
    // One statement per pass: mark what the previous pass published, number the rows committed since
    // (in id order), and return every numbered row not yet published (after a takeover: the previous
    // relay's unconfirmed ones too; subscribers drop a seq they have seen).
    for (;;) {
      // A named (prepared) statement: parsed and planned once per connection, not on every pass.
      const { rows } = await client.query<OutboxRow & { id: string; fresh: boolean }>({
        name: RELAY_PASS_NAME,
        text: RELAY_PASS_SQL,
        values: [this.published.toString()],
      });
      for (const row of rows) if (row.fresh) numberedIds.add(String(row.id));
      if (rows.length === 0) return numberedIds;
      // Published in order on one connection, without waiting for each reply (pipelined).
      await withTimeout(Promise.all(rows.map((row) => this.bus.publish(JSON.stringify(toFeedMessage(row))))), 5000);
      this.published = BigInt(rows[rows.length - 1].seq);
      // The next pass marks them; when no event comes to start one, this does (a pass with nothing new).
      this.markTimer ??= setTimeout(() => {
        this.markTimer = null;
        this.kick();
      }, MARK_DELAY_MS);
      if (rows.length < BATCH) return numberedIds; // else more may wait: rows left out stay numbered and unpublished
    }
  }
}
