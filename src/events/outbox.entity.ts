// Owns the transactional outbox: every domain event is a row written in the same transaction as the
// change it describes. `seq` is given by the relay when it publishes, in commit order; it is the
// cursor clients resume from.
import { Entity, PrimaryKey, Property } from '@mikro-orm/core';

export type FeedName = 'QUOTE_REQUEST' | 'ESTIMATE';

@Entity({ tableName: 'event_outbox' })
export class OutboxEvent {
  @PrimaryKey({ type: 'bigint', autoincrement: true })
  id!: string;

  @Property({ type: 'bigint', nullable: true, unique: 'event_outbox_seq_unique' })
  seq: string | null = null;

  @Property({ type: 'text' })
  feed!: FeedName;

  @Property({ type: 'text' })
  type!: string;

  /** The users this event is for. */
  @Property({ type: 'uuid[]' })
  audience!: string[];

  @Property({ type: 'uuid' })
  quoteRequestId!: string;

  @Property({ type: 'uuid', nullable: true })
  estimateId: string | null = null;

  @Property({ type: 'datetime', columnType: 'timestamptz(3)' })
  occurredAt: Date = new Date();

  @Property({ type: 'datetime', columnType: 'timestamptz(3)', nullable: true })
  publishedAt: Date | null = null;
}
