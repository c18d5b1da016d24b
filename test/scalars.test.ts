import { Decimal } from 'decimal.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { currencyDigits, formatAmount } from '../src/graphql/money.js';
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

describe('Money amounts on the wire', () => {
  it('format stored numerics to the currency minor units exactly as Decimal does', () => {
    expect(formatAmount('1250.0000', 'USD')).toBe('1250.00');
    expect(formatAmount('1250.0000', 'JPY')).toBe('1250');
    expect(formatAmount('0.5000', 'BHD')).toBe('0.500');
    expect(formatAmount('42', 'EUR')).toBe('42.00');
    expect(formatAmount('-0.0000', 'USD')).toBe('0.00');
    // Digits beyond the currency's are rounded half up, as Decimal does.
    expect(formatAmount('12.3450', 'USD')).toBe('12.35');
    const numeric = fc
      .tuple(fc.boolean(), fc.bigInt({ min: 0n, max: 10n ** 14n }), fc.option(fc.stringMatching(/^[0-9]{1,4}$/), { nil: undefined }))
      .map(([negative, whole, fraction]) => `${negative ? '-' : ''}${whole}${fraction === undefined ? '' : `.${fraction}`}`);
    fc.assert(
      fc.property(numeric, fc.constantFrom('USD', 'JPY', 'BHD', 'EUR', 'CLF'), (stored, code) => {
        expect(formatAmount(stored, code)).toBe(new Decimal(stored).toFixed(currencyDigits(code)));
      }),
      { numRuns: 5000 },
    );
  });
});
