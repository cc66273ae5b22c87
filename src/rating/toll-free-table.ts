/**
 * Parses and validates rates/toll-free.csv: what a tenant pays per minute when
 * a caller from an origin (prefix of the calling number) dials its toll-free number.
 */
import { readCsvTable, type ColumnSpec } from './csv-table.js';
import { amountCell, countryCell, currencyCell, dateCell, incrementCell, prefixCell, readCell } from './cells.js';
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

export function parseTollFreeRates(text: string, problems: ProblemList): TollFreeRate[] {
  const out: TollFreeRate[] = [];
  const seen = new Map<string, number>();
  for (const row of readCsvTable(text, TOLL_FREE_COLUMNS, problems)) {
    const before = problems.problems.length;
    const cell = <T>(column: string, parse: (t: string) => T) => readCell(row, column, parse, problems);
    const originPrefix = cell('origin_prefix', prefixCell);
    const originCountry = cell('origin_country', countryCell);
    const serviceCountry = cell('service_country', serviceCountryCell);
    const currency = cell('currency', currencyCell);
    const pricePerMinute = cell('price_per_minute', (t) => amountCell(t));
    const connectFee = cell('connection_fee', (t) => amountCell(t, 0));
    const initialIncrement = cell('initial_increment', incrementCell);
    const subsequentIncrement = cell('subsequent_increment', incrementCell);
    const effectiveFrom = cell('effective_from', dateCell);
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
