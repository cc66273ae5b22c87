/**
 * Longest-prefix index over dated rows: a Map from prefix string to the rows
 * of that prefix sorted by effective date, probed from the longest length down.
 */

export interface Dated {
  effectiveFrom: number;
}

export interface PrefixHit<T> {
  row: T;
  /** Digits of the matched prefix; longer is more specific. */
  length: number;
}

export class PrefixIndex<T extends Dated> {
  private readonly byPrefix = new Map<string, T[]>();
  private readonly maxLength: number;

  constructor(rows: Iterable<T>, prefixOf: (row: T) => string) {
    let max = 0;
    for (const row of rows) {
      const prefix = prefixOf(row);
      const list = this.byPrefix.get(prefix);
      if (list) list.push(row);
      else this.byPrefix.set(prefix, [row]);
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
   * later is skipped, so a shorter prefix keeps serving until then.
   */
  find(digits: string, atMs: number): PrefixHit<T> | undefined {
    for (let len = Math.min(this.maxLength, digits.length); len > 0; len--) {
      const list = this.byPrefix.get(digits.slice(0, len));
      if (!list) continue;
      for (let i = list.length - 1; i >= 0; i--) {
        const row = list[i]!;
        if (row.effectiveFrom <= atMs) return { row, length: len };
      }
    }
    return undefined;
  }
}
