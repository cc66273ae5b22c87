/**
 * Parses and validates rates/outbound.csv into OutboundRate rows, collecting
 * every problem with its file, line and column.
 */
import { nextTurn, readCsvTable, ROWS_PER_SLICE, type ColumnSpec } from './csv-table.js';
import {
  booleanCell, CellReader, countryCell, emptyPriceCells, numberTypeCell, prefixCell, PRICE_COLUMNS, priceCellsReader, requiredText,
  scanPrefix,
} from './cells.js';
import { DatedKeyLog, DatedKeys } from './dated-keys.js';
import { BandedRows, bandCell } from './band-rows.js';
import { EMPTY_BANDS, type BandCatalog } from './bands.js';
import type { ProblemList } from './rate-errors.js';
import type { OutboundRate } from './types.js';

export const OUTBOUND_COLUMNS: readonly ColumnSpec[] = [
  { name: 'prefix', required: true },
  { name: 'country', required: true },
  { name: 'destination', required: true },
  { name: 'number_type', required: true },
  ...PRICE_COLUMNS,
  { name: 'premium_allowed', required: false },
  { name: 'band', required: false },
];

/**
 * Rows with a `band` (rule 29) come one per band of a schedule for a prefix
 * and effective_from, and merge into one rate with per-band prices.
 */
export async function parseOutboundRates(text: string, problems: ProblemList, catalog: BandCatalog = EMPTY_BANDS, hasBandsFile = false): Promise<OutboundRate[]> {
  const out: OutboundRate[] = [];
  const banded = new BandedRows<OutboundRate>(problems, (r) => `prefix ${r.prefix} from ${new Date(r.effectiveFrom).toISOString()}`);
  // The keys of the rows without a band, to find the rows that repeat one. Until a banded row needs to know
  // at once whether a flat row has its key, they are only logged (a log entry per row of `out`), and the
  // repeats found all together at the end; from the first banded row on, each row is checked as it comes.
  // Sized for a row per 64 characters (a generated or sample row has 50-90): a table of shorter rows grows it.
  const log = new DatedKeyLog(text.length / 64);
  let seen: DatedKeys | undefined;
  const table = readCsvTable(text, OUTBOUND_COLUMNS, problems);
  const cells = new CellReader(table, problems);
  // In file order: a row's problems are listed in the order its columns are checked.
  const prefixOf = cells.column('prefix', prefixCell, false, scanPrefix);
  const countryOf = cells.column('country', countryCell, true);
  const destinationOf = cells.column('destination', requiredText);
  const numberTypeOf = cells.column('number_type', numberTypeCell, true);
  const priceOf = priceCellsReader(cells);
  const premiumAllowedOf = cells.column('premium_allowed', booleanCell, true);
  const bandOf = cells.column('band', bandCell(catalog, hasBandsFile), true);
  const price = emptyPriceCells();
  // "file:" once: a row's source is then one string joined to its line number.
  const sourceFile = `${problems.file}:`;
  let count = 0;
  for (const row of table.rows()) {
    if (++count % ROWS_PER_SLICE === 0) await nextTurn();
    const before = problems.problems.length;
    const prefix = prefixOf(row);
    const country = countryOf(row);
    const destination = destinationOf(row);
    const numberType = numberTypeOf(row);
    const priced = priceOf(row, price);
    const premiumAllowed = premiumAllowedOf(row);
    const bandRef = bandOf(row);
    if (problems.problems.length > before || !priced || bandRef === undefined) continue;
    // Every field named, in this order: rows of one shape (and JSON of them) as before.
    const rate: OutboundRate = {
      prefix: prefix!, country: country!, destination: destination!, numberType: numberType!,
      currency: price.currency, pricePerMinute: price.pricePerMinute, connectFee: price.connectFee,
      initialIncrement: price.initialIncrement, subsequentIncrement: price.subsequentIncrement, effectiveFrom: price.effectiveFrom,
      premiumAllowed: premiumAllowed!, source: sourceFile + row.line,
    };
    if (bandRef) {
      seen ??= checkLogged(out, log, problems);
      banded.add(`${prefix}|${price.effectiveFrom}`, row.line, bandRef, rate, {
        country, destination, number_type: numberType, currency: price.currency, connection_fee: price.connectFee,
        initial_increment: price.initialIncrement, subsequent_increment: price.subsequentIncrement, premium_allowed: premiumAllowed,
      }, seen.lineOf(prefix!, price.effectiveFrom));
      continue;
    }
    if (!seen) {
      log.note(prefix!, price.effectiveFrom, row.line);
      out.push(rate);
      continue;
    }
    const first = seen.lineOf(prefix!, price.effectiveFrom);
    if (first !== undefined) {
      addDuplicate(problems, row.line, first, prefix!);
      continue;
    }
    if (!banded.flat(`${prefix}|${price.effectiveFrom}`, row.line, 'band')) continue;
    seen.add(prefix!, price.effectiveFrom, row.line);
    out.push(rate);
  }
  if (!seen) {
    const repeats = log.repeats();
    for (const { position, firstLine } of repeats) addDuplicate(problems, log.line(position), firstLine, out[position]!.prefix);
    if (repeats.length > 0) {
      const repeated = new Set(repeats.map((r) => r.position));
      const kept = out.filter((_, position) => !repeated.has(position));
      out.length = 0;
      out.push(...kept);
    }
  }
  for (const rate of banded.finish()) out.push(rate);
  return out;
}

function addDuplicate(problems: ProblemList, line: number, first: number, prefix: string): void {
  problems.add(line, 'prefix', `duplicate of line ${first}: prefix ${prefix} with the same effective_from`);
}

/**
 * The logged rows of `out` checked one by one, as rows are from here on: a
 * repeat is reported and dropped; the keys of the others are returned.
 */
function checkLogged(out: OutboundRate[], log: DatedKeyLog, problems: ProblemList): DatedKeys {
  const seen = new DatedKeys(log.count);
  let kept = 0;
  for (let position = 0; position < out.length; position++) {
    const rate = out[position]!;
    const line = log.line(position);
    const first = seen.lineOf(rate.prefix, rate.effectiveFrom);
    if (first !== undefined) {
      addDuplicate(problems, line, first, rate.prefix);
      continue;
    }
    seen.add(rate.prefix, rate.effectiveFrom, line);
    out[kept++] = rate;
  }
  out.length = kept;
  return seen;
}
