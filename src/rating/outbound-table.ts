/**
 * Parses and validates rates/outbound.csv into OutboundRate rows, collecting
 * every problem with its file, line and column.
 */
import { readCsvTable, type ColumnSpec } from './csv-table.js';
import {
  amountCell, booleanCell, countryCell, currencyCell, dateCell, incrementCell,
  numberTypeCell, prefixCell, readCell, requiredText,
} from './cells.js';
import type { ProblemList } from './rate-errors.js';
import type { OutboundRate } from './types.js';

export const OUTBOUND_COLUMNS: readonly ColumnSpec[] = [
  { name: 'prefix', required: true },
  { name: 'country', required: true },
  { name: 'destination', required: true },
  { name: 'number_type', required: true },
  { name: 'currency', required: true },
  { name: 'price_per_minute', required: true },
  { name: 'connection_fee', required: false },
  { name: 'initial_increment', required: false },
  { name: 'subsequent_increment', required: false },
  { name: 'effective_from', required: true },
  { name: 'premium_allowed', required: false },
];

export function parseOutboundRates(text: string, problems: ProblemList): OutboundRate[] {
  const out: OutboundRate[] = [];
  const seen = new Map<string, number>();
  for (const row of readCsvTable(text, OUTBOUND_COLUMNS, problems)) {
    const before = problems.problems.length;
    const cell = <T>(column: string, parse: (t: string) => T) => readCell(row, column, parse, problems);
    const prefix = cell('prefix', prefixCell);
    const country = cell('country', countryCell);
    const destination = cell('destination', requiredText);
    const numberType = cell('number_type', numberTypeCell);
    const currency = cell('currency', currencyCell);
    const pricePerMinute = cell('price_per_minute', (t) => amountCell(t));
    const connectFee = cell('connection_fee', (t) => amountCell(t, 0));
    const initialIncrement = cell('initial_increment', incrementCell);
    const subsequentIncrement = cell('subsequent_increment', incrementCell);
    const effectiveFrom = cell('effective_from', dateCell);
    const premiumAllowed = cell('premium_allowed', booleanCell);
    if (problems.problems.length > before) continue;
    const key = `${prefix}|${effectiveFrom}`;
    const first = seen.get(key);
    if (first !== undefined) {
      problems.add(row.line, 'prefix', `duplicate of line ${first}: prefix ${prefix} with the same effective_from`);
      continue;
    }
    seen.set(key, row.line);
    out.push({
      prefix: prefix!, country: country!, destination: destination!, numberType: numberType!,
      currency: currency!, pricePerMinute: pricePerMinute!, connectFee: connectFee!,
      initialIncrement: initialIncrement!, subsequentIncrement: subsequentIncrement!,
      effectiveFrom: effectiveFrom!, premiumAllowed: premiumAllowed!, source: `${problems.file}:${row.line}`,
    });
  }
  return out;
}
