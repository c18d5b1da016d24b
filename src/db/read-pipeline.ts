// Owns the connections of hot read statements (catalog pages and the other keyset lists): a few PostgreSQL
// connections in pipeline mode. The statements asked for during one turn of the event loop are written
// together, in one system call on one connection, and PostgreSQL answers them in order. Under load a dozen
// catalog requests then cost one write and one wake-up of the database instead of a dozen (on this product's
// 2-core machines a write to PostgreSQL's socket was the largest single cost of a catalog request).
//
// Each statement still runs on its own: its own Sync, so its own implicit transaction and snapshot, taken when
// it is sent (after the request that asked for it arrived: a reader sees every write committed before it
// asked). A failing statement fails alone. A statement whose connection was lost under it (PostgreSQL restarted,
// an administrator ended the session) is sent once more on a fresh connection: it only reads. Never used
// inside a transaction (views.ts sends those through the transaction's connection).
//
// What is queued behind a slow statement on its connection waits for it. So a batch avoids a connection whose
// oldest unanswered batch has waited longer than a normal one ever takes (STALLED_MS), and when every
// connection is held up that way, another is opened, up to `maxConnections`.
import pg from 'pg';
import type { Logger } from 'pino';

export interface ReadPipelineOptions {
  connectionString: string;
  /** Row parsing of the ORM's own connections (timestamps as text, arrays), so both give the same rows. */
  types?: pg.CustomTypesConfig;
  /** Connections (default 2); a batch goes to the one with the fewest statements in flight. */
  connections?: number;
  /** Connections opened at most when all the others are held up by slow statements (default 4). */
  maxConnections?: number;
  /**
   * PostgreSQL ends a statement that runs longer (default 30 s) with an error: the ones queued behind it on
   * its connection wait for it, so none may hold them indefinitely.
   */
  statementTimeoutMs?: number;
  logger?: Logger;
}

interface Pending {
  name: string | undefined;
  text: string;
  values: unknown[];
  resolve(rows: unknown[]): void;
  reject(error: unknown): void;
  /** Sent once already, on a connection that was lost. */
  resent?: boolean;
}

interface Slot {
  client: pg.Client;
  connected: Promise<void>;
  inFlight: number;
  /** Batches sent and not fully answered, oldest first (PostgreSQL answers a connection's statements in order). */
  unanswered: Array<{ sentAt: number; left: number }>;
  broken: boolean;
}

/** A batch of hot reads takes a few ms; one unanswered for longer than this is held up by a slow statement. */
export const STALLED_MS = 25;

export class ReadPipeline {
  private readonly slots: Array<Slot | undefined>;
  private pending: Pending[] = [];
  private scheduled = false;
  private closed = false;
  /** Statements sent and system calls made for them, since start (tests and benchmarks read them). */
  readonly stats = { statements: 0, batches: 0 };

  constructor(private readonly options: ReadPipelineOptions) {
    this.slots = new Array(options.connections ?? 2).fill(undefined);
  }

  /** Connections open now (tests read it). */
  get connectionCount(): number {
    return this.slots.filter((slot) => slot && !slot.broken).length;
  }

  /** One statement (`$n` placeholders); named statements are parsed and planned once per connection. */
  query<R>(name: string | undefined, text: string, values: unknown[]): Promise<R[]> {
    if (this.closed) return Promise.reject(new Error('The read connections are closed'));
    return new Promise<R[]>((resolve, reject) => this.enqueue({ name, text, values, resolve: resolve as (rows: unknown[]) => void, reject }));
  }

