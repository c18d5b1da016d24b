// Plain fields are resolved by GraphQL's default resolver (src/graphql/schema.ts), except on types with a
// field-level @Authorized or middleware: those checks must still run.
import { graphql } from 'graphql';
import { Authorized, Field, ObjectType, Query, Resolver } from 'type-graphql';
import { expect, it } from 'vitest';
import { buildAppSchema } from '../src/graphql/schema.js';

@ObjectType()
class Vault {
  @Field()
  label!: string;

  @Authorized('DESIGNER')
  @Field()
  secret!: string;
}

@ObjectType()
class SubVault extends Vault {
  @Field()
  extra!: string;
}

@ObjectType()
class Open {
  @Field()
  label!: string;
}

@Resolver()
class VaultResolver {
  @Query(() => Vault)
  vault(): Vault {
    return { label: 'v', secret: 'only-for-designers' };
  }

  @Query(() => SubVault)
  subVault(): SubVault {
    return { label: 's', secret: 'only-for-designers', extra: 'x' };
  }

  @Query(() => Open)
  open(): Open {
    return { label: 'o' };
  }
}

it('keeps field-level @Authorized on a type and on the types that extend it', async () => {
  const schema = await buildAppSchema([new VaultResolver()]);
  const run = (source: string, user: { id: string; role: string } | null) => graphql({ schema, source, contextValue: { user } });

  for (const field of ['vault', 'subVault']) {
    const anonymous = await run(`{ ${field} { label secret } }`, null);
    expect(anonymous.errors?.[0].extensions?.code, field).toBe('UNAUTHENTICATED');
    const consumer = await run(`{ ${field} { secret } }`, { id: 'c', role: 'CONSUMER' });
    expect(consumer.errors?.[0].extensions?.code, field).toBe('FORBIDDEN');
    const designer = await run(`{ ${field} { secret } }`, { id: 'd', role: 'DESIGNER' });
    expect(designer.errors, field).toBeUndefined();
    expect(designer.data).toEqual({ [field]: { secret: 'only-for-designers' } });
  }
  // A type without guarded fields takes the shortcut: no type-graphql resolver on its plain fields.
  expect(schema.getType('Open')).toBeDefined();
  expect((schema.getType('Open') as import('graphql').GraphQLObjectType).getFields().label.resolve).toBeUndefined();
  expect((schema.getType('Vault') as import('graphql').GraphQLObjectType).getFields().label.resolve).toBeDefined();
});
