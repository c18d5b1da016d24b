// Owns a consumer's request for quotes, its items (each with a snapshot of the design as it was)
// and its recipients (the manufacturers it was sent to, each with its own answer state).
import { randomUUID } from 'node:crypto';
import { Entity, Enum, ManyToOne, PrimaryKey, Property, Unique, type Rel } from '@mikro-orm/core';
import { Field, ID, Int, ObjectType } from 'type-graphql';
import { User } from '../accounts/user.entity.js';
import { Design } from '../designs/design.entity.js';
import { DesignCategory } from '../designs/category.js';
import { TextArrayType } from '../../db/text-array.type.js';
import { QuoteRequestStatus, RecipientStatus } from './states.js';

@ObjectType()
export class SelectedOption {
  @Field()
  name!: string;

  @Field()
  value!: string;
}

@Entity({ tableName: 'quote_requests' })
@ObjectType({ description: 'A consumer asking manufacturers to quote one or more designs.' })
export class QuoteRequest {
  @Field(() => ID)
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @ManyToOne(() => User, { deleteRule: 'restrict' })
  consumer!: Rel<User>;

  @Field(() => QuoteRequestStatus)
  @Enum({ items: () => QuoteRequestStatus })
  status: QuoteRequestStatus = QuoteRequestStatus.OPEN;

  @Field(() => String, { nullable: true })
  @Property({ type: 'text', nullable: true })
  note: string | null = null;

  @Property({ type: 'decimal', precision: 18, scale: 4, nullable: true })
  budgetAmount: string | null = null;

  @Property({ type: 'string', columnType: 'char(3)', nullable: true })
  budgetCurrency: string | null = null;

  @Field(() => Date, { nullable: true, description: 'When the consumer wants the piece.' })
  @Property({ type: 'datetime', columnType: 'timestamptz(3)', nullable: true })
  neededBy: Date | null = null;

  @Field(() => Date, { description: 'An OPEN request becomes EXPIRED at this time.' })
  @Property({ type: 'datetime', columnType: 'timestamptz(3)' })
  expiresAt!: Date;

  @Field(() => Date, { nullable: true, description: 'When it left OPEN.' })
  @Property({ type: 'datetime', columnType: 'timestamptz(3)', nullable: true })
  closedAt: Date | null = null;

  @Field()
  @Property({ type: 'datetime', columnType: 'timestamptz(3)' })
  createdAt: Date = new Date();

  @Field()
  @Property({ type: 'datetime', columnType: 'timestamptz(3)', onUpdate: () => new Date() })
  updatedAt: Date = new Date();
}

@Entity({ tableName: 'quote_request_items' })
@ObjectType({ description: 'One design in a quote request, with the quantity and options the consumer chose.' })
export class QuoteRequestItem {
  @Field(() => ID)
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @ManyToOne(() => QuoteRequest, { deleteRule: 'cascade' })
  request!: Rel<QuoteRequest>;

  @Property({ type: 'integer' })
  position!: number;

  @ManyToOne(() => Design, { deleteRule: 'restrict' })
  design!: Rel<Design>;

  @Field(() => Int)
  @Property({ type: 'integer' })
  quantity!: number;

  @Field(() => [SelectedOption])
  @Property({ type: 'json' })
  options: SelectedOption[] = [];

  @Field(() => String, { nullable: true })
  @Property({ type: 'text', nullable: true })
  note: string | null = null;

  // Snapshot of the design when the request was made: later edits by the designer do not change it.
  @Property({ type: 'text' })
  designTitle!: string;

  @Enum({ items: () => DesignCategory })
  designCategory!: DesignCategory;

  @Property({ type: TextArrayType, columnType: 'text[]' })
  designMaterials: string[] = [];

  @Property({ type: TextArrayType, columnType: 'text[]' })
  designGemstones: string[] = [];

  @Property({ type: 'text', nullable: true })
  designImageUrl: string | null = null;
}

@Entity({ tableName: 'quote_recipients' })
@Unique({ name: 'quote_recipients_request_manufacturer_unique', properties: ['request', 'manufacturer'] })
@ObjectType({ description: 'A manufacturer a request was sent to, and how it answered.' })
export class QuoteRecipient {
  @Field(() => ID)
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @ManyToOne(() => QuoteRequest, { deleteRule: 'cascade' })
  request!: Rel<QuoteRequest>;

  @ManyToOne(() => User, { deleteRule: 'restrict' })
  manufacturer!: Rel<User>;

  @Field(() => RecipientStatus)
  @Enum({ items: () => RecipientStatus })
  status: RecipientStatus = RecipientStatus.PENDING;

  @Field(() => String, { nullable: true })
  @Property({ type: 'text', nullable: true })
  declineReason: string | null = null;

  @Field(() => Date, { nullable: true })
  @Property({ type: 'datetime', columnType: 'timestamptz(3)', nullable: true })
  respondedAt: Date | null = null;

  @Property({ type: 'datetime', columnType: 'timestamptz(3)' })
  createdAt: Date = new Date();
}
