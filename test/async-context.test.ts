// MikroORM's AsyncLocalStorage (flushes, transactions) must not stay on after a write: on Node 20 an enabled
// storage makes every later promise of the process pay an async hook (src/db/async-context.ts).
import { AsyncLocalStorage } from 'node:async_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { TransactionContext } from '@mikro-orm/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installIdleAsyncContext, isStorageEnabled, storageUse } from '../src/db/async-context.js';
import { startTestApp, type TestApp } from './support/app.js';
import { createDesign, requestQuotes } from './support/quoting.js';
import { signUp, signUpManufacturer } from './support/users.js';

// MikroORM declares it private; it is the storage em.transactional runs in.
const transactionStorage = (TransactionContext as unknown as { storage: AsyncLocalStorage<unknown> }).storage;

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(() => t?.stop());

describe('MikroORM storages after writes', () => {
  it('are disabled once the flushes and transactions of a quote request are over', async () => {
    const designer = await signUp(t.gql, 'DESIGNER'); // a flush
    const ring = await createDesign(t.gql, designer, 'Idle Ring', 'RING');
    const maker = await signUpManufacturer(t.gql, ['RING']);
    const consumer = await signUp(t.gql, 'CONSUMER');
    // em.transactional with a flush inside: TransactionContext's storage and UnitOfWork's own
    const request = await requestQuotes(t.gql, consumer, { items: [{ designId: ring.id, quantity: 2 }], manufacturerIds: [maker.id] });
    expect(request.status).toBe('OPEN');

    expect(storageUse().used).toBeGreaterThanOrEqual(2);
    expect(storageUse().inFlight).toBe(0);
    expect(isStorageEnabled(transactionStorage)).toBe(false);
  });

  it('still give a transaction its own EntityManager, across awaits, while it runs', async () => {
    const em = t.app.orm.em.fork();
    const seen = await em.transactional(async (tx) => {
      await sleep(5);
      const inside = TransactionContext.getEntityManager(tx.name);
      await tx.getConnection().execute('select 1');
      return { same: inside === tx, enabled: isStorageEnabled(transactionStorage) };
    });
    expect(seen).toEqual({ same: true, enabled: true });
    expect(isStorageEnabled(transactionStorage)).toBe(false);
  });
});

describe('installIdleAsyncContext', () => {
  it('keeps the store across awaits and disables the storage when its last run settles', async () => {
    expect(installIdleAsyncContext()).toBe(true);
    const storage = new AsyncLocalStorage<string>();
    let releaseFirst!: () => void;
    const first = storage.run('first', async () => {
      await new Promise<void>((resolve) => (releaseFirst = resolve));
      return storage.getStore();
    });
    const second = storage.run('second', async () => {
      await sleep(1);
      return storage.getStore();
    });
    expect(await second).toBe('second');
    await sleep(1);
    expect(isStorageEnabled(storage)).toBe(true); // the first is still in flight
    releaseFirst();
    expect(await first).toBe('first');
    await sleep(0);
    expect(isStorageEnabled(storage)).toBe(false);
    expect(storage.getStore()).toBeUndefined();
  });

  it('hands a rejection to the caller unchanged, and still reports it when nobody handles it', async () => {
    const storage = new AsyncLocalStorage<number>();
    const failure = new Error('no');
    await expect(storage.run(1, async () => Promise.reject(failure))).rejects.toBe(failure);
    await sleep(0);
    expect(isStorageEnabled(storage)).toBe(false);

    // vitest fails the run on an unhandled rejection: its listeners step aside while this one is made.
    const listeners = process.listeners('unhandledRejection');
    process.removeAllListeners('unhandledRejection');
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      void storage.run(2, async () => {
        throw failure;
      });
      await sleep(20);
    } finally {
      process.off('unhandledRejection', onUnhandled);
      for (const listener of listeners) process.on('unhandledRejection', listener);
    }
    expect(unhandled).toEqual([failure]);
    expect(isStorageEnabled(storage)).toBe(false);
  });

  it('leaves a storage alone whose callback returns a value or throws: the work it started may go on', async () => {
    const storage = new AsyncLocalStorage<string>();
    const later = new Promise<string | undefined>((resolve) => {
      // express-style: next() returns nothing, the request goes on in callbacks
      storage.run('request', () => {
        setTimeout(() => resolve(storage.getStore()), 5);
      });
    });
    expect(await later).toBe('request');
    expect(isStorageEnabled(storage)).toBe(true);
    storage.disable();

    const throwing = new AsyncLocalStorage<number>();
    const failure = new Error('sync');
    expect(() =>
      throwing.run(2, () => {
        throw failure;
      }),
    ).toThrow(failure);
    expect(isStorageEnabled(throwing)).toBe(true);
    throwing.disable();
  });

  it('does not call then() of a returned thenable or promise subclass, and leaves those storages on', () => {
    const storage = new AsyncLocalStorage<number>();
    let thenCalls = 0;
    const thenable = { then: () => thenCalls++ };
    expect(storage.run(1, () => thenable)).toBe(thenable);
    class Lazy<T> extends Promise<T> {
      override then<A = T, B = never>(onFulfilled?: ((value: T) => A | PromiseLike<A>) | null, onRejected?: ((reason: unknown) => B | PromiseLike<B>) | null): Promise<A | B> {
        thenCalls++;
        return super.then(onFulfilled, onRejected);
      }
    }
    const subclassed = new AsyncLocalStorage<number>();
    const lazy = new Lazy<number>((resolve) => resolve(1));
    thenCalls = 0;
    expect(subclassed.run(1, () => lazy)).toBe(lazy);
    expect(thenCalls).toBe(0);
    expect(isStorageEnabled(storage)).toBe(true);
    expect(isStorageEnabled(subclassed)).toBe(true);
    storage.disable();
    subclassed.disable();
  });

  it('leaves a storage alone that was on before its first counted run, or entered with enterWith', async () => {
    const outer = new AsyncLocalStorage<string>();
    // as a run() before install would: on, with a store for what follows
    (outer as unknown as { _enable(): void })._enable();
    await outer.run('inner', async () => sleep(0));
    expect(isStorageEnabled(outer)).toBe(true);
    outer.disable();

    const storage = new AsyncLocalStorage<string>();
    await storage.run('a', async () => sleep(0));
    expect(isStorageEnabled(storage)).toBe(false);
    await new Promise<void>((resolve) =>
      setImmediate(() => {
        storage.enterWith('entered');
        resolve();
      }),
    );
    await storage.run('b', async () => sleep(0));
    expect(isStorageEnabled(storage)).toBe(true);
    storage.disable();
  });
});
