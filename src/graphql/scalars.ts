// Owns the wire scalars: DateTime (UTC ISO-8601) and Decimal (exact decimal strings, never floats).
import { GraphQLError, GraphQLScalarType, Kind } from 'graphql';

const ISO_DATE_TIME =
  /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;

function parseDateTime(value: unknown): Date {
  if (typeof value !== 'string' || !ISO_DATE_TIME.test(value)) {
    throw new GraphQLError(
      'DateTime must be an ISO-8601 string with a time zone, such as "2026-05-01T12:00:00Z"',
      { extensions: { code: 'BAD_USER_INPUT' } },
    );
  }
  // JavaScript rolls "2026-02-31" over to March 3rd; a date that does not exist is refused instead.
  const [y, m, d, hh, mi, ss] = value.split(/[-T:.Z+]/).map(Number);
  const daysInMonth = new Date(Date.UTC(y, m, 0)).getUTCDate();
  const date = new Date(value);
  if (Number.isNaN(date.getTime()) || m < 1 || m > 12 || d < 1 || d > daysInMonth || hh > 23 || mi > 59 || (ss ?? 0) > 59) {
    throw new GraphQLError(`DateTime "${value}" is not a real date`, { extensions: { code: 'BAD_USER_INPUT' } });
  }
  // A time zone offset can push "9999-12-31T23:59" into year 10000, which PostgreSQL cannot read back.
  const year = date.getUTCFullYear();
  if (year < 1000 || year > 9999) {
    throw new GraphQLError(`DateTime "${value}" is outside the years 1000 to 9999 (UTC)`, { extensions: { code: 'BAD_USER_INPUT' } });
  }
  return date;
}

export const DateTimeScalar = new GraphQLScalarType<Date, string>({
  name: 'DateTime',
  description: 'A point in time, as a UTC ISO-8601 string such as "2026-05-01T12:00:00.000Z".',
  serialize(value) {
    const date = value instanceof Date ? value : new Date(value as string);
    if (Number.isNaN(date.getTime())) throw new GraphQLError('DateTime cannot represent an invalid date');
    return date.toISOString();
  },
  parseValue: parseDateTime,
  parseLiteral(ast) {
    if (ast.kind !== Kind.STRING) {
      throw new GraphQLError('DateTime must be a string', { extensions: { code: 'BAD_USER_INPUT' } });
    }
    return parseDateTime(ast.value);
  },
});

export const DECIMAL_PATTERN = /^-?\d{1,15}(\.\d{1,6})?$/;

function parseDecimal(value: unknown): string {
  if (typeof value !== 'string' || !DECIMAL_PATTERN.test(value.trim())) {
    throw new GraphQLError(
      'Decimal must be a string of digits with an optional fraction, such as "1250.00" (numbers are refused to keep money exact)',
      { extensions: { code: 'BAD_USER_INPUT' } },
    );
  }
  return value.trim();
}

export const DecimalScalar = new GraphQLScalarType<string, string>({
  name: 'Decimal',
  description: 'An exact decimal number as a string, such as "1250.00".',
  serialize(value) {
    return String(value);
  },
  parseValue: parseDecimal,
  parseLiteral(ast) {
    if (ast.kind !== Kind.STRING) {
      throw new GraphQLError('Decimal must be a string such as "1250.00"', { extensions: { code: 'BAD_USER_INPUT' } });
    }
    return parseDecimal(ast.value);
  },
});
