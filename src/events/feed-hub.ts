// Owns delivery inside one process: every bus message goes to the subscriptions of the users in its
// audience (a map lookup per audience member, not a scan of all sockets), each subscription drops
// what it has already seen (by seq) and what its filter does not want, before any GraphQL runs.
import type { Logger } from 'pino';
import type { EventBus } from './bus.js';
import type { FeedMessage } from './outbox.js';

const MAX_BUFFERED = 1000;

export class FeedSubscription implements AsyncIterableIterator<FeedMessage> {
  private readonly buffer: FeedMessage[] = [];
  private waiting: ((result: IteratorResult<FeedMessage>) => void) | null = null;
  private closed = false;
  lastSeq = 0n;

  constructor(
    readonly userId: string,
    private readonly accept: (message: FeedMessage) => boolean,
    private readonly onClose: (sub: FeedSubscription) => void,
  ) {}

  offer(message: FeedMessage): void {
    if (this.closed) return;
    const seq = BigInt(message.seq);
    if (seq <= this.lastSeq || !this.accept(message)) return;
    this.lastSeq = seq;
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
    this.buffer.length = 0;
    this.onClose(this);
    this.waiting?.({ value: undefined, done: true });
    this.waiting = null;
  }

  [Symbol.asyncIterator](): this {
    return this;
  }
}

export class FeedHub {
  private readonly byUser = new Map<string, Set<FeedSubscription>>();
  private readonly unlisten: () => void;

  constructor(bus: EventBus, private readonly logger: Logger) {
    this.unlisten = bus.listen((raw) => this.dispatch(raw));
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

  close(): void {
    this.unlisten();
    for (const set of this.byUser.values()) for (const sub of [...set]) sub.close();
    this.byUser.clear();
  }

  private remove(sub: FeedSubscription): void {
    const set = this.byUser.get(sub.userId);
    if (!set) return;
    set.delete(sub);
    if (set.size === 0) this.byUser.delete(sub.userId);
  }

  private dispatch(raw: string): void {
    let message: FeedMessage;
    try {
      message = JSON.parse(raw) as FeedMessage;
    } catch {
      this.logger.warn('dropped an unreadable event message');
      return;
    }
    for (const userId of message.audience) {
      const set = this.byUser.get(userId);
      if (set) for (const sub of set) sub.offer(message);
    }
  }
}
