/**
 * Money in Tollgate is an integer count of micro-units: 1 currency unit =
 * 1,000,000 micros (EUR 0.012 per minute = 12,000 micros). No float ever holds
 * money; amounts stay far below 2^53 so Lua (doubles) computes them exactly.
 */
import { currencyDigits, isCurrencyCode } from './iso-codes.js';

export type Micros = number;

export const MICROS_PER_UNIT = 1_000_000;
const MICRO_DIGITS = 6;

export class MoneyFormatError extends Error {
  readonly code = 'BAD_MONEY';
}

export { isCurrencyCode };

/**
 * Digits after the decimal point of the currency's minor unit (EUR 2, JPY 0,
 * KWD 3). Every currency that reaches the ledger was checked against ISO 4217;
 * the fallback only keeps formatting total.
 */
export function minorUnitDigits(currency: string): number {
  return currencyDigits(currency) ?? 2;
}

/** Micros in one minor unit of the currency (EUR: 10,000 micros = 1 cent). */
export function microsPerMinorUnit(currency: string): number {
  return 10 ** (MICRO_DIGITS - minorUnitDigits(currency));
}

/** Rounds up (toward +infinity) to a whole minor unit of the currency. */
export function roundUpToMinorUnit(amount: Micros, currency: string): Micros {
  const step = microsPerMinorUnit(currency);
  const rem = ((amount % step) + step) % step;
  return rem === 0 ? amount : amount - rem + step;
}

/**
 * Parses decimal text ("0.0125", "-3", "12.50") into micros. At most six
 * decimals; no exponent, no thousands separators. Throws MoneyFormatError.
 */
export function parseMoney(text: string): Micros {
  const m = /^(-)?(\d{1,12})(?:\.(\d{1,6}))?$/.exec(text.trim());
  if (!m) {
    throw new MoneyFormatError(
      `"${text}" is not a decimal amount (digits with up to 6 decimals, e.g. 0.0125)`,
    );
  }
  const units = Number(m[2]);
  const fraction = Number((m[3] ?? '').padEnd(MICRO_DIGITS, '0'));
  const micros = units * MICROS_PER_UNIT + fraction;
  return m[1] ? -micros : micros;
}

/**
 * Formats micros as decimal text. With a currency, uses its minor-unit digits
 * when the amount is whole in them ("1.50"); otherwise all significant
 * micro digits ("0.0125").
 */
export function formatMoney(amount: Micros, currency?: string): string {
  if (!Number.isSafeInteger(amount)) throw new MoneyFormatError(`${amount} is not an integer amount`);
  const sign = amount < 0 ? '-' : '';
  const abs = Math.abs(amount);
  const units = Math.floor(abs / MICROS_PER_UNIT);
  let fraction = String(abs % MICROS_PER_UNIT).padStart(MICRO_DIGITS, '0').replace(/0+$/, '');
  const minDigits = currency ? minorUnitDigits(currency) : 0;
  if (fraction.length < minDigits) fraction = fraction.padEnd(minDigits, '0');
  return fraction.length > 0 ? `${sign}${units}.${fraction}` : `${sign}${units}`;
}

/**
 * Why an amount is not whole in the currency's minor unit, in the currency's
 * own terms ("0.005 has more decimals than USD's 2"); undefined when it is.
 */
export function minorUnitProblem(amount: Micros, currency: string): string | undefined {
  if (amount % microsPerMinorUnit(currency) === 0) return undefined;
  const digits = minorUnitDigits(currency);
  const unit = digits === 0 ? 'no decimals' : `at most ${digits} decimal${digits === 1 ? '' : 's'}`;
  return `${formatMoney(amount)} is not a whole amount of ${currency}, which has ${unit}`;
}
