/**
 * Parses and validates rates/toll-free.csv: what a tenant pays per minute when
 * a caller from an origin (prefix of the calling number) dials its toll-free number.
 */
import { nextTurn, readCsvTable, ROWS_PER_SLICE, type ColumnSpec } from './csv-table.js';
import { CellReader, countryCell, currencyCell, dateCell, feeCell, incrementCell, prefixCell, priceCell } from './cells.js';
import type { ProblemList } from './rate-errors.js';
import type { TollFreeRate } from './types.js';

export const TOLL_FREE_COLUMNS: readonly ColumnSpec[] = [
  { name: 'origin_prefix', required: true },
  { name: 'origin_country', required: true },
  { name: 'service_country', required: true },
  { name: 'currency', required: true },
  { name: 'price_per_minute', required: true },
  { name: 'connection_fee', required: false },
  { name: 'initial_increment', required: false },
  { name: 'subsequent_increment', required: false },
  { name: 'effective_from', required: true },
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
    const currency = cells.read(row, 'currency', currencyCell, true);
    const pricePerMinute = cells.read(row, 'price_per_minute', priceCell, true);
    const connectFee = cells.read(row, 'connection_fee', feeCell, true);
    const initialIncrement = cells.read(row, 'initial_increment', incrementCell, true);
    const subsequentIncrement = cells.read(row, 'subsequent_increment', incrementCell, true);
    const effectiveFrom = cells.read(row, 'effective_from', dateCell, true);
    if (problems.problems.length > before) continue;
    const key = `${originPrefix}|${serviceCountry}|${effectiveFrom}`;
    const first = seen.get(key);
    if (first !== undefined) {
      problems.add(row.line, 'origin_prefix',
        `duplicate of line ${first}: origin prefix ${originPrefix} for service country ${serviceCountry} with the same effective_from`);
      continue;
    }
    seen.set(key, row.line);
    out.push({
      originPrefix: originPrefix!, originCountry: originCountry!, serviceCountry: serviceCountry!,
      currency: currency!, pricePerMinute: pricePerMinute!, connectFee: connectFee!,
      initialIncrement: initialIncrement!, subsequentIncrement: subsequentIncrement!,
      effectiveFrom: effectiveFrom!, source: `${problems.file}:${row.line}`,
    });
  }
  return out;
}
