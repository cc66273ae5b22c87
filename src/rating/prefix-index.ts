/**
 * Longest-prefix index over dated rows: the prefixes as nested ranges of the
 * 15-digit number line, cut into pieces held in sorted typed arrays.
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
const POW10: readonly number[] = Array.from({ length: MAX_DIGITS + 1 }, (_, i) => 10 ** i);
/** Pieces per sample: the starts of a run of SAMPLE pieces fill one 64-byte cache line. */
const SAMPLE = 8;
/** Rows an index may hold: a piece packs its owner's last row below this. */
const ROW_LIMIT = 2 ** 24;
/** Doubles per prefix record: (parent + 1) * 16 + length, first row, last row, last row's effectiveFrom. */
const RECORD = 4;

/**
 * A prefix of n digits with value v covers the numbers whose first 15 digits
 * (padded with zeros) lie in [v·10^(15-n), (v+1)·10^(15-n)): below 10^15, so
 * exact in a double. Two prefixes' ranges nest or are apart, so the line cuts
 * into pieces, each owned by the longest prefix covering it. A lookup is a
 * bisection over piece starts (a small sampled array, then a run of eight
 * pieces), then the owner's record and row: a handful of memory reads
 * whatever the table's size, nothing allocated. An owner whose rows are not
 * in effect yet, or that is longer than the number (its range pads with
 * zeros: "+44" is not under "440"), hands over to the prefix it extends.
 */
export class PrefixIndex<T extends Dated> {
  /** Start of each piece of the number line, ascending. */
  private readonly starts: Float64Array;
  /**
   * Per piece, what a lookup needs of its owner, in two doubles (16 bytes, one
   * cache line): the owner's last row's effectiveFrom, then
   * ((owner + 1) * 2^24 + last row) * 16 + owner's length; -1 for a piece no
   * prefix covers.
   */
  private readonly owners: Float64Array;
  /** The start of every SAMPLE-th piece. */
  private readonly sampled: Float64Array;
  /** Per prefix id, RECORD doubles; ids follow the digit strings' order. */
  private readonly records: Float64Array;
  /** All rows, each prefix's together and by effective date; their dates beside them. */
  private readonly rows: T[];
  private readonly froms: Float64Array;
  /** Digits of the prefix the last findRow matched. */
  private matchedLength = 0;