  private enqueue(statement: Pending): void {
    this.pending.push(statement);
    if (!this.scheduled) {
      this.scheduled = true;
      // After the I/O callbacks of this turn: every request that arrived in it has asked by then.
      setImmediate(this.flush);
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    const clients = this.slots.flatMap((slot) => (slot ? [slot.client] : []));
    this.slots.fill(undefined);
    await Promise.all(clients.map((client) => client.end().catch(() => {})));
  }

  private readonly flush = () => {
    this.scheduled = false;
    const batch = this.pending;
    this.pending = [];
    if (batch.length === 0) return;
    if (this.closed) {
      for (const statement of batch) statement.reject(new Error('The read connections are closed'));
      return;
    }
    const slot = this.leastBusy();
    slot.inFlight += batch.length;
    slot.unanswered.push({ sentAt: performance.now(), left: batch.length });
    slot.connected.then(
      () => this.send(slot, batch),
      (error) => {
        slot.inFlight -= batch.length;
        slot.unanswered.length = 0;
        for (const statement of batch) statement.reject(error);
      },
    );
  };

  private send(slot: Slot, batch: Pending[]): void {
    const stream = slot.client.connection.stream;
    // Every statement corks and uncorks on its own; the outer cork makes the batch one write.
    stream.cork();
    const answered = () => {
      slot.inFlight -= 1;
      const oldest = slot.unanswered[0];
      if (oldest && --oldest.left === 0) slot.unanswered.shift();
    };
    try {
      for (const statement of batch) {
        slot.client.query({ name: statement.name, text: statement.text, values: statement.values }).then(
          (result) => {
            answered();
            statement.resolve(result.rows);
          },
          (error) => {
            answered();
            if (isConnectionLoss(error) && !statement.resent && !this.closed) {
              slot.broken = true;
              statement.resent = true;
              this.enqueue(statement);
            } else statement.reject(error);
          },
        );
      }
    } finally {
      stream.uncork();
    }
    this.stats.statements += batch.length;
    this.stats.batches += 1;
  }

  /** The connection with the fewest statements in flight among those not held up, opening one if all are. */
  private leastBusy(): Slot {
    const heldUpBefore = performance.now() - STALLED_MS;
    let best: Slot | undefined;
    let bestHeldUp = true;
    for (let i = 0; i < this.slots.length; i++) {
      let slot = this.slots[i];
      if (!slot || slot.broken) {
        // A lost connection has ended or is ending; end it in any case, so it cannot linger.
        slot?.client.end().catch(() => {});
        slot = this.slots[i] = this.connect();
      }
      const heldUp = slot.unanswered.length > 0 && slot.unanswered[0].sentAt < heldUpBefore;
      if (!best || (bestHeldUp && !heldUp) || (heldUp === bestHeldUp && slot.inFlight < best.inFlight)) {
        best = slot;
        bestHeldUp = heldUp;
      }
    }
    if (bestHeldUp && this.slots.length < (this.options.maxConnections ?? 4)) {
      const extra = this.connect();
      this.slots.push(extra);
      return extra;
    }
    return best!;
  }

  private connect(): Slot {
    const client = new pg.Client({
      connectionString: this.options.connectionString,
      types: this.options.types,
      pipeline: true,
      application_name: 'read-pipeline',
      statement_timeout: this.options.statementTimeoutMs ?? 30_000,
    });
    const slot: Slot = { client, connected: Promise.resolve(), inFlight: 0, unanswered: [], broken: false };
    const broken = (error?: Error) => {
      if (slot.broken) return;
      slot.broken = true;
      // Statements in flight fail with the connection's error (pg rejects them); the next batch reconnects.
      if (!this.closed) this.options.logger?.warn({ err: error?.message }, 'read connection lost; reconnecting on the next read');
    };
    client.on('error', broken);
    client.on('end', () => broken());
    slot.connected = client.connect().then(
      () => undefined,
      (error: Error) => {
        broken(error);
        throw error;
      },
    );
    // A failed connect is reported to the batches that wait for it; a slot no batch chose has no one waiting.
    slot.connected.catch(() => {});
    return slot;
  }
}

/**
 * The connection failed, not the statement: pg's own errors (the socket ended or broke) and PostgreSQL's
 * FATAL ones (the session was ended); an error of the statement itself (ERROR) leaves the connection usable.
 */
function isConnectionLoss(error: unknown): boolean {
  if (!(error instanceof pg.DatabaseError)) return error instanceof Error && /Connection terminated|not queryable|ECONNRESET|EPIPE/i.test(error.message);
  return error.severity === 'FATAL' || error.severity === 'PANIC';
}
