/**
 * Longest-prefix index over dated rows: a Map from prefix to the rows of that
 * prefix sorted by effective date, probed from the longest prefix down.
 */

export interface Dated {
  effectiveFrom: number;
}

export interface PrefixHit<T> {
  row: T;
  /** Digits of the matched prefix; longer is more specific. */
  length: number;
}

const MAX_DIGITS = 15;

/**
 * Prefixes never start with 0, so the numeric value of a digit string is
 * unique to it ("44" = 44, "440" = 440) and a lookup can build every key of a
 * number in one pass of integer arithmetic, without allocating strings.
 */
export class PrefixIndex<T extends Dated> {
  private readonly byPrefix = new Map<number, T[]>();
  private readonly maxLength: number;
  private readonly keys = new Array<number>(MAX_DIGITS + 1).fill(0);

  constructor(rows: Iterable<T>, prefixOf: (row: T) => string) {
    let max = 0;
    for (const row of rows) {
      const prefix = prefixOf(row);
      if (!/^[1-9]\d{0,14}$/.test(prefix)) throw new RangeError(`"${prefix}" is not a dialing prefix`);
      const key = Number(prefix);
      const list = this.byPrefix.get(key);
      if (list) list.push(row);
      else this.byPrefix.set(key, [row]);
      if (prefix.length > max) max = prefix.length;
    }
    for (const list of this.byPrefix.values()) list.sort((a, b) => a.effectiveFrom - b.effectiveFrom);
    this.maxLength = max;
  }

  get size(): number {
    return this.byPrefix.size;
  }

  /**
   * The row in effect at atMs (greatest effectiveFrom <= atMs) of the longest
   * prefix of `digits` that has a row in effect. A prefix whose rows all start
   * later is skipped, so a shorter prefix keeps serving until then. From
   * `start` on, `digits` must be digits only (start 1 skips the "+" of E.164).
   */
  find(digits: string, atMs: number, start = 0): PrefixHit<T> | undefined {
    const n = Math.min(this.maxLength, digits.length - start);
    const keys = this.keys;
    let value = 0;
    for (let i = 0; i < n; i++) {
      value = value * 10 + (digits.charCodeAt(start + i) - 48);
      keys[i + 1] = value;
    }
    for (let len = n; len > 0; len--) {
      const list = this.byPrefix.get(keys[len]!);
      if (!list) continue;
      for (let i = list.length - 1; i >= 0; i--) {
        const row = list[i]!;
        if (row.effectiveFrom <= atMs) return { row, length: len };
      }
    }
    return undefined;
  }
}
