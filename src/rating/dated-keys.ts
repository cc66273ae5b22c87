/**
 * The first line of each (prefix, effective_from) key of a rate table, to
 * name a duplicate row by the line it repeats, asked row by row (the outbound
 * parser asks so only from a table's first banded row on; DatedKeyLog below
 * finds the repeats of other tables at the end): an open-addressing hash
 * table by the prefix's numeric value, each slot the value and its latest
 * entry side by side (one memory read a row, where a Map of strings also
 * reads the key string back), the entries (a date and line each, the few
 * dates of one prefix chained) appended in typed arrays.
 */
export class DatedKeys {
  /**
   * Per slot, two doubles: the prefix's value (0 for an empty slot: a prefix
   * never starts with 0, so is never 0) and its latest entry.
   */
  private slots: Float64Array;
  private used = 0;
  /** The value and slot lineOf probed last, so add() of the key just asked about probes no more. */
  private probedValue = 0;
  private probedSlot = 0;
  /** Per entry: its date, its line, the previous entry of the same prefix (-1 for none). */
  private froms: Float64Array;
  private lines: Int32Array;
  private next: Int32Array;
  private entries = 0;

  /** `expected`: about how many prefixes there will be, so the table need not grow on the way. */
  constructor(expected = 0) {
    let size = 1 << 12;
    while (size < 2 * expected && size < 1 << 24) size *= 2;
    this.slots = new Float64Array(2 * size);
    this.froms = new Float64Array(size / 2);
    this.lines = new Int32Array(size / 2);
    this.next = new Int32Array(size / 2);
  }

  /** The first line of the key, undefined for a key not seen; `prefix` is digits, not starting with 0. */
  lineOf(prefix: string, from: number): number | undefined {
    const value = valueOf(prefix);
    const slot = this.slotOf(value);
    this.probedValue = value;
    this.probedSlot = slot;
    if (this.slots[2 * slot] === 0) return undefined;
    for (let e = this.slots[2 * slot + 1]!; e >= 0; e = this.next[e]!) if (this.froms[e] === from) return this.lines[e];
    return undefined;
  }

  /** Records the key's first line (call only for a key lineOf does not know). */
  add(prefix: string, from: number, line: number): void {
    const value = valueOf(prefix);
    let slot = value === this.probedValue ? this.probedSlot : this.slotOf(value);
    // Any add may fill the slot probed: it holds only for the next add after a lineOf.
    this.probedValue = 0;
    if (this.slots[2 * slot] === 0) {
      if (2 * (this.used + 1) > this.slots.length / 2) {
        this.grow();
        slot = this.slotOf(value);
      }
      this.slots[2 * slot] = value;
      this.slots[2 * slot + 1] = -1;
      this.used++;
    }
    if (this.entries === this.froms.length) this.growEntries();
    const entry = this.entries++;
    this.froms[entry] = from;
    this.lines[entry] = line;
    this.next[entry] = this.slots[2 * slot + 1]!;
    this.slots[2 * slot + 1] = entry;
  }

  /** The slot holding `value`, or the empty slot where it would go (linear probing). */
  private slotOf(value: number): number {
    const mask = this.slots.length / 2 - 1;
    let slot = hashOf(value) & mask;
    for (;;) {
      const held = this.slots[2 * slot]!;
      if (held === value || held === 0) return slot;
      slot = (slot + 1) & mask;
    }
  }

  private grow(): void {
    const slots = this.slots;
    this.slots = new Float64Array(slots.length * 2);
    for (let i = 0; i < slots.length; i += 2) {
      if (slots[i] === 0) continue;
      const slot = this.slotOf(slots[i]!);
      this.slots[2 * slot] = slots[i]!;
      this.slots[2 * slot + 1] = slots[i + 1]!;
    }
  }

  private growEntries(): void {
    this.froms = doubled(this.froms);
    this.lines = doubled(this.lines);
    this.next = doubled(this.next);
  }
}

/** The numeric value of a digit string of at most 15 digits: exact, and unique to it when it does not start with 0. */
function valueOf(prefix: string): number {
  let value = 0;
  for (let i = 0; i < prefix.length; i++) value = value * 10 + (prefix.charCodeAt(i) - 48);
  return value;
}

