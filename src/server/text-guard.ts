// PostgreSQL text cannot hold NUL (U+0000). Refuse it once per operation, in the query or its variables,
// before anything runs, instead of letting the database fail deep inside with an internal error.
import { GraphQLError } from 'graphql';

export function containsNul(query: string | undefined, variables: unknown): boolean {
  if (query && (query.includes('\u0000') || /\\u0000/i.test(query))) return true;
  return variables != null && JSON.stringify(variables).includes('\\u0000');
}

export const nulRefused = () =>
  new GraphQLError('Text cannot contain the NUL character (U+0000).', { extensions: { code: 'BAD_USER_INPUT', http: { status: 400 } } });
