// Owns the live feeds: authorise at subscribe time, take from the hub only the events the subscriber
// may see, and re-load each event's objects (plain rows, fresh for every event) before GraphQL runs on it.
import { GraphQLError } from 'graphql';
import type { FeedHub, FeedSubscription } from '../../events/feed-hub.js';
import type { FeedMessage } from '../../events/outbox.js';
import type { OutboxStore, ReplayFilter } from '../../events/outbox-store.js';
import { forbidden, unauthenticated } from '../../graphql/errors.js';
import { createLoaders, type Loaders } from '../../graphql/loaders.js';
import { SHARED_EVENT, type SharedEvent } from '../../graphql/shared-execution.js';
import type { Context } from '../../server/context.js';
import { Role } from '../accounts/role.js';
import type { Estimate } from './estimate.entity.js';
import type { QuoteRequest } from './quote-request.entity.js';
import type { EstimateFeedType, QuoteRequestFeedType, QuotingService } from './quoting.service.js';

export interface QuoteRequestFeedItem {
  type: QuoteRequestFeedType;
  quoteRequest: QuoteRequest;
  estimate: Estimate | null;
  occurredAt: Date;
  cursor: string;
}

export interface EstimateFeedItem {
  type: EstimateFeedType;
  estimate: Estimate;
  occurredAt: Date;
  cursor: string;
}

/**
 * Each event is read with its own loaders, so nothing cached from an earlier event is shown.
 * Every subscriber in this process that receives the same event within EVENT_SHARE_MS shares them: a request
 * sent to a thousand manufacturers is loaded once (one batch per relation), not once per subscriber. The hub
 * hands the same message object to every subscription of this process; the state hangs on that object and is
 * dropped EVENT_SHARE_MS after it was loaded, whoever still holds the message. A subscriber that comes to the
 * event later (a client reading slowly, its buffer filling) loads it afresh: it sees the rows as they are
 * then, not as they were when the first subscriber loaded them, and a lagging client cannot keep every
 * event's loaded rows in memory. (Kept five seconds by seq, at 200 estimates a second each server held about
 * 500 states: heap after a full collection 66 MB against 59 MB with states dropped as soon as possible.)
 */
export const EVENT_SHARE_MS = 2000;

type EventState = { em: Context['em']; loaders: Loaders };

/** Per app: the message (one object per event in a process, or per replay) -> what its subscribers share. */
function freshState(states: WeakMap<FeedMessage, EventState>, ctx: Context, message: FeedMessage): EventState {
  let state = states.get(message);
  if (!state) {
    const em = ctx.em.fork();
    state = { em, loaders: createLoaders(em) };
    states.set(message, state);
    setTimeout(() => states.delete(message), EVENT_SHARE_MS).unref();
  }
  ctx.em = state.em;
  ctx.loaders = state.loaders;
  return state;
}

/**
 * Marks an item as loaded in `state`, with `key` naming what in it depends on the subscriber: items with the
 * same state and key hold the same objects, so their results may be shared (src/graphql/shared-execution.ts).
 */
function shareable<T extends object>(item: T, state: EventState, key: string): T {
  const shared: SharedEvent = { scope: state, key };
  Object.defineProperty(item, SHARED_EVENT, { value: shared });
  return item;
}

