// Keeps MikroORM's AsyncLocalStorage from taxing every promise of the process after the first write.
//
// On Node 20 an AsyncLocalStorage is built on async hooks: its first `run()` turns on a promise hook, and
// from then on every promise of the process (every read, every subscription event) pays for it until the
// storage is disabled, which MikroORM never does. MikroORM runs each flush (UnitOfWork's private
// `insideFlush`) and each `em.transactional` (TransactionContext) in one, so one write left the hook on for
// good (its functions: about 2 % of the servers' CPU profile during broadcasts; BENCHMARKS.md).
//
// installIdleAsyncContext() counts, per storage, the `run()` calls whose callback returned a promise that
// has not settled yet, and disables the storage when the count returns to zero; the next `run()` enables it
// again. Inside a run nothing changes. What changes: work such a run started without awaiting it (a promise
// it let escape, a timer) no longer sees the store once every run of that storage has settled. MikroORM
// awaits all it starts inside both, and this project starts nothing it does not await.
//
// Left alone from then on, as without this module: a storage entered with `enterWith()`; one whose callback
// returned anything but a plain promise (a value: the work it started may go on, as with an express
// `next()`; a thenable or a promise subclass, whose `then` may start work); one that threw; one that was
// enabled by other means before its first counted run. The promise handed back settles as the callback's
// did, and a rejection nobody handles is still reported as unhandled.
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
    this: AsyncLocalStorage<unknown> & HookBasedStorage,
    store: unknown,
    callback: (...args: unknown[]) => R,
    ...args: unknown[]
  ): R {
    if (pinned.has(this)) return run.call(this, store, callback, ...args) as R;
    // On with no counted run in flight: someone else turned it on (a run before install); theirs to keep.
    if (this.enabled && !inFlight.has(this)) {
      pin(this);
      return run.call(this, store, callback, ...args) as R;
    }
    acquire(this);
    let result: R;
    try {
      result = run.call(this, store, callback, ...args) as R;
    } catch (error) {
      pin(this);
      throw error;
    }
    if (result !== null && typeof result === 'object' && Object.getPrototypeOf(result) === Promise.prototype) {
      const done = (): void => release(this);
      // `finally`, not `then(done, done)`: a rejection nobody handles stays unhandled (and is reported).
      return (result as unknown as Promise<unknown>).finally(done) as R;
    }
    pin(this);
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
