/**
 * Parses and validates rates/toll-free.csv: what a tenant pays per minute when
 * a caller from an origin (prefix of the calling number) dials its toll-free number.
 */
import { nextTurn, readCsvTable, ROWS_PER_SLICE, type ColumnSpec } from './csv-table.js';
import { CellReader, countryCell, prefixCell, PRICE_COLUMNS, readPriceCells } from './cells.js';
import type { ProblemList } from './rate-errors.js';
import type { TollFreeRate } from './types.js';

export const TOLL_FREE_COLUMNS: readonly ColumnSpec[] = [
  { name: 'origin_prefix', required: true },
  { name: 'origin_country', required: true },
  { name: 'service_country', required: true },
  ...PRICE_COLUMNS,
];

const serviceCountryCell = (t: string) => (t === '*' ? t : countryCell(t));

export async function parseTollFreeRates(text: string, problems: ProblemList): Promise<TollFreeRate[]> {
  const out: TollFreeRate[] = [];
  const seen = new Map<string, number>();
  const table = readCsvTable(text, TOLL_FREE_COLUMNS, problems);
  const cells = new CellReader(table, problems);
  let count = 0;
  for (const row of table.rows()) {
    if (++count % ROWS_PER_SLICE === 0) await nextTurn();
    const before = problems.problems.length;
    const originPrefix = cells.read(row, 'origin_prefix', prefixCell);
    const originCountry = cells.read(row, 'origin_country', countryCell, true);
    const serviceCountry = cells.read(row, 'service_country', serviceCountryCell, true);
    const price = readPriceCells(cells, row);
    if (problems.problems.length > before || !price) continue;
    const key = `${originPrefix}|${serviceCountry}|${price.effectiveFrom}`;
    const first = seen.get(key);
    if (first !== undefined) {
      problems.add(row.line, 'origin_prefix',
        `duplicate of line ${first}: origin prefix ${originPrefix} for service country ${serviceCountry} with the same effective_from`);
      continue;
    }
    seen.set(key, row.line);
    out.push({
      originPrefix: originPrefix!, originCountry: originCountry!, serviceCountry: serviceCountry!,
      ...price, source: `${problems.file}:${row.line}`,
    });
  }
  return out;
}
