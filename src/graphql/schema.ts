// Owns the executable schema: every resolver, one auth checker, the wire scalars, resolvers built once
// with their services (no per-request construction).
import { GraphQLSchema, lexicographicSortSchema, printSchema } from 'graphql';
import { buildSchema, getMetadataStorage, type ResolverData } from 'type-graphql';
import { authChecker } from './auth-checker.js';
import { DateTimeScalar } from './scalars.js';

export type ResolverInstances = object[];

/**
 * A plain `@Field` reads a property: GraphQL's default resolver does that directly, where type-graphql would
 * wrap every such field (an object and a middleware dispatch per field per row). Only types whose fields carry
 * no middleware or `@Authorized` take the shortcut; field resolvers (`@FieldResolver`) are unchanged.
 */
function preferPlainPropertyReads(): void {
  for (const type of getMetadataStorage().objectTypes) {
    if (type.simpleResolvers !== undefined) continue;
    const guarded = (type.fields ?? []).some((field) => (field.roles && field.roles.length > 0) || (field.middlewares && field.middlewares.length > 0));
    if (!guarded) type.simpleResolvers = true;
  }
}

export async function buildAppSchema(resolvers: ResolverInstances): Promise<GraphQLSchema> {
  preferPlainPropertyReads();
  const byClass = new Map<Function, object>(resolvers.map((r) => [r.constructor, r]));
  return buildSchema({
    resolvers: resolvers.map((r) => r.constructor) as [Function, ...Function[]],
    container: {
      get: (cls: Function, _data: ResolverData<object>) => {
        const instance = byClass.get(cls);
        if (!instance) throw new Error(`No instance registered for resolver ${cls.name}`);
        return instance;
      },
    },
    authChecker,
    // Every subscription has its own `subscribe` (events/feed-hub.ts); type-graphql still insists on a
    // pubSub object, so it gets one that refuses to be used.
    pubSub: {
      publish: () => {
        throw new Error('type-graphql pubSub is not used: publish through the outbox');
      },
      subscribe: () => {
        throw new Error('type-graphql pubSub is not used: subscriptions have their own subscribe');
      },
    },
    scalarsMap: [{ type: Date, scalar: DateTimeScalar }],
    validate: false,
    emitSchemaFile: false,
  });
}

/** The committed artefact: sorted so that a diff shows real changes only. */
export function printSchemaFile(schema: GraphQLSchema): string {
  return `${printSchema(lexicographicSortSchema(schema))}\n`;
}
