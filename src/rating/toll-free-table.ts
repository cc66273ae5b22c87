/**
 * Parses and validates rates/toll-free.csv: what a tenant pays per minute when
 * a caller from an origin (prefix of the calling number) dials its toll-free number.
 */
import { nextTurn, readCsvTable, ROWS_PER_SLICE, type ColumnSpec } from './csv-table.js';
import { CellReader, countryCell, emptyPriceCells, prefixCell, PRICE_COLUMNS, priceCellsReader, scanPrefix } from './cells.js';
import { BandedRows, bandCell } from './band-rows.js';
import { EMPTY_BANDS, type BandCatalog } from './bands.js';
import type { ProblemList } from './rate-errors.js';
import type { TollFreeRate } from './types.js';

export const TOLL_FREE_COLUMNS: readonly ColumnSpec[] = [
  { name: 'origin_prefix', required: true },
  { name: 'origin_country', required: true },
  { name: 'service_country', required: true },
  ...PRICE_COLUMNS,
  { name: 'band', required: false },
];

const serviceCountryCell = (t: string) => (t === '*' ? t : countryCell(t));

export async function parseTollFreeRates(text: string, problems: ProblemList, catalog: BandCatalog = EMPTY_BANDS, hasBandsFile = false): Promise<TollFreeRate[]> {
  const out: TollFreeRate[] = [];
  const banded = new BandedRows<TollFreeRate>(problems, (r) =>
    `origin prefix ${r.originPrefix} for service country ${r.serviceCountry} from ${new Date(r.effectiveFrom).toISOString()}`);
  const seen = new Map<string, number>();
  const table = readCsvTable(text, TOLL_FREE_COLUMNS, problems);
  const cells = new CellReader(table, problems);
  const originPrefixOf = cells.column('origin_prefix', prefixCell, false, scanPrefix);
  const originCountryOf = cells.column('origin_country', countryCell, true);
  const serviceCountryOf = cells.column('service_country', serviceCountryCell, true);
  const priceOf = priceCellsReader(cells);
  const bandOf = cells.column('band', bandCell(catalog, hasBandsFile), true);
  const price = emptyPriceCells();
  let count = 0;
  for (const row of table.rows()) {
    if (++count % ROWS_PER_SLICE === 0) await nextTurn();
    const before = problems.problems.length;
    const originPrefix = originPrefixOf(row);
    const originCountry = originCountryOf(row);
    const serviceCountry = serviceCountryOf(row);
    const priced = priceOf(row, price);
    const bandRef = bandOf(row);
    if (problems.problems.length > before || !priced || bandRef === undefined) continue;
    const key = `${originPrefix}|${serviceCountry}|${price.effectiveFrom}`;
    const rate: TollFreeRate = {
      originPrefix: originPrefix!, originCountry: originCountry!, serviceCountry: serviceCountry!,
      ...price, source: `${problems.file}:${row.line}`,
    };
    if (bandRef) {
      banded.add(key, row.line, bandRef, rate, {
        origin_country: originCountry, currency: price.currency, connection_fee: price.connectFee,
        initial_increment: price.initialIncrement, subsequent_increment: price.subsequentIncrement,
      }, seen.get(key));
      continue;
    }
    const first = seen.get(key);
    if (first !== undefined) {
      problems.add(row.line, 'origin_prefix',
        `duplicate of line ${first}: origin prefix ${originPrefix} for service country ${serviceCountry} with the same effective_from`);
      continue;
    }
    if (!banded.flat(key, row.line, 'band')) continue;
    seen.set(key, row.line);
    out.push(rate);
  }
  for (const rate of banded.finish()) out.push(rate);
  return out;
}
