/**
 * Parsers for the cells of rate files: money, dates, increments, prefixes,
 * countries. Each throws CellError with a message that says what is expected.
 */
import { currencyCodeProblem } from '../iso-codes.js';
import { parseMoney, type Micros } from '../money.js';
import { MAX_INCREMENT_SECONDS, MAX_RATE_AMOUNT } from './charge.js';
import { countryCodeProblem } from './countries.js';
import type { NumberType } from './types.js';
import { cellText, type ColumnSpec, type CsvRow, type CsvTable } from './csv-table.js';
import type { ProblemList } from './rate-errors.js';

export class CellError extends Error {}

const NUMBER_TYPES: readonly NumberType[] = ['landline', 'mobile', 'toll-free', 'premium'];

export function prefixCell(text: string): string {
  const digits = text.startsWith('+') ? text.slice(1) : text;
  if (!/^[1-9]\d{0,14}$/.test(digits)) {
    throw new CellError(`"${text}" is not a dialing prefix (1 to 15 digits, no leading 0, e.g. 4420)`);
  }
  return digits;
}

export function countryCell(text: string): string {
  const problem = countryCodeProblem(text);
  if (problem) throw new CellError(problem);
  return text;
}

export function currencyCell(text: string): string {
  const problem = currencyCodeProblem(text);
  if (problem) throw new CellError(problem);
  return text;
}

export function numberTypeCell(text: string): NumberType {
  const t = text.toLowerCase() as NumberType;
  if (!NUMBER_TYPES.includes(t)) throw new CellError(`"${text}" is not a number type (${NUMBER_TYPES.join(', ')})`);
  return t;
}

/** A required price: a non-negative amount within the bound that keeps charge arithmetic exact. */
export function priceCell(text: string): Micros {
  return amountCell(text);
}

/** An optional fee: as priceCell, "" means 0. */
export function feeCell(text: string): Micros {
  return amountCell(text, 0);
}

function amountCell(text: string, empty?: Micros): Micros {
  if (text === '' && empty !== undefined) return empty;
  let micros: Micros;
  try {
    micros = parseMoney(text);
  } catch {
    throw new CellError(`"${text}" is not a decimal amount (digits, a dot and up to 6 decimals, e.g. 0.0125)`);
  }
  if (micros < 0) throw new CellError(`"${text}" is negative`);
  if (micros > MAX_RATE_AMOUNT) throw new CellError(`"${text}" is above the largest allowed amount, ${MAX_RATE_AMOUNT / 1_000_000}`);
  return micros;
}

/** Whole seconds 1..3600; "" means 60 (per started minute). */
export function incrementCell(text: string): number {
  if (text === '') return 60;
  if (!/^\d{1,4}$/.test(text) || Number(text) < 1 || Number(text) > MAX_INCREMENT_SECONDS) {
    throw new CellError(`"${text}" is not a billing increment (whole seconds from 1 to ${MAX_INCREMENT_SECONDS})`);
  }
  return Number(text);
}

export function booleanCell(text: string): boolean {
  const t = text.toLowerCase();
  if (t === '' || t === 'false') return false;
  if (t === 'true') return true;
  throw new CellError(`"${text}" is not true or false`);
}

const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3}))?)?(Z|[+-]\d{2}:\d{2})?)?$/;

/**
 * UTC ms from an ISO 8601 date ("2025-07-01", midnight UTC) or date-time
 * ("2025-07-01T06:00:00Z"; no offset means UTC). "" means always in effect (0).
 */
export function dateCell(text: string): number {
  if (text === '') return 0;
  const m = DATE_RE.exec(text);
  const bad = () => new CellError(`"${text}" is not an ISO date or date-time in UTC (e.g. 2025-07-01 or 2025-07-01T06:00:00Z)`);
  if (!m) throw bad();
  const [y, mo, d, h, mi, s] = [m[1], m[2], m[3], m[4], m[5], m[6]].map((v) => Number(v ?? 0)) as [number, number, number, number, number, number];
  const ms = Number((m[7] ?? '').padEnd(3, '0'));
  const utc = Date.UTC(y, mo - 1, d, h, mi, s, ms);
  const back = new Date(utc);
  if (back.getUTCFullYear() !== y || back.getUTCMonth() !== mo - 1 || back.getUTCDate() !== d || h > 23 || mi > 59 || s > 59) {
    throw bad();
  }
  const zone = m[8];
  if (zone === undefined || zone === 'Z') return utc;
  const sign = zone.startsWith('-') ? -1 : 1;
  const offMin = Number(zone.slice(1, 3)) * 60 + Number(zone.slice(4, 6));
  return utc - sign * offMin * 60_000;
}