/** Maps hub messages to feed items, skipping those that load as not visible; return() ends at once. */
function mapFeed<T>(sub: FeedSubscription, load: (message: FeedMessage) => Promise<T | null>): AsyncIterableIterator<T> {
  return {
    async next(): Promise<IteratorResult<T>> {
      for (;;) {
        const result = await sub.next();
        if (result.done) return { value: undefined, done: true };
        const item = await load(result.value);
        if (item) return { value: item, done: false };
      }
    },
    return(): Promise<IteratorResult<T>> {
      sub.close();
      return Promise.resolve({ value: undefined, done: true });
    },
    throw(error?: unknown): Promise<IteratorResult<T>> {
      sub.close();
      return Promise.reject(error);
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  };
}

function requireRole(ctx: Context, role: Role): string {
  if (!ctx.user) throw unauthenticated();
  if (ctx.user.role !== role) throw forbidden(`This feed needs a ${role.toLowerCase()} account.`);
  return ctx.user.id;
}

/** How many missed events a resume may replay; further behind, the client re-queries instead. */
export const MAX_REPLAY = 5000;

export class FeedService {
  private readonly eventStates = new WeakMap<FeedMessage, EventState>();

  constructor(
    private readonly hub: FeedHub,
    private readonly quoting: QuotingService,
    private readonly store: OutboxStore | null,
  ) {}

  async quoteRequestFeed(ctx: Context, after?: string | null): Promise<AsyncIterableIterator<QuoteRequestFeedItem>> {
    const userId = requireRole(ctx, Role.MANUFACTURER);
    const sub = this.hub.open(userId, (m) => m.feed === 'QUOTE_REQUEST');
    await this.resume(sub, after, { userId, feed: 'QUOTE_REQUEST' });
    return mapFeed(sub, async (message) => {
      const state = freshState(this.eventStates, ctx, message);
      const quoteRequest = await this.quoting.findVisibleRequest(ctx, message.requestId);
      if (!quoteRequest) return null;
      const estimate = message.estimateId ? await this.quoting.findVisibleEstimate(ctx, message.estimateId) : null;
      const item: QuoteRequestFeedItem = {
        type: message.type as QuoteRequestFeedType,
        quoteRequest,
        estimate,
        occurredAt: new Date(message.occurredAt),
        cursor: message.seq,
      };
      return shareable(item, state, `${quoteRequest.id}/${estimate?.id ?? ''}`);
    });
  }

  async estimateFeed(ctx: Context, requestId: string, after?: string | null): Promise<AsyncIterableIterator<EstimateFeedItem>> {
    const userId = requireRole(ctx, Role.CONSUMER);
    const request = await this.quoting.findVisibleRequest(ctx, requestId);
    if (!request || request.consumer.id !== userId) {
      throw new GraphQLError('Quote request not found.', { extensions: { code: 'NOT_FOUND' } });
    }
    const sub = this.hub.open(userId, (m) => m.feed === 'ESTIMATE' && m.requestId === request.id);
    await this.resume(sub, after, { userId, feed: 'ESTIMATE', requestId: request.id });
    return mapFeed(sub, async (message) => {
      const state = freshState(this.eventStates, ctx, message);
      // The subscriber is this request's consumer (checked above; a request never changes hands), who sees
      // every estimate on it: one statement reads the estimate with its manufacturer.
      const estimate = message.estimateId ? await ctx.loaders.estimates.load(message.estimateId) : null;
      if (!estimate || estimate.request.id !== request.id) return null;
      const item: EstimateFeedItem = { type: message.type as EstimateFeedType, estimate, occurredAt: new Date(message.occurredAt), cursor: message.seq };
      return shareable(item, state, estimate.id);
    });
  }

  /**
   * With a cursor, replays from the outbox what the caller may see after it, before the live events
   * (the subscription is already open, so nothing that happens during the replay is missed).
   */
  private async resume(sub: FeedSubscription, after: string | null | undefined, filter: ReplayFilter): Promise<void> {
    if (after == null) return;
    try {
      if (!/^\d{1,18}$/.test(after)) {
        throw new GraphQLError('`after` must be a cursor from an earlier event of this feed.', { extensions: { code: 'BAD_USER_INPUT' } });
      }
      if (!this.store) throw new Error('resuming needs the outbox store');
      const cursor = BigInt(after);
      const expired = () =>
        new GraphQLError('This cursor is older than the events kept; re-query the current state, then subscribe without `after`.', {
          extensions: { code: 'CURSOR_EXPIRED' },
        });
      if (cursor < (await this.store.prunedThrough())) throw expired();
      const missed = await this.store.since(cursor, MAX_REPLAY + 1, filter);
      if (missed.length > MAX_REPLAY) throw expired();
      sub.replayFirst(missed);
    } catch (error) {
      sub.close();
      throw error;
    }
  }
}
