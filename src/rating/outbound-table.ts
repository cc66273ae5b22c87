/**
 * Parses and validates rates/outbound.csv into OutboundRate rows, collecting
 * every problem with its file, line and column.
 */
import { nextTurn, readCsvTable, ROWS_PER_SLICE, type ColumnSpec } from './csv-table.js';
import {
  booleanCell, CellReader, countryCell, numberTypeCell, prefixCell, PRICE_COLUMNS, readPriceCells, requiredText,
} from './cells.js';
import type { ProblemList } from './rate-errors.js';
import type { OutboundRate } from './types.js';

export const OUTBOUND_COLUMNS: readonly ColumnSpec[] = [
  { name: 'prefix', required: true },
  { name: 'country', required: true },
  { name: 'destination', required: true },
  { name: 'number_type', required: true },
  ...PRICE_COLUMNS,
  { name: 'premium_allowed', required: false },
];

export async function parseOutboundRates(text: string, problems: ProblemList): Promise<OutboundRate[]> {
  const out: OutboundRate[] = [];
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
    if (problems.problems.length > before || !price) continue;
    const key = `${prefix}|${price.effectiveFrom}`;
    const first = seen.get(key);
    if (first !== undefined) {
      problems.add(row.line, 'prefix', `duplicate of line ${first}: prefix ${prefix} with the same effective_from`);
      continue;
    }
    seen.set(key, row.line);
    out.push({
      prefix: prefix!, country: country!, destination: destination!, numberType: numberType!,
      ...price, premiumAllowed: premiumAllowed!, source: `${problems.file}:${row.line}`,
    });
  }
  return out;
}