  constructor(rows: Iterable<T>, prefixOf: (row: T) => string) {
    const all: T[] = [];
    const rowKeys: number[] = [];
    for (const row of rows) {
      rowKeys.push(prefixKey(prefixOf(row)));
      all.push(row);
    }
    // Sorted keys are the prefixes in the order of their ranges, each after the one it extends.
    const keys = Float64Array.from(rowKeys);
    // Rate files are often kept in prefix order already: then there is nothing to sort.
    let sorted = true;
    for (let i = 1; sorted && i < keys.length; i++) sorted = keys[i - 1]! <= keys[i]!;
    if (!sorted) keys.sort();
    let count = 0;
    for (let i = 0; i < keys.length; i++) if (i === 0 || keys[i] !== keys[count - 1]) keys[count++] = keys[i]!;
    const prefixKeys = keys.subarray(0, count);
    // Rows by prefix (a counting sort: file order within a prefix), then each prefix's rows by date.
    const prefixOfRow = new Int32Array(all.length);
    const firstOf = new Int32Array(count + 1);
    for (let r = 0; r < all.length; r++) {
      const id = indexOf(prefixKeys, rowKeys[r]!);
      prefixOfRow[r] = id;
      firstOf[id + 1]!++;
    }
    for (let id = 0; id < count; id++) firstOf[id + 1]! += firstOf[id]!;
    const order = new Int32Array(all.length);
    const fill = firstOf.slice(0, count);
    for (let r = 0; r < all.length; r++) order[fill[prefixOfRow[r]!]!++] = r;
    this.rows = [];
    this.froms = new Float64Array(all.length);
    for (let k = 0; k < all.length; k++) this.froms[k] = all[order[k]!]!.effectiveFrom;
    this.records = new Float64Array(RECORD * count);
    const starts = new Float64Array(2 * count + 1);
    const ownerIds = new Int32Array(2 * count + 1);
    let n = 0;
    const cut = (at: number, owner: number) => {
      // A later cut at the same point wins: the inner range starting there, or the outer one resuming.
      if (n > 0 && starts[n - 1] === at) ownerIds[n - 1] = owner;
      else {
        starts[n] = at;
        ownerIds[n] = owner;
        n++;
      }
    };
    const ends = new Float64Array(count);
    const open: number[] = [];
    for (let id = 0; id < count; id++) {
      const first = firstOf[id]!;
      const last = firstOf[id + 1]! - 1;
      if (last > first) sortByDate(order, this.froms, first, last);
      for (let k = first; k <= last; k++) this.rows.push(all[order[k]!]!);
      const { start, end, length } = rangeOf(prefixKeys[id]!);
      // Ranges that end before this one starts are closed, each handing back to the one it sits in.
      while (open.length > 0 && ends[open[open.length - 1]!]! <= start) {
        const closed = open.pop()!;
        cut(ends[closed]!, open.length > 0 ? open[open.length - 1]! : -1);
      }
      const at = RECORD * id;
      this.records[at] = (open.length > 0 ? open[open.length - 1]! + 1 : 0) * 16 + length;
      this.records[at + 1] = first;
      this.records[at + 2] = last;
      this.records[at + 3] = this.froms[last]!;
      ends[id] = end;
      cut(start, id);
      open.push(id);
    }
    while (open.length > 0) {
      const closed = open.pop()!;
      cut(ends[closed]!, open.length > 0 ? open[open.length - 1]! : -1);
    }
    this.starts = starts.slice(0, n);
    // The owner's record beside each piece: a lookup reads one record, not an id and then its record.
    if (all.length >= ROW_LIMIT) throw new RangeError(`${all.length} rows: a prefix index holds fewer than ${ROW_LIMIT}`);
    this.owners = new Float64Array(2 * n);
    for (let i = 0; i < n; i++) {
      const owner = ownerIds[i]!;
      if (owner < 0) this.owners[2 * i + 1] = -1;
      else {
        const at = RECORD * owner;
        this.owners[2 * i] = this.records[at + 3]!;
        this.owners[2 * i + 1] = ((owner + 1) * ROW_LIMIT + this.records[at + 2]!) * 16 + (this.records[at]! % 16);
      }
    }
    this.sampled = new Float64Array(Math.ceil(n / SAMPLE));
    for (let i = 0; i < this.sampled.length; i++) this.sampled[i] = this.starts[i * SAMPLE]!;
  }

  /** Distinct prefixes with rows. */
  get size(): number {
    return this.records.length / RECORD;
  }

  /**
   * The row in effect at atMs (greatest effectiveFrom <= atMs) of the longest
   * prefix of `digits` that has a row in effect. A prefix whose rows all start
   * later is skipped, so a shorter prefix keeps serving until then. From
   * `start` on, `digits` must be digits only (start 1 skips the "+" of E.164);
   * they end at the first character that is not one.
   */
  findRow(digits: string, atMs: number, start = 0): T | undefined {
    const end = Math.min(digits.length, start + MAX_DIGITS);
    let value = 0;
    let i = start;
    for (; i < end; i++) {
      const digit = digits.charCodeAt(i) - 48;
      if (digit < 0 || digit > 9) break;
      value = value * 10 + digit;
    }
    const length = i - start;
    const point = value * POW10[MAX_DIGITS - length]!;
    // The last sample at or before the point, then the last piece at or before it in that sample's run
    // (branch-free halving: the comparison picks a value, it does not steer the loop).
    const sampled = this.sampled;
    if (!(sampled[0]! <= point)) return this.miss();
    let base = 0;
    for (let n = sampled.length; n > 1; ) {
      const half = n >>> 1;
      base = sampled[base + half]! <= point ? base + half : base;
      n -= half;
    }
    const starts = this.starts;
    let piece = base * SAMPLE;
    for (let n = Math.min(SAMPLE, starts.length - piece); n > 1; ) {
      const half = n >>> 1;
      piece = starts[piece + half]! <= point ? piece + half : piece;
      n -= half;
    }
    // The piece's owner: most lookups end here, with its last row.
    const packed = this.owners[2 * piece + 1]!;
    if (packed < 0) return this.miss();
    const ownerLength = packed % 16;
    const rest = (packed - ownerLength) / 16;
    if (ownerLength <= length && this.owners[2 * piece]! <= atMs) return this.hit(rest % ROW_LIMIT, ownerLength);
    // Else its earlier rows, then the prefixes it extends, until one has a row in effect and is no longer than the number.
    const records = this.records;
    for (let id = Math.floor(rest / ROW_LIMIT) - 1; id >= 0; ) {
      const at = RECORD * id;
      const header = records[at]! | 0;
      const prefixLength = header & 15;
      if (prefixLength <= length) {
        const first = records[at + 1]! | 0;
        for (let row = records[at + 2]! | 0; row >= first; row--) if (this.froms[row]! <= atMs) return this.hit(row, prefixLength);
      }
      id = (header >> 4) - 1;
    }
    return this.miss();
  }

