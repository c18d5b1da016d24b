// Owns moving event messages between server processes: Redis pub/sub (separate publisher and
// subscriber connections) when REDIS_URL is set, in-process otherwise (single-process mode).
// Messages are opaque strings here; what they mean belongs to events/feed.ts.
import { createHash } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { RedisClientType } from 'redis';
import type { Logger } from 'pino';

/**
 * One channel per database: processes serving the same data share events; another deployment (or a
 * test run) on the same Redis never sees them.
 */
export function eventsChannel(databaseUrl: string): string {
  const url = new URL(databaseUrl);
  const identity = createHash('sha256').update(`${url.hostname}:${url.port || '5432'}${url.pathname}`).digest('hex').slice(0, 16);
  return `jewelry-marketplace:${identity}:events`;
}

export type Listener = (message: string) => void;

export interface EventBus {
  readonly mode: 'redis' | 'memory';
  publish(message: string): Promise<void>;
  /** Adds a listener for every message on the channel; returns its removal. */
  listen(listener: Listener): () => void;
  /** Called when the subscriber connection is back after a drop (messages may have been missed). */
  onReconnect?(listener: () => void): void;
  health(): Promise<{ ok: boolean; detail: string }>;
  close(): Promise<void>;
}

export class MemoryBus implements EventBus {
  readonly mode = 'memory' as const;
  private readonly emitter = new EventEmitter().setMaxListeners(0);

  async publish(message: string): Promise<void> {
    // Delivered on a later tick, like a network hop, so publishers never run subscriber code inline.
    setImmediate(() => this.emitter.emit('message', message));
  }

  listen(listener: Listener): () => void {
    this.emitter.on('message', listener);
    return () => this.emitter.off('message', listener);
  }

  async health() {
    return { ok: true, detail: 'in-process (single-process mode)' };
  }

  async close(): Promise<void> {
    this.emitter.removeAllListeners();
  }
}

export class RedisBus implements EventBus {
  readonly mode = 'redis' as const;
  private readonly listeners = new Set<Listener>();
  private readonly reconnectListeners = new Set<() => void>();
  private subscriberReady = false;
  private wasDown = false;

  private constructor(
    private readonly publisher: RedisClientType,
    private readonly subscriber: RedisClientType,
    private readonly logger: Logger,
    readonly channel: string,
  ) {}

  static async connect(url: string, channel: string, logger: Logger): Promise<RedisBus> {
    const reconnectStrategy = (retries: number) => Math.min(100 * 2 ** retries, 2000);
    // Loaded only when Redis is configured: it is a tenth of start-up time and single-process mode needs none of it.
    const { createClient } = await import('redis');
    const publisher = createClient({ url, socket: { reconnectStrategy } }) as RedisClientType;
    const subscriber = publisher.duplicate() as RedisClientType;
    const bus = new RedisBus(publisher, subscriber, logger.child({ component: 'redis' }), channel);
    for (const [name, client] of [['publisher', publisher], ['subscriber', subscriber]] as const) {
      client.on('error', (err: Error) => bus.logger.warn({ err: err.message, client: name }, 'redis connection error'));
    }
    const down = () => {
      bus.subscriberReady = false;
      bus.wasDown = true;
    };
    subscriber.on('end', down);
    subscriber.on('reconnecting', down);
    subscriber.on('ready', () => {
      bus.subscriberReady = true;
      if (!bus.wasDown) return;
      bus.wasDown = false;
      bus.logger.info('redis subscriber reconnected; catching up from the outbox');
      // node-redis re-subscribes right after 'ready'; give it a moment before reading what was missed.
      setTimeout(() => bus.reconnectListeners.forEach((listener) => listener()), 50).unref();
    });
    try {
      // node-redis retries forever; a server that cannot reach Redis at start-up should say so and stop.
      await withTimeout(Promise.all([publisher.connect(), subscriber.connect()]), 5000);
    } catch (error) {
      publisher.destroy();
      subscriber.destroy();
      const where = new URL(url);
      throw new Error(
        `Could not connect to Redis at REDIS_URL (${where.hostname}:${where.port || 6379}) within 5 s: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
    // node-redis re-subscribes by itself after a reconnect.
    await subscriber.subscribe(channel, (message) => {
      for (const listener of bus.listeners) listener(message);
    });
    bus.subscriberReady = true;
    return bus;
  }

  async publish(message: string): Promise<void> {
    await this.publisher.publish(this.channel, message);
  }

  listen(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  onReconnect(listener: () => void): void {
    this.reconnectListeners.add(listener);
  }

  /** Client for other Redis uses (rate limits) on the publisher connection. */
  get client(): RedisClientType {
    return this.publisher;
  }

  async health() {
    try {
      await withTimeout(this.publisher.ping(), 1000);
      if (!this.subscriberReady) return { ok: false, detail: 'redis subscriber reconnecting' };
      return { ok: true, detail: 'redis' };
    } catch (error) {
      this.logger.warn({ err: error instanceof Error ? error.message : String(error) }, 'readiness: redis unreachable');
      return { ok: false, detail: 'redis unreachable' };
    }
  }

  async close(): Promise<void> {
    this.listeners.clear();
    this.reconnectListeners.clear();
    await Promise.allSettled([this.subscriber.close(), this.publisher.close()]);
  }
}

export function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise<T>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
    }),
  ]);
}

export async function createBus(redisUrl: string | undefined, databaseUrl: string, logger: Logger): Promise<EventBus> {
  return redisUrl ? RedisBus.connect(redisUrl, eventsChannel(databaseUrl), logger) : new MemoryBus();
}
