/**
 * The first line of each (prefix, effective_from) key of a rate table, to
 * name a duplicate row by the line it repeats: a Map by prefix alone (short
 * strings, one probe a row), the few dates of one prefix in a chain beside it.
 */
export class DatedKeys {
  private readonly byPrefix = new Map<string, number>();
  private readonly froms: number[] = [];
  private readonly lines: number[] = [];
  /** 1 + the next entry of the same prefix, 0 for none. */
  private readonly next: number[] = [];

  /** The first line of the key, undefined for a key not seen. */
  lineOf(prefix: string, from: number): number | undefined {
    const head = this.byPrefix.get(prefix);
    for (let e = head === undefined ? -1 : head; e >= 0; e = this.next[e]! - 1) {
      if (this.froms[e] === from) return this.lines[e];
    }
    return undefined;
  }

  /** Records the key's first line (call only for a key lineOf does not know). */
  add(prefix: string, from: number, line: number): void {
    const head = this.byPrefix.get(prefix);
    this.byPrefix.set(prefix, this.froms.length);
    this.next.push(head === undefined ? 0 : head + 1);
    this.froms.push(from);
    this.lines.push(line);
  }
}
