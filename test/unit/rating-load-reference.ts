/**
 * The outbound and toll-free parsers written the plain way, as the reference
 * the fast ones are tested against: the text split into lines, every line
 * into trimmed string cells, each cell handed to its string parser (no scan
 * in place, no memo), duplicate keys found in a Map of "prefix|date" strings.
 */
import { BandedRows, bandCell, type BandRef } from '../../src/rating/band-rows.js';
import type { BandCatalog } from '../../src/rating/bands.js';
import {
  booleanCell, CellError, countryCell, currencyCell, dateCell, feeCell, incrementCell, numberTypeCell, prefixCell, priceCell,
  requiredText,
} from '../../src/rating/cells.js';
import type { ColumnSpec } from '../../src/rating/csv-table.js';
import { OUTBOUND_COLUMNS } from '../../src/rating/outbound-table.js';
import type { ProblemList } from '../../src/rating/rate-errors.js';
import { TOLL_FREE_COLUMNS } from '../../src/rating/toll-free-table.js';
import type { OutboundRate, RateTerms, TollFreeRate } from '../../src/rating/types.js';

/** RFC 4180 cells of one line, each trimmed outside quotes; a message when the quoting is broken. */
function cellsOf(line: string): string[] | string {
  if (!line.includes('"')) return line.split(',').map((cell) => cell.trim());
  const cells: string[] = [];
  let i = 0;
  for (;;) {
    while (line[i] === ' ' || line[i] === '\t') i++;
    if (line[i] === '"') {
      let cell = '';
      for (i++; ; ) {
        const q = line.indexOf('"', i);
        if (q < 0) return 'a quoted cell has no closing quote';
        cell += line.slice(i, q);
        i = q + 1;
        if (line[i] !== '"') break;
        cell += '"';
        i++;
      }
      while (line[i] === ' ' || line[i] === '\t') i++;
      if (i < line.length && line[i] !== ',') return 'text after a quoted cell; quote the whole cell';
      cells.push(cell);
    } else {
      const comma = line.indexOf(',', i);
      const end = comma < 0 ? line.length : comma;
      cells.push(line.slice(i, end).trim());
      i = end;
    }
    if (i >= line.length) return cells;
    i++;
  }
}

interface ReferenceRow {
  line: number;
  /** Parses the row's cell of a column ("" when the header lacks it); a CellError becomes a problem and undefined. */
  cell<T>(column: string, parse: (text: string) => T): T | undefined;
}

/** The header, then each data row with as many cells as it has, one at a time (a line's problems come in file order). */
function* readRows(text: string, columns: readonly ColumnSpec[], problems: ProblemList): Generator<ReferenceRow> {
  const lines = (text.startsWith('\ufeff') ? text.slice(1) : text).split('\n').map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
  const position = new Map<string, number>();
  let width = -1;
  for (const [i, raw] of lines.entries()) {
    const line = i + 1;
    const lead = raw.trimStart();
    if (lead === '' || lead.startsWith('#')) continue;
    const cells = cellsOf(raw);
    if (typeof cells === 'string') {
      problems.add(line, undefined, cells);
      continue;
    }
    if (width < 0) {
      const before = problems.problems.length;
      const names = columns.map((c) => c.name);
      cells.forEach((name, k) => {
        const col = name.toLowerCase();
        if (!names.includes(col)) problems.add(line, col, `unknown column; expected ${names.join(', ')}`);
        else if (position.has(col)) problems.add(line, col, 'column appears twice in the header');
        else position.set(col, k);
      });
      for (const c of columns) if (c.required && !position.has(c.name)) problems.add(line, c.name, 'missing column in the header');
      if (problems.problems.length > before) return;
      width = cells.length;
      continue;
    }
    if (cells.length !== width) {
      problems.add(line, undefined, `has ${cells.length} cells, the header has ${width} (quote cells that contain commas)`);
      continue;
    }
    yield {
      line,
      cell(column, parse) {
        const at = position.get(column);
        try {
          return parse(at === undefined ? '' : cells[at]!);
        } catch (err) {
          if (!(err instanceof CellError)) throw err;
          problems.add(line, column, err.message);
          return undefined;
        }
      },
    };
  }
  if (width < 0) problems.add(undefined, undefined, `no header row; the first line must name the columns: ${columns.map((c) => c.name).join(',')}`);
}

/**
 * A table's rows in, its rates out: banded rows grouped, a flat row kept unless its key came
 * before (duplicate(first) words that problem), flat and banded rows of one key refused together.
 */
