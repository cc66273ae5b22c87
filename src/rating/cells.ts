/**
 * Parsers for the cells of rate files: money, dates, increments, prefixes,
 * countries. Each throws CellError with a message that says what is expected.
 */
import { currencyCodeProblem } from '../iso-codes.js';
import { MICROS_PER_UNIT, parseMoney, type Micros } from '../money.js';
import { MAX_INCREMENT_SECONDS, MAX_RATE_AMOUNT } from './charge.js';
import { countryCodeProblem } from './countries.js';
import type { NumberType } from './types.js';
import type { ColumnSpec, CsvRow, CsvTable } from './csv-table.js';
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
 * Reads a cell in place, with no string cut, when its text is in the plain
 * form a parser accepts most often; undefined for any other text, which the
 * parser then reads (and words the problem of). Must give what the parser
 * gives wherever it gives anything.
 */
export type CellScan<T> = (source: string, start: number, end: number) => T | undefined;

/**
 * Reads the cells of one table: a CellError becomes a file:line:column problem
 * and the result undefined. Results of pure parsers are memoized by cell text,
 * since big tables repeat the same dates and amounts on most rows, and found
 * from the text in place (CellMemo), so a repeated value costs no string.
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

  /**
   * A reader of one column of every row: as read(), with the column found
   * once; `scan`, when given, reads the plain cells before memo or parser.
   */
  column<T>(column: string, parse: (text: string) => T, memoize = false, scan?: CellScan<T>): (row: CsvRow) => T | undefined {
    const position = this.table.column(column);
    const problems = this.problems;
    const memo = memoize ? new CellMemo<T>() : undefined;
    const parsed = (row: CsvRow, text: string): T | undefined => {
      try {
        const value = parse(text);
        if (memo && value !== undefined) memo.set(text, value);
        return value;
      } catch (err) {
        if (!(err instanceof CellError)) throw err;
        problems.add(row.line, column, err.message);
        return undefined;
      }
    };
    // An absent column reads as an empty cell.
    if (position < 0) {
      return (row) => {
        const known = memo?.get('', 0, 0);
        return known !== undefined ? known : parsed(row, '');
      };
    }
    const at = 2 * position;
    const read = (row: CsvRow): T | undefined => {
      const start = row.bounds[at]!;
      const end = row.bounds[at + 1]!;
      if (memo) {
        const known = memo.get(row.source, start, end);
        if (known !== undefined) return known;
      }
      return parsed(row, row.source.slice(start, end));
    };
    if (!scan) return read;
    return (row) => {
      const value = scan(row.source, row.bounds[at]!, row.bounds[at + 1]!);
      return value !== undefined ? value : read(row);
    };
  }
}

/**
 * Values by cell text, looked up by the text's place in a row's source: an
 * open-addressing table hashed over the characters (FNV-1a), so no string is
 * cut to ask. The text found last is compared first, without hashing: a
 * column often repeats one value down many rows.
 */
export class CellMemo<T> {
  private keys: (string | undefined)[] = new Array<string | undefined>(16).fill(undefined);
  private values: (T | undefined)[] = new Array<T | undefined>(16).fill(undefined);
  private size = 0;
  /** Slot of the text found or set last; -1 before any. */
  private last = -1;

  get(source: string, start: number, end: number): T | undefined {
    if (this.last >= 0 && sameText(this.keys[this.last]!, source, start, end)) return this.values[this.last];
    const slot = this.slotOf(source, start, end);
    if (this.keys[slot] === undefined) return undefined;
    this.last = slot;
    return this.values[slot];
  }

  set(text: string, value: T): void {
    let slot = this.slotOf(text, 0, text.length);
    if (this.keys[slot] === undefined) {
      if (2 * (this.size + 1) > this.keys.length) {
        this.grow();
        slot = this.slotOf(text, 0, text.length);
      }
      this.size++;
    }
    this.keys[slot] = text;
    this.values[slot] = value;
    this.last = slot;
  }

  /** The slot holding source[start, end), or the empty slot where it would go (linear probing). */
  private slotOf(source: string, start: number, end: number): number {
    let hash = 0x811c9dc5;
    for (let i = start; i < end; i++) hash = Math.imul(hash ^ source.charCodeAt(i), 0x01000193);
    const mask = this.keys.length - 1;
    for (let slot = hash & mask; ; slot = (slot + 1) & mask) {
      const key = this.keys[slot];
      if (key === undefined || sameText(key, source, start, end)) return slot;
    }
  }

