// Owns reading the outbox back: replay for resumed feeds, catch-up after a missed bus message,
// and pruning after the retention window.
import type { EntityManager } from '@mikro-orm/postgresql';
import { OUTBOX_COLUMNS, toFeedMessage, type FeedMessage } from './outbox.js';
import type { FeedName } from './outbox.entity.js';

export interface ReplayFilter {
  userId: string;
  feed: FeedName;
  requestId?: string;
}

export class OutboxStore {
  constructor(private readonly em: EntityManager) {}

  /** Sequenced events after `seq`, in order; filtered to one subscriber's feed when a filter is given. */
  async since(seq: bigint, limit: number, filter?: ReplayFilter): Promise<FeedMessage[]> {
    const params: unknown[] = [seq.toString()];
    let where = 'seq > ?';
    if (filter) {
      where += ' and audience @> array[?]::uuid[] and feed = ?';
      params.push(filter.userId, filter.feed);
      if (filter.requestId) {
        where += ' and quote_request_id = ?';
        params.push(filter.requestId);
      }
    }
    params.push(limit);
    const rows = await this.em.getConnection().execute(`select ${OUTBOX_COLUMNS} from event_outbox where ${where} order by seq limit ?`, params);
    return (rows as Parameters<typeof toFeedMessage>[0][]).map(toFeedMessage);
  }

  /** The newest sequenced event (0 when there is none). */
  async head(): Promise<bigint> {
    const [row] = await this.em.getConnection().execute<Array<{ seq: string | null }>>('select max(seq)::text as seq from event_outbox');
    return BigInt(row?.seq ?? 0);
  }

  /** Events up to this seq have been pruned: a cursor older than it cannot be resumed. */
  async prunedThrough(): Promise<bigint> {
    const [row] = await this.em.getConnection().execute<Array<{ pruned_through: string }>>('select pruned_through::text from outbox_state where id = 1');
    return BigInt(row?.pruned_through ?? 0);
  }

  /** Deletes published events older than the window; returns how many. */
  async prune(retentionMs: number): Promise<number> {
    const rows = await this.em.getConnection().execute<Array<{ n: number; through: string | null }>>(
      `with gone as (
         delete from event_outbox where published_at is not null and published_at < now() - (? * interval '1 millisecond') returning seq
       ), mark as (
         update outbox_state set pruned_through = greatest(pruned_through, (select coalesce(max(seq), 0) from gone)) where id = 1
       )
       select count(*)::int as n, max(seq)::text as through from gone`,
      [retentionMs],
    );
    return rows[0]?.n ?? 0;
  }
}
