import { describe, expect, it } from 'vitest';
import { DateTimeScalar, DecimalScalar } from '../src/graphql/scalars.js';

describe('DateTime', () => {
  it('reads ISO-8601 with a zone and answers UTC', () => {
    const date = DateTimeScalar.parseValue('2026-05-01T14:00:00+02:00') as Date;
    expect(DateTimeScalar.serialize(date)).toBe('2026-05-01T12:00:00.000Z');
  });

  it('refuses a time without a zone, a non-date and a year PostgreSQL cannot store', () => {
    expect(() => DateTimeScalar.parseValue('2026-05-01T12:00:00')).toThrow(/time zone/);
    expect(() => DateTimeScalar.parseValue('2026-02-31T12:00:00Z')).toThrow();
    // -23:59 pushes the last minute of 9999 into the year 10000 (UTC).
    expect(() => DateTimeScalar.parseValue('9999-12-31T23:59:59-23:59')).toThrow(/years 1000 to 9999/);
  });
});

describe('Decimal', () => {
  it('keeps decimal strings exact and refuses numbers', () => {
    expect(DecimalScalar.parseValue('25000000.00')).toBe('25000000.00');
    expect(() => DecimalScalar.parseValue(12.5)).toThrow(/numbers are refused/);
    expect(() => DecimalScalar.parseValue('1e5')).toThrow();
  });
});
