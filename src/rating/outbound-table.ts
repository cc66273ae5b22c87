/**
 * Parses and validates rates/outbound.csv into OutboundRate rows, collecting
 * every problem with its file, line and column.
 */
import { nextTurn, readCsvTable, ROWS_PER_SLICE, type ColumnSpec } from './csv-table.js';
import {
  booleanCell, CellReader, countryCell, numberTypeCell, prefixCell, PRICE_COLUMNS, priceCellsReader, requiredText,
} from './cells.js';
import { DatedKeys } from './dated-keys.js';
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
  const seen = new DatedKeys();
  const table = readCsvTable(text, OUTBOUND_COLUMNS, problems);
  const cells = new CellReader(table, problems);
  // In file order: a row's problems are listed in the order its columns are checked.
  const prefixOf = cells.column('prefix', prefixCell);
  const countryOf = cells.column('country', countryCell, true);
  const destinationOf = cells.column('destination', requiredText);
  const numberTypeOf = cells.column('number_type', numberTypeCell, true);
  const priceOf = priceCellsReader(cells);
  const premiumAllowedOf = cells.column('premium_allowed', booleanCell, true);
  const bandOf = cells.column('band', bandCell(catalog, hasBandsFile), true);
  const file = problems.file;
  let count = 0;
  for (const row of table.rows()) {
    if (++count % ROWS_PER_SLICE === 0) await nextTurn();
    const before = problems.problems.length;
    const prefix = prefixOf(row);
    const country = countryOf(row);
    const destination = destinationOf(row);
    const numberType = numberTypeOf(row);
    const price = priceOf(row);
    const premiumAllowed = premiumAllowedOf(row);
    const bandRef = bandOf(row);
    if (problems.problems.length > before || !price || bandRef === undefined) continue;
    // Every field named, in this order: rows of one shape (and JSON of them) as before.
    const rate: OutboundRate = {
      prefix: prefix!, country: country!, destination: destination!, numberType: numberType!,
      currency: price.currency, pricePerMinute: price.pricePerMinute, connectFee: price.connectFee,
      initialIncrement: price.initialIncrement, subsequentIncrement: price.subsequentIncrement, effectiveFrom: price.effectiveFrom,
      premiumAllowed: premiumAllowed!, source: `${file}:${row.line}`,
    };
    if (bandRef) {
      banded.add(`${prefix}|${price.effectiveFrom}`, row.line, bandRef, rate, {
        country, destination, number_type: numberType, currency: price.currency, connection_fee: price.connectFee,
        initial_increment: price.initialIncrement, subsequent_increment: price.subsequentIncrement, premium_allowed: premiumAllowed,
      }, seen.lineOf(prefix!, price.effectiveFrom));
      continue;
    }
    const first = seen.lineOf(prefix!, price.effectiveFrom);
    if (first !== undefined) {
      problems.add(row.line, 'prefix', `duplicate of line ${first}: prefix ${prefix} with the same effective_from`);
      continue;
    }
    if (!banded.flat(() => `${prefix}|${price.effectiveFrom}`, row.line, 'band')) continue;
    seen.add(prefix!, price.effectiveFrom, row.line);
    out.push(rate);
  }
  for (const rate of banded.finish()) out.push(rate);
  return out;
}