function rowKeeper<R extends RateTerms & { source: string }>(problems: ProblemList, describe: (r: R) => string) {
  const out: R[] = [];
  const banded = new BandedRows<R>(problems, describe);
  const seen = new Map<string, number>();
  return {
    keep(line: number, key: string, rate: R, bandRef: BandRef | null | undefined,
      bandFields: Record<string, unknown>, duplicate: (first: number) => [column: string, message: string]): void {
      if (bandRef) {
        banded.add(key, line, bandRef, rate, bandFields, seen.get(key));
        return;
      }
      const first = seen.get(key);
      if (first !== undefined) {
        problems.add(line, ...duplicate(first));
        return;
      }
      if (!banded.flat(key, line, 'band')) return;
      seen.set(key, line);
      out.push(rate);
    },
    rates: (): R[] => [...out, ...banded.finish()],
  };
}

export function referenceOutbound(text: string, problems: ProblemList, catalog: BandCatalog, hasBandsFile: boolean): OutboundRate[] {
  const rows = rowKeeper<OutboundRate>(problems, (r) => `prefix ${r.prefix} from ${new Date(r.effectiveFrom).toISOString()}`);
  const band = bandCell(catalog, hasBandsFile);
  for (const row of readRows(text, OUTBOUND_COLUMNS, problems)) {
    const before = problems.problems.length;
    const prefix = row.cell('prefix', prefixCell)!;
    const country = row.cell('country', countryCell)!;
    const destination = row.cell('destination', requiredText)!;
    const numberType = row.cell('number_type', numberTypeCell)!;
    const currency = row.cell('currency', currencyCell)!;
    const pricePerMinute = row.cell('price_per_minute', priceCell)!;
    const connectFee = row.cell('connection_fee', feeCell)!;
    const initialIncrement = row.cell('initial_increment', incrementCell)!;
    const subsequentIncrement = row.cell('subsequent_increment', incrementCell)!;
    const effectiveFrom = row.cell('effective_from', dateCell)!;
    const premiumAllowed = row.cell('premium_allowed', booleanCell)!;
    const bandRef = row.cell('band', band);
    if (problems.problems.length > before) continue;
    const rate: OutboundRate = {
      prefix, country, destination, numberType, currency, pricePerMinute, connectFee, initialIncrement, subsequentIncrement, effectiveFrom,
      premiumAllowed, source: `${problems.file}:${row.line}`,
    };
    rows.keep(row.line, `${prefix}|${effectiveFrom}`, rate, bandRef, {
      country, destination, number_type: numberType, currency, connection_fee: connectFee,
      initial_increment: initialIncrement, subsequent_increment: subsequentIncrement, premium_allowed: premiumAllowed,
    }, (first) => ['prefix', `duplicate of line ${first}: prefix ${prefix} with the same effective_from`]);
  }
  return rows.rates();
}

export function referenceTollFree(text: string, problems: ProblemList, catalog: BandCatalog, hasBandsFile: boolean): TollFreeRate[] {
  const rows = rowKeeper<TollFreeRate>(problems, (r) =>
    `origin prefix ${r.originPrefix} for service country ${r.serviceCountry} from ${new Date(r.effectiveFrom).toISOString()}`);
  const band = bandCell(catalog, hasBandsFile);
  for (const row of readRows(text, TOLL_FREE_COLUMNS, problems)) {
    const before = problems.problems.length;
    const originPrefix = row.cell('origin_prefix', prefixCell)!;
    const originCountry = row.cell('origin_country', countryCell)!;
    const serviceCountry = row.cell('service_country', (t) => (t === '*' ? t : countryCell(t)))!;
    const currency = row.cell('currency', currencyCell)!;
    const pricePerMinute = row.cell('price_per_minute', priceCell)!;
    const connectFee = row.cell('connection_fee', feeCell)!;
    const initialIncrement = row.cell('initial_increment', incrementCell)!;
    const subsequentIncrement = row.cell('subsequent_increment', incrementCell)!;
    const effectiveFrom = row.cell('effective_from', dateCell)!;
    const bandRef = row.cell('band', band);
    if (problems.problems.length > before) continue;
    const rate: TollFreeRate = {
      originPrefix, originCountry, serviceCountry, currency, pricePerMinute, connectFee, initialIncrement, subsequentIncrement, effectiveFrom,
      source: `${problems.file}:${row.line}`,
    };
    rows.keep(row.line, `${originPrefix}|${serviceCountry}|${effectiveFrom}`, rate, bandRef, {
      origin_country: originCountry, currency, connection_fee: connectFee,
      initial_increment: initialIncrement, subsequent_increment: subsequentIncrement,
    }, (first) => ['origin_prefix',
      `duplicate of line ${first}: origin prefix ${originPrefix} for service country ${serviceCountry} with the same effective_from`]);
  }
  return rows.rates();
}
