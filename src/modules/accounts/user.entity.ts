// Owns the account record. The e-mail is never exposed through this class's fields: the resolver
// guards it (owner, or the other party of a match).
import { randomUUID } from 'node:crypto';
import { Embeddable, Embedded, Entity, Enum, PrimaryKey, Property } from '@mikro-orm/core';
import { Field, ID, ObjectType } from 'type-graphql';
import { DesignCategory } from '../designs/category.js';
import { Role } from './role.js';
import { TextArrayType } from '../../db/text-array.type.js';

@Embeddable()
@ObjectType({ description: "A manufacturer's public profile: what it makes and where." })
export class ManufacturerProfile {
  @Field(() => [DesignCategory])
  @Property({ type: TextArrayType, columnType: 'text[]' })
  categories: DesignCategory[] = [];

  @Field(() => [String])
  @Property({ type: TextArrayType, columnType: 'text[]' })
  materials: string[] = [];

  @Field(() => String, { nullable: true })
  @Property({ type: 'text', nullable: true })
  region: string | null = null;

  @Field(() => String, { nullable: true })
  @Property({ type: 'text', nullable: true })
  bio: string | null = null;
}

@Entity({ tableName: 'users' })
@ObjectType({ description: 'An account: designer, consumer or manufacturer.' })
export class User {
  @Field(() => ID)
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  /** As the user typed it; uniqueness is on `emailLower`. */
  @Property({ type: 'text' })
  email!: string;

  @Property({ type: 'text', unique: 'users_email_lower_unique' })
  emailLower!: string;

  @Property({ type: 'text', hidden: true, lazy: true })
  passwordHash!: string;

  @Field()
  @Property({ type: 'text' })
  displayName!: string;

  @Field(() => Role)
  @Enum({ items: () => Role })
  role!: Role;

  @Embedded({ entity: () => ManufacturerProfile, nullable: true, prefix: 'profile_' })
  manufacturerProfile: ManufacturerProfile | null = null;

  @Field()
  @Property({ type: 'datetime', columnType: 'timestamptz(3)' })
  createdAt: Date = new Date();
}
