/**
 * The first line of each (prefix, effective_from) key of a rate table, to
 * name a duplicate row by the line it repeats: an open-addressing hash table
 * in typed arrays by the prefix's numeric value (one memory probe a row,
 * where a Map of strings also reads the key string back), the few dates of
 * one prefix chained beside it.
 */
export class DatedKeys {
  /** Prefix value per slot; 0 for an empty slot (a prefix never starts with 0, so is never 0). */
  private slots = new Float64Array(1 << 12);
  /** Per slot: the prefix's latest entry. */
  private heads = new Int32Array(1 << 12);
  private used = 0;
  private readonly froms: number[] = [];
  private readonly lines: number[] = [];
  /** The previous entry of the same prefix, -1 for none. */
  private readonly next: number[] = [];

  /** The first line of the key, undefined for a key not seen; `prefix` is digits, not starting with 0. */
  lineOf(prefix: string, from: number): number | undefined {
    const slot = this.slotOf(valueOf(prefix));
    if (this.slots[slot] === 0) return undefined;
    for (let e = this.heads[slot]!; e >= 0; e = this.next[e]!) if (this.froms[e] === from) return this.lines[e];
    return undefined;
  }

  /** Records the key's first line (call only for a key lineOf does not know). */
  add(prefix: string, from: number, line: number): void {
    const value = valueOf(prefix);
    let slot = this.slotOf(value);
    if (this.slots[slot] === 0) {
      if (2 * (this.used + 1) > this.slots.length) {
        this.grow();
        slot = this.slotOf(value);
      }
      this.slots[slot] = value;
      this.heads[slot] = -1;
      this.used++;
    }
    this.next.push(this.heads[slot]!);
    this.heads[slot] = this.froms.length;
    this.froms.push(from);
    this.lines.push(line);
  }

  /** The slot holding `value`, or the empty slot where it would go (linear probing). */
  private slotOf(value: number): number {
    const mask = this.slots.length - 1;
    let slot = (Math.imul(value >>> 0, 0x9e3779b1) ^ Math.imul((value / 4294967296) | 0, 0x85ebca6b)) & mask;
    for (;;) {
      const held = this.slots[slot]!;
      if (held === value || held === 0) return slot;
      slot = (slot + 1) & mask;
    }
  }

  private grow(): void {
    const slots = this.slots;
    const heads = this.heads;
    this.slots = new Float64Array(slots.length * 2);
    this.heads = new Int32Array(slots.length * 2);
    for (let i = 0; i < slots.length; i++) {
      if (slots[i] === 0) continue;
      const slot = this.slotOf(slots[i]!);
      this.slots[slot] = slots[i]!;
      this.heads[slot] = heads[i]!;
    }
  }
}

/** The numeric value of a digit string of at most 15 digits: exact, and unique to it when it does not start with 0. */
function valueOf(prefix: string): number {
  let value = 0;
  for (let i = 0; i < prefix.length; i++) value = value * 10 + (prefix.charCodeAt(i) - 48);
  return value;
}
