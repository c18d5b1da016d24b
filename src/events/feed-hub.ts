// Owns delivery inside one process. Every bus message goes to the subscriptions of the users in its
// audience (a map lookup per audience member, not a scan of all sockets); each subscription drops what
// it has already seen (by seq) and what its filter does not want, before any GraphQL runs.
// Redis pub/sub forgets what it could not deliver, so the hub also catches up from the outbox: after the
// subscriber connection comes back, and every few seconds, it reads the events after the last one it saw.
import type { Logger } from 'pino';
import type { EventBus } from './bus.js';
import type { FeedMessage } from './outbox.js';
import type { OutboxStore } from './outbox-store.js';
import { inSlice } from './slices.js';

const MAX_BUFFERED = 1000;
const CATCH_UP_BATCH = 5000;

export class FeedSubscription implements AsyncIterableIterator<FeedMessage> {
  private buffer: FeedMessage[] = [];
  private waiting: ((result: IteratorResult<FeedMessage>) => void) | null = null;
  private closed = false;
  private lastSeq = 0n;

  constructor(
    readonly userId: string,
    private readonly accept: (message: FeedMessage) => boolean,
    private readonly onClose: (sub: FeedSubscription) => void,
  ) {}

  get isClosed(): boolean {
    return this.closed;
  }

  offer(message: FeedMessage): void {
    if (this.closed) return;
    const seq = BigInt(message.seq);
    if (seq <= this.lastSeq || !this.accept(message)) return;
    this.lastSeq = seq;
    this.push(message);
  }

  /**
   * Puts replayed events (read from the outbox after a cursor) before anything that arrived live
   * meanwhile; live events already in the replay are dropped, so the seam has no gap and no duplicate.
   */
  replayFirst(replayed: FeedMessage[]): void {
    if (replayed.length === 0) return;
    const last = BigInt(replayed[replayed.length - 1].seq);
    const live = this.buffer.filter((m) => BigInt(m.seq) > last);
    this.buffer = [];
    if (last > this.lastSeq) this.lastSeq = last;
    for (const message of [...replayed, ...live]) this.push(message);
  }

  private push(message: FeedMessage): void {
    if (this.waiting) {
      const resolve = this.waiting;
      this.waiting = null;
      resolve({ value: message, done: false });
      return;
    }
    if (this.buffer.length >= MAX_BUFFERED) {
      // A client this far behind is not reading; end its subscription rather than grow without bound.
      this.close();
      return;
    }
    this.buffer.push(message);
  }

  next(): Promise<IteratorResult<FeedMessage>> {
    const value = this.buffer.shift();
    if (value) return Promise.resolve({ value, done: false });
    if (this.closed) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve) => (this.waiting = resolve));
  }

  return(): Promise<IteratorResult<FeedMessage>> {
    this.close();
    return Promise.resolve({ value: undefined, done: true });
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.buffer = [];
    this.onClose(this);
    this.waiting?.({ value: undefined, done: true });
    this.waiting = null;
  }

  [Symbol.asyncIterator](): this {
    return this;
  }
}

export interface FeedHubOptions {
  /** Where to catch up from; without it the hub only relays what the bus delivers. */
  store?: OutboxStore;
  /** Periodic catch-up, in ms (0: only after a reconnect). */
  catchUpMs?: number;
}

export class FeedHub {
  private readonly byUser = new Map<string, Set<FeedSubscription>>();
  private unlisten: (() => void) | null = null;
  private lastSeen = 0n;
  private paused: string[] | null = null;
  private catchingUp: Promise<void> | null = null;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly bus: EventBus,
    private readonly logger: Logger,
    private readonly options: FeedHubOptions = {},
  ) {}

  async start(): Promise<void> {
    if (this.options.store) this.lastSeen = await this.options.store.head();
    this.unlisten = this.bus.listen((raw) => this.receive(raw));
    this.bus.onReconnect?.(() => void this.catchUp());
    if (this.options.store && this.options.catchUpMs) {
      this.timer = setInterval(() => void this.catchUp(), this.options.catchUpMs);
      this.timer.unref();
    }
  }

  open(userId: string, accept: (message: FeedMessage) => boolean): FeedSubscription {
    const sub = new FeedSubscription(userId, accept, (s) => this.remove(s));
    let set = this.byUser.get(userId);
    if (!set) this.byUser.set(userId, (set = new Set()));
    set.add(sub);
    return sub;
  }

  /** Number of open subscriptions (teardown checks and benchmarks read it). */
  get size(): number {
    let n = 0;
    for (const set of this.byUser.values()) n += set.size;
    return n;
  }

  /**
   * Delivers, in order, the events after the last one this process saw. Live messages that arrive
   * meanwhile wait, so nothing overtakes the catch-up.
   */
  catchUp(): Promise<void> {
    const store = this.options.store;
    if (!store || this.catchingUp) return this.catchingUp ?? Promise.resolve();
    this.paused ??= [];
    this.catchingUp = (async () => {
      try {
        for (;;) {
          const missed = await store.since(this.lastSeen, CATCH_UP_BATCH);
          for (const message of missed) this.deliver(message);
          if (missed.length < CATCH_UP_BATCH) break;
        }
      } catch (error) {
        this.logger.warn({ err: error instanceof Error ? error.message : error }, 'feed catch-up failed; will retry');
      } finally {
        const waiting = this.paused ?? [];
        this.paused = null;
        this.catchingUp = null;
        // What the outbox could not fill (pruned, unreachable) is not waited for again.
        for (const raw of waiting) this.dispatch(raw);
      }
    })();
    return this.catchingUp;
  }

  close(): void {
    if (this.timer) clearInterval(this.timer);
    this.unlisten?.();
    for (const set of this.byUser.values()) for (const sub of [...set]) sub.close();
    this.byUser.clear();
  }

  private remove(sub: FeedSubscription): void {
    const set = this.byUser.get(sub.userId);
    if (!set) return;
    set.delete(sub);
    if (set.size === 0) this.byUser.delete(sub.userId);
  }

  /**
   * The relay numbers events without holes, and every process receives every event, so a jump in seq
   * means this process missed one (a dropped Redis connection, a message lost while re-subscribing).
   * The message waits while the missing ones are read from the outbox, so nothing is skipped for good.
   */
  private receive(raw: string): void {
    if (this.paused) {
      this.paused.push(raw);
      return;
    }
    if (this.options.store) {
      const seq = /"seq":"(\d+)"/.exec(raw)?.[1];
      if (seq && BigInt(seq) > this.lastSeen + 1n) {
        this.paused = [raw];
        void this.catchUp();
        return;
      }
    }
    this.dispatch(raw);
  }

  private dispatch(raw: string): void {
    let message: FeedMessage;
    try {
      message = JSON.parse(raw) as FeedMessage;
    } catch {
      this.logger.warn('dropped an unreadable event message');
      return;
    }
    this.deliver(message);
  }

  /**
   * Events reach this point in seq order; one already delivered (a re-publish, a catch-up) is dropped. Each
   * subscription is offered the event in a slice (src/events/slices.ts): a broadcast to thousands starts them
   * SLICE per turn of the event loop, and a subscription gets its events in the order they came.
   */
  private deliver(message: FeedMessage): void {
    const seq = BigInt(message.seq);
    if (seq <= this.lastSeen) return;
    this.lastSeen = seq;
    for (const userId of message.audience) {
      const set = this.byUser.get(userId);
      if (set) for (const sub of set) inSlice('start', () => sub.offer(message));
    }
  }
}
