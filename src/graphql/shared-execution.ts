// Owns how a subscription event becomes a result. A request sent to a thousand manufacturers is the same
// event, loaded once, under the same selection for most of them: the selection runs once per event, and
// every subscriber whose answer cannot differ gets that one result instead of running it again.
//
// When can it not differ? The event's objects are the same (the feed marks each item with the scope it
// was loaded in and what in it depends on the subscriber, e.g. the visible estimate), the operation text and
// variables are the same, and the execution never looked at who is asking: the context it runs with
// notes every read of `user` (and `ip`). One read, and that result serves only its own subscriber; the
// others run the selection themselves, as they would without sharing.
import { createSourceEventStream, execute, type ExecutionArgs, type ExecutionResult } from 'graphql';
import { nextSlice } from '../events/slices.js';

/** Put on a feed item: items with the same scope and key carry the same data for every subscriber. */
export const SHARED_EVENT = Symbol('sharedEvent');

export interface SharedEvent {
  /** What the item was loaded in (one per event and process); results live as long as it does. */
  scope: object;
  /** Whatever in the item depends on the subscriber (e.g. the id of the estimate it may see). */
  key: string;
}

/** What `onSubscribe` adds to the execution arguments: the operation text, its name and variables. */
export interface SharedExecutionArgs extends ExecutionArgs {
  operationKey?: string;
}

type Entry = Promise<{ result: ExecutionResult; viewerRead: boolean }>;

/** Context properties that identify the subscriber; reading one makes the result its own. */
const VIEWER_PROPERTIES = ['user', 'ip'] as const;

export class SharedExecution {
  private readonly results = new WeakMap<object, Map<string, Entry>>();
  /** Executions run and results reused (tests and benchmarks read them). */
  readonly stats = { executed: 0, shared: 0 };

  /** graphql-ws's `subscribe`: the source stream as graphql-js makes it, each event through `run`. */
  readonly subscribe = async (args: SharedExecutionArgs): Promise<AsyncIterableIterator<ExecutionResult> | ExecutionResult> => {
    const stream = await createSourceEventStream(args);
    if (!isAsyncIterable(stream)) return stream as ExecutionResult;
    return mapStream(stream, (payload) => this.run(args, payload));
  };

  private async run(args: SharedExecutionArgs, payload: unknown): Promise<ExecutionResult> {
    const shared = (payload as { [SHARED_EVENT]?: SharedEvent } | null)?.[SHARED_EVENT];
    if (!shared || args.operationKey === undefined) return this.execute(args, payload, args.contextValue);
    let byKey = this.results.get(shared.scope);
    if (!byKey) this.results.set(shared.scope, (byKey = new Map()));
    const key = `${shared.key}\u0000${args.operationKey}`;
    const earlier = byKey.get(key);
    if (earlier) {
      const { result, viewerRead } = await earlier;
      if (!viewerRead) {
        this.stats.shared += 1;
        return result;
      }
      return this.execute(args, payload, args.contextValue);
    }
    const context = args.contextValue as Record<string, unknown>;
    let viewerRead = false;
    const tracked = Object.create(
      context,
      Object.fromEntries(
        VIEWER_PROPERTIES.map((name) => [
          name,
          {
            get: () => {
              viewerRead = true;
              return context[name];
            },
            enumerable: true,
          },
        ]),
      ),
    );
    const entry: Entry = this.execute(args, payload, tracked).then((result) => ({ result, viewerRead }));
    byKey.set(key, entry);
    return (await entry).result;
  }

  private async execute(args: ExecutionArgs, rootValue: unknown, contextValue: unknown): Promise<ExecutionResult> {
    this.stats.executed += 1;
    return execute({ ...args, rootValue, contextValue });
  }
}

function isAsyncIterable(value: unknown): value is AsyncIterable<unknown> {
  return typeof (value as AsyncIterable<unknown> | null)?.[Symbol.asyncIterator] === 'function';
}

/**
 * Like graphql-js's own mapping of a subscription stream; return() and throw() reach the source. A result
 * that was still being loaded, run or waiting for its slice when the subscription ended (the client completed
 * it, the socket closed) is not sent: nothing goes out for a subscription after its end.
 */
function mapStream(stream: AsyncIterable<unknown>, map: (value: unknown) => Promise<ExecutionResult>): AsyncIterableIterator<ExecutionResult> {
  const source = stream[Symbol.asyncIterator]();
  let ended = false;
  const finish = async (): Promise<IteratorResult<ExecutionResult>> => {
    ended = true;
    await source.return?.();
    return { value: undefined, done: true };
  };
  return {
    async next() {
      let step: IteratorResult<unknown>;
      try {
        step = await source.next();
      } catch (error) {
        // The subscription ends with this error: release the source (graphql-ws forgets the subscription).
        await source.return?.();
        throw error;
      }
      if (step.done) return { value: undefined, done: true };
      try {
        const value = await map(step.value);
        await nextSlice('send');
        if (ended) return { value: undefined, done: true };
        return { value, done: false };
      } catch (error) {
        await source.return?.();
        throw error;
      }
    },
    return: finish,
    async throw(error?: unknown) {
      ended = true;
      await source.return?.();
      throw error;
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  };
}
