// Owns what an error looks like on the wire: known client errors pass, everything else is masked
// ("Internal server error") and logged with its stack, never sent.
import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import { unwrapResolverError } from '@apollo/server/errors';
import type { Logger } from 'pino';

const CLIENT_CODES = new Set([
  'UNAUTHENTICATED',
  'FORBIDDEN',
  'BAD_USER_INPUT',
  'BAD_REQUEST',
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  'PERSISTED_QUERY_NOT_FOUND',
  'PERSISTED_QUERY_NOT_SUPPORTED',
  'OPERATION_RESOLUTION_FAILURE',
  'RATE_LIMITED',
  'TOO_COMPLEX',
  'NOT_FOUND',
  'CURSOR_EXPIRED',
]);

/**
 * graphql-js's own words for an argument the client gave wrongly through a variable (an explicit null for a
 * non-null argument with a default, a value that does not coerce): found while running, so they come
 * without a code, but they are the client's mistake, not the server's.
 */
const ARGUMENT_PROBLEM = /^Argument "[^"]+" (?:of non-null type "[^"]+" must not be null|has invalid value)/;

/** graphql-js's "Did you mean ...?" hints: field, argument, type and enum value names. */
const SUGGESTION = /\s*Did you mean [^?]*\?/g;

/**
 * `hideSuggestions` (production): with introspection off, "Did you mean" would still spell out the schema.
 * Apollo's own switch only covers validation errors; this also covers variables ("Did you mean the enum
 * value ...?") and WebSocket operations.
 */
const GONE_CODES = new Set(['ERR_STREAM_DESTROYED', 'ERR_STREAM_WRITE_AFTER_END', 'EPIPE', 'ECONNRESET']);

/** A write to a socket the client has already closed (graphql-ws sending a subscription's next result). */
function clientWentAway(error: unknown): boolean {
  for (let e = error, depth = 0; e instanceof Error && depth < 3; e = (e as { originalError?: unknown; cause?: unknown }).originalError ?? (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && GONE_CODES.has(code)) return true;
  }
  return false;
}

export function errorFormatter(logger: Logger, options: { hideSuggestions?: boolean } = {}) {
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const code = formatted.extensions?.code;
    if (typeof code === 'string' && CLIENT_CODES.has(code)) {
      // `http` is Apollo's instruction for the status code; it has no place in a WebSocket message.
      const { stacktrace: _stack, http: _http, ...extensions } = formatted.extensions ?? {};
      const message = options.hideSuggestions ? formatted.message.replace(SUGGESTION, '') : formatted.message;
      return { ...formatted, message, extensions };
    }
    const original = unwrapResolverError(error);
    if (original instanceof GraphQLError && !original.originalError && ARGUMENT_PROBLEM.test(original.message)) {
      const message = options.hideSuggestions ? formatted.message.replace(SUGGESTION, '') : formatted.message;
      return { message, path: formatted.path, locations: formatted.locations, extensions: { code: 'BAD_USER_INPUT' } };
    }
    if (clientWentAway(original)) {
      // A subscriber's socket closed while its result was being written: the client left, nothing failed.
      logger.info({ reason: (original as Error).message, path: formatted.path }, 'client went away while being written to');
    } else {
      logger.error({ err: original, path: formatted.path }, 'unexpected error in a GraphQL operation');
    }
    return {
      message: 'Internal server error',
      path: formatted.path,
      locations: formatted.locations,
      extensions: { code: 'INTERNAL_SERVER_ERROR' },
    };
  };
}
