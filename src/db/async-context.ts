// Keeps MikroORM's AsyncLocalStorage from taxing every promise of the process after the first write.
//
// On Node 20 an AsyncLocalStorage is built on async hooks: its first `run()` turns on a promise hook, and
// from then on every promise of the process (every read, every subscription event) pays for it until the
// storage is disabled, which MikroORM never does. MikroORM runs each flush (UnitOfWork's private
// `insideFlush`) and each `em.transactional` (TransactionContext) in one, so one write left the hook on for
// good: 23 % of the servers' CPU per broadcast to 5,000 subscribers (BENCHMARKS.md).
//
// installIdleAsyncContext() counts, per storage, the `run()` calls still in flight (until the promise the
// callback returned settles) and disables the storage when the count returns to zero; the next `run()`
// enables it again. Inside a run nothing changes. What changes: work a run started without awaiting it
// (a promise it let escape) no longer sees the store once every run of that storage has settled. MikroORM
// awaits all it starts inside both, and this project starts nothing it does not await. A storage that is
// ever entered with `enterWith()`, or whose callback returns a thenable that is not a promise, is left alone
// from then on.
//
// Only where the storage is hook-based (Node 20 and 22; Node 24's AsyncContextFrame has no such cost).
import { AsyncLocalStorage } from 'node:async_hooks';

interface HookBasedStorage {
  _enable?: () => void;
  enabled?: boolean;
}

const inFlight = new WeakMap<AsyncLocalStorage<unknown>, number>();
const pinned = new WeakSet<AsyncLocalStorage<unknown>>();
const used = new WeakSet<AsyncLocalStorage<unknown>>();
let usedCount = 0;
let inFlightCount = 0;
let installed = false;

export function installIdleAsyncContext(): boolean {
  if (installed) return true;
  const proto = AsyncLocalStorage.prototype as AsyncLocalStorage<unknown> & HookBasedStorage;
  if (typeof proto._enable !== 'function' || typeof proto.disable !== 'function') return false;
  installed = true;

  const run = proto.run;
  const enterWith = proto.enterWith;

  const acquire = (storage: AsyncLocalStorage<unknown>): void => {
    if (!used.has(storage)) {
      used.add(storage);
      usedCount++;
    }
    const runs = inFlight.get(storage) ?? 0;
    if (runs === 0) inFlightCount++;
    inFlight.set(storage, runs + 1);
  };
  const forget = (storage: AsyncLocalStorage<unknown>): void => {
    if (inFlight.delete(storage)) inFlightCount--;
  };
  const release = (storage: AsyncLocalStorage<unknown>): void => {
    const runs = inFlight.get(storage);
    if (runs === undefined) return; // pinned meanwhile
    if (runs > 1) {
      inFlight.set(storage, runs - 1);
      return;
    }
    forget(storage);
    storage.disable();
  };
  const pin = (storage: AsyncLocalStorage<unknown>): void => {
    pinned.add(storage);
    forget(storage);
  };

  proto.run = function runCounted<R>(
    this: AsyncLocalStorage<unknown>,
    store: unknown,
    callback: (...args: unknown[]) => R,
    ...args: unknown[]
  ): R {
    if (pinned.has(this)) return run.call(this, store, callback, ...args) as R;
    acquire(this);
    let result: R;
    try {
      result = run.call(this, store, callback, ...args) as R;
    } catch (error) {
      release(this);
      throw error;
    }
    if (result instanceof Promise) {
      const done = (): void => release(this);
      // Only observes: the caller still gets `result` itself, rejection included.
      result.then(done, done);
    } else if (isThenable(result)) {
      // A thenable may start work when its `then` is called (a query builder): not ours to call. The
      // storage keeps its store for good, as without this module.
      pin(this);
    } else {
      release(this);
    }
    return result;
  } as typeof proto.run;

  proto.enterWith = function enterWithPinned(this: AsyncLocalStorage<unknown>, store: unknown): void {
    pin(this);
    enterWith.call(this, store);
  };
  return true;
}

/** How many storages have run a callback since install, and how many have one in flight now. */
export function storageUse(): { used: number; inFlight: number } {
  return { used: usedCount, inFlight: inFlightCount };
}

/** Whether the storage currently propagates its store to new promises (and so keeps the hook on). */
export function isStorageEnabled(storage: AsyncLocalStorage<unknown>): boolean | undefined {
  return (storage as AsyncLocalStorage<unknown> & HookBasedStorage).enabled;
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    value !== null &&
    (typeof value === 'object' || typeof value === 'function') &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}
