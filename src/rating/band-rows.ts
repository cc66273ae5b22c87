/**
 * Rate rows that name a time band (rule 29): the rows of one prefix and
 * effective_from price every band of one schedule once, and agree on all but
 * the price; they merge into one rate with per-band prices.
 */
import type { BandCatalog, BandSchedule } from './bands.js';
import { CellError } from './cells.js';
import type { ProblemList } from './rate-errors.js';
import type { RateTerms } from './types.js';

export interface BandRef {
  name: string;
  schedule: BandSchedule;
  index: number;
}

/** The `band` cell: "" for a row priced at all times, else a band bands.csv defines. */
export function bandCell(catalog: BandCatalog, hasBandsFile: boolean): (text: string) => BandRef | null {
  return (text) => {
    if (text === '') return null;
    const found = catalog.bands.get(text);
    if (found) return { name: text, schedule: found.schedule, index: found.index };
    if (!hasBandsFile) throw new CellError(`names band "${text}" but the rates directory has no bands.csv defining bands`);
    throw new CellError(`"${text}" is not a band of bands.csv`);
  };
}

interface Group<R> {
  line: number;
  rate: R;
  fields: Record<string, unknown>;
  schedule: BandSchedule;
  prices: number[];
  sources: string[];
  lines: number[];
}

/**
 * Collects the banded rows of a table, by key (prefix and effective_from, and
 * for toll-free the service country), and checks them against its flat rows.
 */
export class BandedRows<R extends RateTerms & { source: string }> {
  private readonly groups = new Map<string, Group<R>>();

  constructor(
    private readonly problems: ProblemList,
    /** Names the key in messages: "prefix 44 from 2025-01-01". */
    private readonly describe: (rate: R) => string,
  ) {}

  /** True once a banded row was added: before, no row without a band can conflict (flat() is true). */
  any(): boolean {
    return this.groups.size > 0;
  }

  /** A row without a band; false (and a problem) when banded rows have that key. */
  flat(key: string, line: number, column: string): boolean {
    const g = this.groups.get(key);
    if (g) {
      this.problems.add(line, column, `has no band but line ${g.line} prices the same key by band; give every row of it a band, or none`);
      return false;
    }
    return true;
  }

  /**
   * A banded row; `fields` are the cells its sibling rows must repeat (column
   * -> value); `flatLine` the line of a row without a band of the same key, if
   * the table has one (the table keeps those, to find its duplicates).
   */
  add(key: string, line: number, band: BandRef, rate: R, fields: Record<string, unknown>, flatLine: number | undefined): void {
    if (flatLine !== undefined) {
      this.problems.add(line, 'band', `names band ${band.name} but line ${flatLine} prices the same key with no band; give every row of it a band, or none`);
      return;
    }
    let g = this.groups.get(key);
    if (!g) {
      const n = band.schedule.bands.length;
      g = { line, rate, fields, schedule: band.schedule, prices: new Array<number>(n).fill(-1), sources: new Array<string>(n).fill(''), lines: new Array<number>(n).fill(0) };
      this.groups.set(key, g);
    } else {
      if (g.schedule !== band.schedule) {
        this.problems.add(line, 'band', `band ${band.name} is of schedule ${band.schedule.name}, but line ${g.line} names a band of schedule ${g.schedule.name}; the rows of one ${this.describe(rate)} use one schedule`);
        return;
      }
      for (const [column, value] of Object.entries(fields)) {
        if (g.fields[column] !== value) {
          this.problems.add(line, column, `differs from line ${g.line}; the band rows of one ${this.describe(rate)} differ only in price_per_minute`);
          return;
        }
      }
    }
    if (g.prices[band.index]! >= 0) {
      this.problems.add(line, 'band', `duplicate of line ${g.lines[band.index]}: band ${band.name} for the same ${this.describe(rate)}`);
      return;
    }
    g.prices[band.index] = rate.pricePerMinute;
    g.sources[band.index] = rate.source;
    g.lines[band.index] = line;
  }

  /** One rate per complete group: the highest band price as pricePerMinute, the band prices with it. */
  finish(): R[] {
    const out: R[] = [];
    for (const g of this.groups.values()) {
      const missing = g.schedule.bands.filter((_, i) => g.prices[i]! < 0);
      if (missing.length > 0) {
        this.problems.add(g.line, 'band', `${this.describe(g.rate)} has no row for band ${missing.join(', ')} of schedule ${g.schedule.name}; every band of a schedule needs a price`);
        continue;
      }
      out.push({
        ...g.rate,
        pricePerMinute: Math.max(...g.prices),
        bands: { schedule: g.schedule, prices: g.prices, sources: g.sources },
      });
    }
    return out;
  }
}
