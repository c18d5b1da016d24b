// Owns a jewelry design as its designer published it. Prices are exact numerics with a currency;
// images and options are small ordered lists kept with the design (no extra query to show them).
import { randomUUID } from 'node:crypto';
import { Entity, Enum, Index, ManyToOne, PrimaryKey, Property, type Rel } from '@mikro-orm/core';
import { Field, ID, Int, ObjectType, registerEnumType } from 'type-graphql';
import { User } from '../accounts/user.entity.js';
import { DesignCategory } from './category.js';
import { TextArrayType } from '../../db/text-array.type.js';
import { Money, MoneyRange } from '../../graphql/money.js';

export enum DesignStatus {
  ACTIVE = 'ACTIVE',
  ARCHIVED = 'ARCHIVED',
}
registerEnumType(DesignStatus, { name: 'DesignStatus' });

@ObjectType({ description: 'A choice the consumer makes when ordering, such as ring size or metal.' })
export class DesignOption {
  @Field()
  name!: string;

  @Field(() => [String])
  values!: string[];
}

@ObjectType()
export class DesignImage {
  @Field()
  url!: string;

  @Field(() => String, { nullable: true })
  altText!: string | null;

  @Field(() => Int, { description: '1-based display order.' })
  position!: number;
}

@Entity({ tableName: 'designs' })
@Index({ name: 'designs_created_at_id_idx', properties: ['createdAt', 'id'] })
@ObjectType({ description: 'A jewelry design a consumer can ask manufacturers to quote.' })
export class Design {
  @Field(() => ID)
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @ManyToOne(() => User, { deleteRule: 'restrict' })
  designer!: Rel<User>;

  @Field()
  @Property({ type: 'text' })
  title!: string;

  @Field()
  @Property({ type: 'text', default: '' })
  description: string = '';

  @Field(() => DesignCategory)
  @Enum({ items: () => DesignCategory })
  category!: DesignCategory;

  @Field(() => [String])
  @Property({ type: TextArrayType, columnType: 'text[]' })
  materials: string[] = [];

  @Field(() => [String])
  @Property({ type: TextArrayType, columnType: 'text[]' })
  gemstones: string[] = [];

  @Field(() => [String])
  @Property({ type: TextArrayType, columnType: 'text[]' })
  tags: string[] = [];

  @Field(() => [DesignOption])
  @Property({ type: 'json' })
  options: DesignOption[] = [];

  @Field(() => [DesignImage], { description: 'In display order.' })
  @Property({ type: 'json' })
  images: DesignImage[] = [];

  /** Lowest and highest reference price; null when the designer gave none. */
  @Property({ type: 'decimal', precision: 18, scale: 4, nullable: true })
  priceMin: string | null = null;

  @Property({ type: 'decimal', precision: 18, scale: 4, nullable: true })
  priceMax: string | null = null;

  @Property({ type: 'string', columnType: 'char(3)', nullable: true })
  currencyCode: string | null = null;

  // The two prices are getters rather than field resolvers: a catalog page shows one per row, and a getter
  // is a plain property read for GraphQL (no resolver call per row).
  @Field(() => Money, { nullable: true, description: 'The lowest reference price ("from").' })
  get referencePrice(): Money | null {
    return this.priceMin && this.currencyCode ? Money.of(this.priceMin, this.currencyCode) : null;
  }

  @Field(() => MoneyRange, { nullable: true, description: 'Lowest and highest reference price across variants.' })
  get priceRange(): MoneyRange | null {
    if (!this.priceMin || !this.priceMax || !this.currencyCode) return null;
    const range = new MoneyRange();
    range.min = Money.of(this.priceMin, this.currencyCode);
    range.max = Money.of(this.priceMax, this.currencyCode);
    return range;
  }

  @Field(() => DesignStatus)
  @Enum({ items: () => DesignStatus, default: DesignStatus.ACTIVE })
  status: DesignStatus = DesignStatus.ACTIVE;

  /** Shopify handle when imported: importing the same handle again updates this design. */
  @Field(() => String, { nullable: true })
  @Property({ type: 'text', nullable: true })
  sourceHandle: string | null = null;

  @Field()
  @Property({ type: 'datetime', columnType: 'timestamptz(3)' })
  createdAt: Date = new Date();

  @Field()
  @Property({ type: 'datetime', columnType: 'timestamptz(3)', onUpdate: () => new Date() })
  updatedAt: Date = new Date();
}
