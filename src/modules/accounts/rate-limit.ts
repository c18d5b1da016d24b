// Owns counting attempts per key in a fixed window: in Redis when configured (shared by every process),
// in memory otherwise. Used to slow down password guessing.
import type { RedisClientType } from 'redis';

export interface RateLimiter {
  /** Current count for the key in its window, and seconds until the window ends. */
  peek(key: string): Promise<{ count: number; resetInSeconds: number }>;
  /** Adds one to the key's count; the window starts at the first hit. */
  hit(key: string, windowSeconds: number): Promise<number>;
  reset(key: string): Promise<void>;
}

export class MemoryRateLimiter implements RateLimiter {
  private readonly entries = new Map<string, { count: number; resetAt: number }>();

  async peek(key: string) {
    const entry = this.live(key);
    return { count: entry?.count ?? 0, resetInSeconds: entry ? Math.ceil((entry.resetAt - Date.now()) / 1000) : 0 };
  }

  async hit(key: string, windowSeconds: number) {
    const entry = this.live(key) ?? { count: 0, resetAt: Date.now() + windowSeconds * 1000 };
    entry.count += 1;
    this.entries.set(key, entry);
    if (this.entries.size > 100_000) this.sweep();
    return entry.count;
  }

  async reset(key: string) {
    this.entries.delete(key);
  }

  private live(key: string) {
    const entry = this.entries.get(key);
    if (entry && entry.resetAt <= Date.now()) {
      this.entries.delete(key);
      return undefined;
    }
    return entry;
  }

  private sweep() {
    const now = Date.now();
    for (const [key, entry] of this.entries) if (entry.resetAt <= now) this.entries.delete(key);
  }
}

export class RedisRateLimiter implements RateLimiter {
  constructor(
    private readonly client: RedisClientType,
    private readonly prefix: string,
  ) {}

  async peek(key: string) {
    const [count, ttl] = await Promise.all([this.client.get(this.prefix + key), this.client.ttl(this.prefix + key)]);
    return { count: Number(count ?? 0), resetInSeconds: Math.max(Number(ttl), 0) };
  }

  async hit(key: string, windowSeconds: number) {
    const [count] = (await this.client
      .multi()
      .incr(this.prefix + key)
      .expire(this.prefix + key, windowSeconds, 'NX')
      .exec()) as unknown as [number, number];
    return Number(count);
  }

  async reset(key: string) {
    await this.client.del(this.prefix + key);
  }
}