  private grow(): void {
    const keys = this.keys;
    const values = this.values;
    this.keys = new Array<string | undefined>(2 * keys.length).fill(undefined);
    this.values = new Array<T | undefined>(2 * keys.length).fill(undefined);
    this.last = -1;
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i];
      if (key === undefined) continue;
      const slot = this.slotOf(key, 0, key.length);
      this.keys[slot] = key;
      this.values[slot] = values[i];
    }
  }
}

function sameText(text: string, source: string, start: number, end: number): boolean {
  if (text.length !== end - start) return false;
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) !== source.charCodeAt(start + i)) return false;
  return true;
}

/** prefixCell of 1 to 15 digits not starting with 0, with or without a "+", read in place. */
export function scanPrefix(source: string, start: number, end: number): string | undefined {
  const from = source.charCodeAt(start) === 43 ? start + 1 : start;
  const length = end - from;
  if (length < 1 || length > 15 || source.charCodeAt(from) === 48) return undefined;
  for (let i = from; i < end; i++) {
    const c = source.charCodeAt(i);
    if (c < 48 || c > 57) return undefined;
  }
  return source.slice(from, end);
}

const MICROS_OF_DECIMALS: readonly number[] = [1_000_000, 100_000, 10_000, 1000, 100, 10, 1];

/**
 * priceCell (and feeCell but for "") of digits with up to 6 decimals within
 * the largest amount, read in place into integer micros: digits and a dot,
 * no sign, no spaces; anything else is left to the parser.
 */
export function scanAmount(source: string, start: number, end: number): Micros | undefined {
  let units = 0;
  let i = start;
  for (; i < end; i++) {
    const digit = source.charCodeAt(i) - 48;
    if (digit < 0 || digit > 9) break;
    units = units * 10 + digit;
  }
  // Past 5 unit digits (those of the largest amount, 10000), the parser decides.
  if (i === start || i - start > 5) return undefined;
  let micros = units * MICROS_PER_UNIT;
  if (i < end) {
    if (source.charCodeAt(i) !== 46) return undefined;
    const decimalsStart = ++i;
    let fraction = 0;
    for (; i < end; i++) {
      const digit = source.charCodeAt(i) - 48;
      if (digit < 0 || digit > 9) return undefined;
      fraction = fraction * 10 + digit;
    }
    const decimals = end - decimalsStart;
    if (decimals < 1 || decimals > 6) return undefined;
    micros += fraction * MICROS_OF_DECIMALS[decimals]!;
  }
  return micros <= MAX_RATE_AMOUNT ? micros : undefined;
}

/** incrementCell of 1 to 4 digits within 1..3600, read in place. */
export function scanIncrement(source: string, start: number, end: number): number | undefined {
  if (end - start < 1 || end - start > 4) return undefined;
  let seconds = 0;
  for (let i = start; i < end; i++) {
    const digit = source.charCodeAt(i) - 48;
    if (digit < 0 || digit > 9) return undefined;
    seconds = seconds * 10 + digit;
  }
  return seconds >= 1 && seconds <= MAX_INCREMENT_SECONDS ? seconds : undefined;
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

/** The price cells of no row yet, to fill with priceCellsReader. */
export function emptyPriceCells(): PriceCells {
  return { currency: '', pricePerMinute: 0, connectFee: 0, initialIncrement: 0, subsequentIncrement: 0, effectiveFrom: 0 };
}

/**
 * A reader of the price columns of a row into `into` (one object refilled
 * row by row); false when any of them was reported as a problem.
 */
export function priceCellsReader(cells: CellReader): (row: CsvRow, into: PriceCells) => boolean {
  const currencyOf = cells.column('currency', currencyCell, true);
  const pricePerMinuteOf = cells.column('price_per_minute', priceCell, true, scanAmount);
  const connectFeeOf = cells.column('connection_fee', feeCell, true, scanAmount);
  const initialIncrementOf = cells.column('initial_increment', incrementCell, true, scanIncrement);
  const subsequentIncrementOf = cells.column('subsequent_increment', incrementCell, true, scanIncrement);
  const effectiveFromOf = cells.column('effective_from', dateCell, true);
  return (row, into) => {
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
      return false;
    }
    into.currency = currency;
    into.pricePerMinute = pricePerMinute;
    into.connectFee = connectFee;
    into.initialIncrement = initialIncrement;
    into.subsequentIncrement = subsequentIncrement;
    into.effectiveFrom = effectiveFrom;
    return true;
  };
}
