/**
 * Parses and validates rates/outbound.csv into OutboundRate rows, collecting
 * every problem with its file, line and column.
 */
import { nextTurn, readCsvTable, ROWS_PER_SLICE, type ColumnSpec } from './csv-table.js';
import {
  booleanCell, CellReader, countryCell, numberTypeCell, prefixCell, PRICE_COLUMNS, readPriceCells, requiredText,
} from './cells.js';
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
  const band = bandCell(catalog, hasBandsFile);
  const banded = new BandedRows<OutboundRate>(problems, (r) => `prefix ${r.prefix} from ${new Date(r.effectiveFrom).toISOString()}`);
  const seen = new Map<string, number>();
  const table = readCsvTable(text, OUTBOUND_COLUMNS, problems);
  const cells = new CellReader(table, problems);
  let count = 0;
  for (const row of table.rows()) {
    if (++count % ROWS_PER_SLICE === 0) await nextTurn();
    const before = problems.problems.length;
    const prefix = cells.read(row, 'prefix', prefixCell);
    const country = cells.read(row, 'country', countryCell, true);
    const destination = cells.read(row, 'destination', requiredText);
    const numberType = cells.read(row, 'number_type', numberTypeCell, true);
    const price = readPriceCells(cells, row);
    const premiumAllowed = cells.read(row, 'premium_allowed', booleanCell, true);
    const bandRef = cells.read(row, 'band', band, true);
    if (problems.problems.length > before || !price || bandRef === undefined) continue;
    const key = `${prefix}|${price.effectiveFrom}`;
    const rate: OutboundRate = {
      prefix: prefix!, country: country!, destination: destination!, numberType: numberType!,
      ...price, premiumAllowed: premiumAllowed!, source: `${problems.file}:${row.line}`,
    };
    if (bandRef) {
      banded.add(key, row.line, bandRef, rate, {
        country, destination, number_type: numberType, currency: price.currency, connection_fee: price.connectFee,
        initial_increment: price.initialIncrement, subsequent_increment: price.subsequentIncrement, premium_allowed: premiumAllowed,
      });
      continue;
    }
    const first = seen.get(key);
    if (first !== undefined) {
      problems.add(row.line, 'prefix', `duplicate of line ${first}: prefix ${prefix} with the same effective_from`);
      continue;
    }
    if (!banded.flat(key, row.line, 'band')) continue;
    seen.set(key, row.line);
    out.push(rate);
  }
  for (const rate of banded.finish()) out.push(rate);
  return out;
}