  private hit(row: number, length: number): T {
    this.matchedLength = length;
    return this.rows[row]!;
  }

  private miss(): undefined {
    this.matchedLength = 0;
    return undefined;
  }

  /** As findRow, with the length of the matched prefix. */
  find(digits: string, atMs: number, start = 0): PrefixHit<T> | undefined {
    const row = this.findRow(digits, atMs, start);
    return row === undefined ? undefined : { row, length: this.matchedLength };
  }
}

/**
 * A prefix as one sortable, exact double: its range start (v·10^(15-n), below
 * 10^15) times 16 plus its length n, so keys sort as the ranges nest, shorter
 * first at a shared start ("44" before "440"). Starts from 5·10^14 on are
 * shifted down by 5·10^14, the others by 8·10^15 below zero, which keeps every
 * key under 2^53 in magnitude. RangeError for a string that is no dialing prefix.
 */
function prefixKey(prefix: string): number {
  const n = prefix.length;
  let ok = n > 0 && n <= MAX_DIGITS && prefix.charCodeAt(0) !== 48;
  let value = 0;
  for (let i = 0; ok && i < n; i++) {
    const digit = prefix.charCodeAt(i) - 48;
    ok = digit >= 0 && digit <= 9;
    value = value * 10 + digit;
  }
  if (!ok) throw new RangeError(`"${prefix}" is not a dialing prefix`);
  const start = value * POW10[MAX_DIGITS - n]!;
  return start < HALF ? start * 16 + n - LOW_SHIFT : (start - HALF) * 16 + n;
}
const HALF = 5e14;
const LOW_SHIFT = 8e15;

function rangeOf(key: number): { start: number; end: number; length: number } {
  const shifted = key < 0 ? key + LOW_SHIFT : key;
  const length = shifted % 16;
  const start = (shifted - length) / 16 + (key < 0 ? 0 : HALF);
  return { start, end: start + POW10[MAX_DIGITS - length]!, length };
}

/** Position of `key` in the sorted, distinct `keys` (it is there). */
function indexOf(keys: Float64Array, key: number): number {
  // Branch-free halving, as in findRow: the last key at or below `key`, which is `key` itself.
  let base = 0;
  for (let n = keys.length; n > 1; ) {
    const half = n >>> 1;
    base = keys[base + half]! <= key ? base + half : base;
    n -= half;
  }
  return base;
}

/**
 * Sorts order[first..last] (row numbers, in file order) by the dates in
 * froms[first..last], moving both: stable, so of two rows from one instant
 * the later in the file wins. A prefix has a few rows, one per date.
 */
function sortByDate(order: Int32Array, froms: Float64Array, first: number, last: number): void {
  for (let i = first + 1; i <= last; i++) {
    const row = order[i]!;
    const from = froms[i]!;
    let j = i - 1;
    for (; j >= first && froms[j]! > from; j--) {
      order[j + 1] = order[j]!;
      froms[j + 1] = froms[j]!;
    }
    order[j + 1] = row;
    froms[j + 1] = from;
  }
}
