// Owns the executable schema: every resolver, one auth checker, the wire scalars, resolvers built once
// with their services (no per-request construction).
import { GraphQLSchema, lexicographicSortSchema, printSchema } from 'graphql';
import { buildSchema, getMetadataStorage, type ResolverData } from 'type-graphql';
import { authChecker } from './auth-checker.js';
import { DateTimeScalar } from './scalars.js';

export type ResolverInstances = object[];

/**
 * A plain `@Field` reads a property: GraphQL's default resolver does that directly, where type-graphql would
 * wrap every such field (an object and a middleware dispatch per field per row). A type takes the shortcut
 * only when neither it nor a class it extends has a field with `@Authorized` or `@UseMiddleware` (read from
 * the decorator metadata: the types' own field lists are filled in only by buildSchema), because the default
 * resolver would skip those checks. Field resolvers (`@FieldResolver`) are unchanged.
 */
export function preferPlainPropertyReads(): void {
  const storage = getMetadataStorage();
  const guarded = new Set<Function>([...storage.authorizedFields, ...storage.middlewares].map((m) => m.target));
  for (const type of storage.objectTypes) {
    if (type.simpleResolvers !== undefined) continue;
    let checked = false;
    for (let target: Function | null = type.target; target && target !== Function.prototype; target = Object.getPrototypeOf(target)) {
      if (guarded.has(target)) checked = true;
    }
    if (!checked) type.simpleResolvers = true;
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