/**
 * The (prefix, effective_from) keys of a table's rows, noted in file order,
 * and at the end the rows that repeat an earlier row's key, found all
 * together: the keys dealt into buckets by hash, then each bucket checked
 * against a small table of its own that stays in cache. A big table probed
 * row by row, between the reading of rows, costs a cache miss a row, more
 * than reading the row's cells does.
 */
export class DatedKeyLog {
  private values: Float64Array;
  private froms: Float64Array;
  private lines: Int32Array;
  private noted = 0;

  constructor(expected = 0) {
    const size = Math.max(1024, Math.ceil(expected));
    this.values = new Float64Array(size);
    this.froms = new Float64Array(size);
    this.lines = new Int32Array(size);
  }

  /** Keys noted so far. */
  get count(): number {
    return this.noted;
  }

  note(prefix: string, from: number, line: number): void {
    if (this.noted === this.values.length) this.grow();
    this.values[this.noted] = valueOf(prefix);
    this.froms[this.noted] = from;
    this.lines[this.noted] = line;
    this.noted++;
  }

  /** The line of the key noted at `position`. */
  line(position: number): number {
    return this.lines[position]!;
  }

  /**
   * For each noted key that an earlier one repeats, in noting order: its
   * position and the line of the first with the same key.
   */
  repeats(): { position: number; firstLine: number }[] {
    const n = this.noted;
    // About 512 keys a bucket: its table of 2048 int32s stays in the fastest cache.
    let bucketBits = 1;
    while (bucketBits < 16 && n >> bucketBits > 512) bucketBits++;
    const hashes = new Int32Array(n);
    const starts = new Int32Array((1 << bucketBits) + 1);
    for (let i = 0; i < n; i++) {
      const hash = hashOf(this.values[i]!);
      hashes[i] = hash;
      starts[(hash >>> (32 - bucketBits)) + 1]!++;
    }
    for (let b = 1; b < starts.length; b++) starts[b]! += starts[b - 1]!;
    // Positions by bucket, in noting order within each (a stable counting sort), so the first of a key comes first.
    const order = new Int32Array(n);
    const fill = starts.slice(0, -1);
    for (let i = 0; i < n; i++) order[fill[hashes[i]! >>> (32 - bucketBits)]!++] = i;
    const found = new Int32Array(n).fill(-1);
    const next = new Int32Array(n);
    let table = new Int32Array(2048);
    for (let b = 0; b + 1 < starts.length; b++) {
      const first = starts[b]!;
      const end = starts[b + 1]!;
      let size = table.length;
      while (size < 2 * (end - first)) size *= 2;
      if (size > table.length) table = new Int32Array(size);
      else table.fill(0, 0, size);
      const mask = size - 1;
      for (let k = first; k < end; k++) {
        const i = order[k]!;
        const value = this.values[i]!;
        // Slots hold the position + 1 of the latest key with a value, its earlier dates chained behind it.
        let slot = hashes[i]! & mask;
        while (table[slot] !== 0 && this.values[table[slot]! - 1] !== value) slot = (slot + 1) & mask;
        const head = table[slot]! - 1;
        let e = head;
        while (e >= 0 && this.froms[e] !== this.froms[i]) e = next[e]!;
        if (e >= 0) {
          found[i] = this.lines[e]!;
          continue;
        }
        next[i] = head;
        table[slot] = i + 1;
      }
    }
    const out: { position: number; firstLine: number }[] = [];
    for (let i = 0; i < n; i++) if (found[i]! >= 0) out.push({ position: i, firstLine: found[i]! });
    return out;
  }

  private grow(): void {
    this.values = doubled(this.values);
    this.froms = doubled(this.froms);
    this.lines = doubled(this.lines);
  }
}

/** A 32-bit hash of a prefix's value (below 10^15): its two 32-bit halves mixed. */
function hashOf(value: number): number {
  return Math.imul(value >>> 0, 0x9e3779b1) ^ Math.imul((value / 4294967296) | 0, 0x85ebca6b);
}

/** A typed array of twice the length, its first half a copy of `a`. */
function doubled<A extends Float64Array | Int32Array>(a: A): A {
  const b = new (a.constructor as new (length: number) => A)(2 * a.length);
  b.set(a);
  return b;
}
