// Owns counting attempts per key in a fixed window: in Redis when configured (shared by every process),
// in memory otherwise. Used to slow down password guessing. An attempt is counted before it is tried, in one
// atomic step, so attempts made at the same moment cannot all pass a check that none of them has counted yet.
import type { RedisClientType } from 'redis';

export interface RateLimiter {
  /** Adds one to the key's count and returns the new count; the window starts at the first attempt. */
  take(key: string, windowSeconds: number): Promise<{ count: number; resetInSeconds: number }>;
  /** Takes back one attempt (it turned out not to count, e.g. a successful sign-in). */
  giveBack(key: string): Promise<void>;
  reset(key: string): Promise<void>;
}

export class MemoryRateLimiter implements RateLimiter {
  private readonly entries = new Map<string, { count: number; resetAt: number }>();

  async take(key: string, windowSeconds: number) {
    const entry = this.live(key) ?? { count: 0, resetAt: Date.now() + windowSeconds * 1000 };
    entry.count += 1;
    this.entries.set(key, entry);
    if (this.entries.size > 100_000) this.sweep();
    return { count: entry.count, resetInSeconds: Math.ceil((entry.resetAt - Date.now()) / 1000) };
  }

  async giveBack(key: string) {
    const entry = this.live(key);
    if (entry && entry.count > 0) entry.count -= 1;
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

  async take(key: string, windowSeconds: number) {
    const [count, , ttl] = (await this.client
      .multi()
      .incr(this.prefix + key)
      .expire(this.prefix + key, windowSeconds, 'NX')
      .ttl(this.prefix + key)
      .exec()) as unknown as [number, number, number];
    return { count: Number(count), resetInSeconds: Math.max(Number(ttl), 0) };
  }

  async giveBack(key: string) {
    // Never below zero, and never a key without its expiry: only a key that exists is decremented.
    await this.client.eval("if redis.call('get', KEYS[1]) and tonumber(redis.call('get', KEYS[1])) > 0 then return redis.call('decr', KEYS[1]) end return 0", {
      keys: [this.prefix + key],
    });
  }

  async reset(key: string) {
    await this.client.del(this.prefix + key);
  }
}
