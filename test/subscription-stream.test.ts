// The subscription stream around graphql-js: a result still being produced when the subscription ends is not
// handed out; the hub offers a broadcast's events a slice at a time, each subscription in the order they came.
import { GraphQLObjectType, GraphQLSchema, GraphQLString, parse } from 'graphql';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import type { EventBus, Listener } from '../src/events/bus.js';
import { FeedHub } from '../src/events/feed-hub.js';
import type { FeedMessage } from '../src/events/outbox.js';
import { SLICE } from '../src/events/slices.js';
import { SharedExecution } from '../src/graphql/shared-execution.js';

/** A source stream whose next value the test hands over. */
function controlledStream() {
  const waiting: Array<(r: IteratorResult<unknown>) => void> = [];
  let returned = false;
  const iterator: AsyncIterableIterator<unknown> = {
    next: () => new Promise((resolve) => waiting.push(resolve)),
    return: async () => {
      returned = true;
      return { value: undefined, done: true };
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  };
  return { iterator, push: (value: unknown) => waiting.shift()?.({ value, done: false }), returned: () => returned };
}

describe('SharedExecution.subscribe', () => {
  it('hands out nothing once the subscription has ended, even a result that was being produced', async () => {
    let release!: () => void;
    const slowField = new Promise<string>((resolve) => (release = () => resolve('late')));
    const source = controlledStream();
    const schema = new GraphQLSchema({
      query: new GraphQLObjectType({ name: 'Query', fields: { ok: { type: GraphQLString } } }),
      subscription: new GraphQLObjectType({
        name: 'Subscription',
        fields: { tick: { type: GraphQLString, subscribe: () => source.iterator, resolve: () => slowField } },
      }),
    });
    const stream = (await new SharedExecution().subscribe({ schema, document: parse('subscription { tick }') })) as AsyncIterableIterator<unknown>;

    // Given an event whose result is still being produced
    const pending = stream.next();
    source.push({});
    await new Promise((r) => setTimeout(r, 20));
    // When the subscription ends meanwhile (the client completed it) and then the result is ready
    await stream.return!();
    release();
    // Then it is not handed out, and the source was released
    expect(await pending).toEqual({ value: undefined, done: true });
    expect(source.returned()).toBe(true);
  });
});

class TestBus implements EventBus {
  readonly mode = 'memory' as const;
  private listener: Listener | null = null;
  async publish(message: string) {
    this.listener?.(message);
  }
  listen(listener: Listener) {
    this.listener = listener;
    return () => (this.listener = null);
  }
  async health() {
    return { ok: true, detail: 'test' };
  }
  async close() {}
}

const message = (seq: number, audience: string[]): FeedMessage => ({
  seq: String(seq),
  feed: 'QUOTE_REQUEST',
  type: 'REQUESTED',
  audience,
  requestId: '00000000-0000-4000-8000-000000000001',
  estimateId: null,
  occurredAt: new Date().toISOString(),
});

describe('FeedHub', () => {
  it('offers a broadcast a slice of subscriptions per turn, and every subscription its events in order', async () => {
    const bus = new TestBus();
    const hub = new FeedHub(bus, pino({ level: 'silent' }));
    await hub.start();
    const users = Array.from({ length: SLICE * 3 }, (_, i) => `user-${i}`);
    const subs = users.map((u) => hub.open(u, () => true));

    // Two broadcasts to everyone, back to back
    await bus.publish(JSON.stringify(message(1, users)));
    await bus.publish(JSON.stringify(message(2, users)));
    // Nothing is offered in the turn that received them...
    const firstOf = subs.map((s) => s.next());
    let settled = 0;
    firstOf.forEach((p) => void p.then(() => (settled += 1)));
    await Promise.resolve();
    expect(settled).toBe(0);
    // ...then SLICE per turn of the event loop
    await new Promise((r) => setImmediate(r));
    expect(settled).toBe(SLICE);
    await new Promise((r) => setImmediate(r));
    expect(settled).toBe(2 * SLICE);

    // Every subscription gets event 1, then event 2
    const first = await Promise.all(firstOf);
    const second = await Promise.all(subs.map((s) => s.next()));
    expect(first.map((r) => r.value?.seq)).toEqual(users.map(() => '1'));
    expect(second.map((r) => r.value?.seq)).toEqual(users.map(() => '2'));
    hub.close();
  });
});
