// Owns money on the wire and its exact arithmetic: amounts are decimal strings with an ISO 4217 code,
// normalised to the currency's minor units. Floats never touch an amount.
import { Decimal } from 'decimal.js';
import { Field, InputType, ObjectType } from 'type-graphql';
import { DecimalScalar } from './scalars.js';

const KNOWN_CURRENCIES = new Set(Intl.supportedValuesOf('currency'));

export function isCurrencyCode(code: string): boolean {
  return /^[A-Z]{3}$/.test(code) && KNOWN_CURRENCIES.has(code);
}

const DIGITS = new Map<string, number>();

/** Number of minor-unit digits of a currency (USD 2, JPY 0, BHD 3); cached, every Money on the wire asks. */
export function currencyDigits(code: string): number {
  let digits = DIGITS.get(code);
  if (digits === undefined) {
    digits = new Intl.NumberFormat('en', { style: 'currency', currency: code }).resolvedOptions().maximumFractionDigits ?? 2;
    DIGITS.set(code, digits);
  }
  return digits;
}

export type AmountCheck = { ok: true; amount: string } | { ok: false; message: string };

/**
 * Normalises an amount to the currency's minor units ("42.5" USD -> "42.50").
 * Refuses amounts with more precision than the currency has, rather than rounding money silently.
 */
export function normalizeAmount(raw: string, currencyCode: string): AmountCheck {
  if (!isCurrencyCode(currencyCode)) {
    return { ok: false, message: `"${currencyCode}" is not an ISO 4217 currency code` };
  }
  let value: Decimal;
  try {
    value = new Decimal(raw.trim());
  } catch {
    return { ok: false, message: `"${raw}" is not a decimal amount` };
  }
  if (!value.isFinite()) return { ok: false, message: `"${raw}" is not a decimal amount` };
  const digits = currencyDigits(currencyCode);
  if (value.decimalPlaces() > digits) {
    return { ok: false, message: `${currencyCode} amounts have at most ${digits} decimal places (got "${raw}")` };
  }
  if (value.abs().greaterThanOrEqualTo('1e14')) {
    return { ok: false, message: `"${raw}" is too large` };
  }
  return { ok: true, amount: value.toFixed(digits) };
}

/** PostgreSQL's text for a numeric: no exponent, no leading zeros. Negative zero is left to Decimal ("0.00"). */
const PLAIN_DECIMAL = /^-?(?:0|[1-9]\d*)(?:\.\d+)?$/;
const NEGATIVE_ZERO = /^-0(?:\.0*)?$/;

/**
 * Formats a stored numeric (string from PostgreSQL, such as "1250.0000") to the currency's minor units
 * ("1250.00"), exactly as Decimal's toFixed would. Every Money on the wire passes here, so the usual case is
 * done on the digits: padding with zeros, or dropping trailing zeros. Digits that need rounding (half up),
 * and any other notation, go through Decimal.
 */
export function formatAmount(stored: string, currencyCode: string): string {
  const digits = currencyDigits(currencyCode);
  if (PLAIN_DECIMAL.test(stored) && !NEGATIVE_ZERO.test(stored)) {
    const dot = stored.indexOf('.');
    if (dot === -1) return digits > 0 ? `${stored}.${'0'.repeat(digits)}` : stored;
    const fraction = stored.length - dot - 1;
    if (fraction <= digits) return stored + '0'.repeat(digits - fraction);
    let dropped = dot + 1 + digits;
    while (dropped < stored.length && stored.charCodeAt(dropped) === 48 /* 0 */) dropped++;
    if (dropped === stored.length) return stored.slice(0, digits > 0 ? dot + 1 + digits : dot);
  }
  return new Decimal(stored).toFixed(digits);
}

export function sumAmounts(amounts: string[]): Decimal {
  return amounts.reduce((acc, a) => acc.plus(a), new Decimal(0));
}

export function compareAmounts(a: string, b: string): number {
  return new Decimal(a).comparedTo(b);
}

@ObjectType({ description: 'An exact amount of money.' })
export class Money {
  @Field(() => DecimalScalar, { description: 'Decimal string in the currency\'s minor units, such as "1250.00".' })
  amount!: string;

  @Field({ description: 'ISO 4217 currency code, such as "USD".' })
  currencyCode!: string;

  static of(stored: string, currencyCode: string): Money {
    const money = new Money();
    money.amount = formatAmount(stored, currencyCode);
    money.currencyCode = currencyCode;
    return money;
  }
}

@ObjectType({ description: 'The lowest and highest of a set of prices (variants can differ).' })
export class MoneyRange {
  @Field(() => Money)
  min!: Money;

  @Field(() => Money)
  max!: Money;
}

@InputType()
export class MoneyInput {
  @Field(() => DecimalScalar)
  amount!: string;

  @Field()
  currencyCode!: string;
}
