// Owns a manufacturer's estimate for a request (each revision is a new version) and the match that an
// accepted estimate makes. One match per request is a database constraint, not only a code check.
import { randomUUID } from 'node:crypto';
import { Entity, Enum, ManyToOne, OneToOne, PrimaryKey, Property, Unique, type Rel } from '@mikro-orm/core';
import { Field, ID, Int, ObjectType } from 'type-graphql';
import { User } from '../accounts/user.entity.js';
import { QuoteRequest } from './quote-request.entity.js';
import { EstimateStatus } from './states.js';

export interface StoredLineItem {
  label: string;
  amount: string;
}

@Entity({ tableName: 'estimates' })
@Unique({ name: 'estimates_request_manufacturer_version_unique', properties: ['request', 'manufacturer', 'version'] })
@ObjectType({ description: "A manufacturer's price and lead time for a quote request. Sealed: other manufacturers never see it." })
export class Estimate {
  @Field(() => ID)
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @ManyToOne(() => QuoteRequest, { deleteRule: 'cascade' })
  request!: Rel<QuoteRequest>;

  @ManyToOne(() => User, { deleteRule: 'restrict' })
  manufacturer!: Rel<User>;

  @Field(() => Int, { description: '1 for the first estimate; each revision adds one.' })
  @Property({ type: 'integer' })
  version!: number;

  @Field(() => EstimateStatus)
  @Enum({ items: () => EstimateStatus })
  status: EstimateStatus = EstimateStatus.ACTIVE;

  @Property({ type: 'decimal', precision: 18, scale: 4 })
  amount!: string;

  @Property({ type: 'string', columnType: 'char(3)' })
  currencyCode!: string;

  @Property({ type: 'json' })
  lineItems: StoredLineItem[] = [];

  @Field(() => Int)
  @Property({ type: 'integer' })
  leadTimeDays!: number;

  @Field(() => Date)
  @Property({ type: 'datetime', columnType: 'timestamptz(3)' })
  validUntil!: Date;

  @Field(() => String, { nullable: true })
  @Property({ type: 'text', nullable: true })
  note: string | null = null;

  @Field()
  @Property({ type: 'datetime', columnType: 'timestamptz(3)' })
  createdAt: Date = new Date();

  @Field()
  @Property({ type: 'datetime', columnType: 'timestamptz(3)', onUpdate: () => new Date() })
  updatedAt: Date = new Date();
}

@Entity({ tableName: 'matches' })
@ObjectType({ description: 'A consumer and a manufacturer brought together by an accepted estimate.' })
export class Match {
  @Field(() => ID)
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @OneToOne(() => QuoteRequest, { owner: true, unique: 'matches_request_unique', deleteRule: 'cascade' })
  request!: Rel<QuoteRequest>;

  @OneToOne(() => Estimate, { owner: true, unique: 'matches_estimate_unique', deleteRule: 'restrict' })
  estimate!: Rel<Estimate>;

  @ManyToOne(() => User, { deleteRule: 'restrict' })
  consumer!: Rel<User>;

  @ManyToOne(() => User, { deleteRule: 'restrict' })
  manufacturer!: Rel<User>;

  @Field()
  @Property({ type: 'datetime', columnType: 'timestamptz(3)' })
  createdAt: Date = new Date();
}