/**
 * Reads the cells of one table: a CellError becomes a file:line:column problem
 * and the result undefined. Results of pure parsers are memoized by cell text,
 * since big tables repeat the same dates and amounts on most rows; the text
 * last seen in a column is checked first, which costs no hashing.
 */
export class CellReader {
  private readonly readers = new Map<string, { parse: (text: string) => unknown; memoize: boolean; read: (row: CsvRow) => unknown }>();

  constructor(
    private readonly table: CsvTable,
    private readonly problems: ProblemList,
  ) {}

  read<T>(row: CsvRow, column: string, parse: (text: string) => T, memoize = false): T | undefined {
    let reader = this.readers.get(column);
    if (!reader || reader.parse !== parse || reader.memoize !== memoize) {
      reader = { parse, memoize, read: this.column(column, parse, memoize) };
      this.readers.set(column, reader);
    }
    return reader.read(row) as T | undefined;
  }

  /** A reader of one column of every row: as read(), with the column found once. */
  column<T>(column: string, parse: (text: string) => T, memoize = false): (row: CsvRow) => T | undefined {
    const position = this.table.column(column);
    const problems = this.problems;
    const memo = memoize ? new Map<string, T>() : undefined;
    let lastText: string | undefined;
    let lastValue: T | undefined;
    return (row) => {
      const text = cellText(row, position);
      if (memo) {
        if (text === lastText) return lastValue;
        const known = memo.get(text);
        if (known !== undefined) {
          lastText = text;
          lastValue = known;
          return known;
        }
      }
      try {
        const value = parse(text);
        if (memo && value !== undefined) {
          memo.set(text, value);
          lastText = text;
          lastValue = value;
        }
        return value;
      } catch (err) {
        if (!(err instanceof CellError)) throw err;
        problems.add(row.line, column, err.message);
        return undefined;
      }
    };
  }
}

export function requiredText(text: string): string {
  if (text === '') throw new CellError('is empty');
  return text;
}

/** Price columns shared by outbound.csv and toll-free.csv, in file order. */
export const PRICE_COLUMNS: readonly ColumnSpec[] = [
  { name: 'currency', required: true },
  { name: 'price_per_minute', required: true },
  { name: 'connection_fee', required: false },
  { name: 'initial_increment', required: false },
  { name: 'subsequent_increment', required: false },
  { name: 'effective_from', required: true },
];

export interface PriceCells {
  currency: string;
  pricePerMinute: Micros;
  connectFee: Micros;
  initialIncrement: number;
  subsequentIncrement: number;
  effectiveFrom: number;
}

/** A reader of the price columns of a row; undefined when any of them was reported as a problem. */
export function priceCellsReader(cells: CellReader): (row: CsvRow) => PriceCells | undefined {
  const currencyOf = cells.column('currency', currencyCell, true);
  const pricePerMinuteOf = cells.column('price_per_minute', priceCell, true);
  const connectFeeOf = cells.column('connection_fee', feeCell, true);
  const initialIncrementOf = cells.column('initial_increment', incrementCell, true);
  const subsequentIncrementOf = cells.column('subsequent_increment', incrementCell, true);
  const effectiveFromOf = cells.column('effective_from', dateCell, true);
  return (row) => {
    const currency = currencyOf(row);
    const pricePerMinute = pricePerMinuteOf(row);
    const connectFee = connectFeeOf(row);
    const initialIncrement = initialIncrementOf(row);
    const subsequentIncrement = subsequentIncrementOf(row);
    const effectiveFrom = effectiveFromOf(row);
    if (
      currency === undefined || pricePerMinute === undefined || connectFee === undefined ||
      initialIncrement === undefined || subsequentIncrement === undefined || effectiveFrom === undefined
    ) {
      return undefined;
    }
    return { currency, pricePerMinute, connectFee, initialIncrement, subsequentIncrement, effectiveFrom };
  };
}
