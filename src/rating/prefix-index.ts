/**
 * Longest-prefix index over dated rows: the prefixes as nested ranges of the
 * 15-digit number line, cut into pieces held in sorted typed arrays, found
 * through a table keyed by a number's first digits.
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
/** Rows an index may hold: a piece packs its owner's id with its length in one int32. */
const ROW_LIMIT = 2 ** 24;
/** Int32s per prefix record: (parent + 1) * 16 + length, first row, last row. */
const RECORD = 3;
/** Bytes per piece's owner: its last row's effectiveFrom (float64), last row (int32), (id + 1) * 16 + length (int32). */
const OWNER_BYTES = 16;
/** Digits of the first-level table's key at most: 10^5 int32s, 400 KB, for a table of 100,000 pieces or more. */
const MAX_HEAD_DIGITS = 5;

/**
 * A prefix of n digits with value v covers the numbers whose first 15 digits
 * (padded with zeros) lie in [v·10^(15-n), (v+1)·10^(15-n)): below 10^15, so
 * exact in a double. Two prefixes' ranges nest or are apart, so the line cuts
 * into pieces, each owned by the longest prefix covering it. A lookup reads
 * the slot of the number's first (up to 5) digits in a small table, which
 * bounds the pieces that can hold it (17 on average in a generated
 * 200,000-row table, against 330,000 in all), bisects those piece starts,
 * then reads the owner's 16 bytes and its row: integer arithmetic and a few
 * memory reads, nothing allocated (the layout before, a branch-free
 * bisection of a sampled copy of all the starts and an owner unpacked with
 * a double's %, took 1.5-1.6x as long). An owner whose rows are not in
 * effect yet, or that is longer than the number (its range pads with zeros:
 * "+44" is not under "440"), hands over to the prefix it extends.
 */
export class PrefixIndex<T extends Dated> {
  /** Start of each piece of the number line, ascending. */
  private readonly starts: Float64Array;
  /**
   * Per value h of a number's first headDigits digits (zero-padded), how many
   * pieces start before h·10^(15-headDigits); one more slot holds them all.
   * The piece holding a number is then among a bucket's few, not all of them.
   */
  private readonly heads: Int32Array;
  private readonly headDigits: number;
  /**
   * Per piece, OWNER_BYTES read together (one cache line) as a lookup needs
   * them: ownerFroms[2i] is the owner's last row's effectiveFrom,
   * ownerInts[4i + 2] that row (-1 for a piece no prefix covers),
   * ownerInts[4i + 3] (owner id + 1) * 16 + its length. Two views of one buffer.
   */
  private readonly ownerFroms: Float64Array;
  private readonly ownerInts: Int32Array;
  /** Per prefix id, RECORD int32s; ids follow the digit strings' order. */
  private readonly records: Int32Array;
  /** All rows, each prefix's together and by effective date; their dates beside them. */
  private readonly rows: T[];
  private readonly froms: Float64Array;
  /** Digits of the prefix the last findRow matched. */
  private matchedLength = 0;

  constructor(rows: Iterable<T>, prefixOf: (row: T) => string) {
    const all: readonly T[] = Array.isArray(rows) ? rows : [...rows];
    const total = all.length;
    if (total >= ROW_LIMIT) throw new RangeError(`${total} rows: a prefix index holds fewer than ${ROW_LIMIT}`);
    const highs = new Int32Array(total);
    const lows = new Int32Array(total);
    const fileFroms = new Float64Array(total);
    for (let r = 0; r < total; r++) {
      const row = all[r]!;
      fileFroms[r] = row.effectiveFrom;
      splitPrefix(prefixOf(row), highs, lows, r);
    }
    // Rows by key (the prefixes in the order of their ranges, each after the one it extends), file order
    // within a prefix. Rate files are often kept in prefix order already: then there is nothing to sort.
    let sorted = true;
    for (let r = 1; sorted && r < total; r++) sorted = highs[r - 1]! < highs[r]! || (highs[r - 1] === highs[r] && lows[r - 1]! <= lows[r]!);
    const order = sorted ? rowNumbers(total) : sortByKey(highs, lows);
    // Each prefix's rows are a run of `order`: its id is the run's number.
    const firstOf = new Int32Array(total + 1);
    let count = 0;
    for (let k = 0, previous = -1; k < total; k++) {
      const r = order[k]!;
      if (previous < 0 || highs[r] !== highs[previous] || lows[r] !== lows[previous]) firstOf[count++] = k;
      previous = r;
    }
    firstOf[count] = total;
    this.froms = new Float64Array(total);
    for (let k = 0; k < total; k++) this.froms[k] = fileFroms[order[k]!]!;
    this.records = new Int32Array(RECORD * count);
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
      const r = order[first]!;
      const length = lows[r]! & 15;
      const start = highs[r]! * LOW_SPAN + (lows[r]! >>> 4);
      const end = start + POW10[MAX_DIGITS - length]!;
      // Ranges that end before this one starts are closed, each handing back to the one it sits in.
      while (open.length > 0 && ends[open[open.length - 1]!]! <= start) {
        const closed = open.pop()!;
        cut(ends[closed]!, open.length > 0 ? open[open.length - 1]! : -1);
      }
      const at = RECORD * id;
      this.records[at] = (open.length > 0 ? open[open.length - 1]! + 1 : 0) * 16 + length;
      this.records[at + 1] = first;
      this.records[at + 2] = last;
      ends[id] = end;
      cut(start, id);
      open.push(id);
    }
    while (open.length > 0) {
      const closed = open.pop()!;
      cut(ends[closed]!, open.length > 0 ? open[open.length - 1]! : -1);
    }
    // A copy then permuted in place: an array of its full length from the start, packed as the rows are.
    this.rows = all.slice();
    for (let k = 0; k < total; k++) this.rows[k] = all[order[k]!]!;
    this.starts = starts.slice(0, n);
    // The owner's fast-path fields beside each piece: a lookup reads one cache line, not an id and then its record.
    const owners = new ArrayBuffer(OWNER_BYTES * n);
    this.ownerFroms = new Float64Array(owners);
    this.ownerInts = new Int32Array(owners);
    for (let i = 0; i < n; i++) {
      const owner = ownerIds[i]!;
      if (owner < 0) this.ownerInts[4 * i + 2] = -1;
      else {
        const at = RECORD * owner;
        const last = this.records[at + 2]!;
        this.ownerFroms[2 * i] = this.froms[last]!;
        this.ownerInts[4 * i + 2] = last;
        this.ownerInts[4 * i + 3] = (owner + 1) * 16 + (this.records[at]! & 15);
      }
    }
    // About one slot per piece, so a bucket holds a few pieces where prefixes are evenly spread.
    this.headDigits = Math.max(1, Math.min(MAX_HEAD_DIGITS, Math.floor(Math.log10(Math.max(n, 1)))));
    const slots = POW10[this.headDigits]!;
    const span = POW10[MAX_DIGITS - this.headDigits]!;
    this.heads = new Int32Array(slots + 1);
    for (let h = 0, piece = 0; h <= slots; h++) {
      const bucketStart = h * span;
      while (piece < n && this.starts[piece]! < bucketStart) piece++;
      this.heads[h] = piece;
    }
  }

  /** Distinct prefixes with rows. */
  get size(): number {
    return this.records.length / RECORD;
  }

  /**
   * The row in effect at atMs (greatest effectiveFrom <= atMs) of the longest
   * prefix of `digits` that has a row in effect. A prefix whose rows all start
   * later is skipped, so a shorter prefix keeps serving until then. The
   * number's digits start at `start` (1 skips the "+" of E.164) and end at
   * the first character that is not one; with `onlyDigits`, such a character
   * anywhere after `start` makes it a miss instead (the whole string must be
   * digits, as a rate book asks of a number).
   */
  findRow(digits: string, atMs: number, start = 0, onlyDigits = false): T | undefined {
    // The first headDigits digits (the bucket), then the rest, as one integer value.
    const headDigits = this.headDigits;
    const end = Math.min(digits.length, start + MAX_DIGITS);
    const headEnd = Math.min(end, start + headDigits);
    let value = 0;
    let i = start;
    for (; i < headEnd; i++) {
      const digit = digits.charCodeAt(i) - 48;
      if (digit < 0 || digit > 9) break;
      value = value * 10 + digit;
    }
    let head = value;
    if (i === start + headDigits) {
      for (; i < end; i++) {
        const digit = digits.charCodeAt(i) - 48;
        if (digit < 0 || digit > 9) break;
        value = value * 10 + digit;
      }
    } else head = value * POW10[start + headDigits - i]!;
    // Only past 15 digits, or at a character that is no digit, is there anything left to check.
    if (onlyDigits && i < digits.length && !digitsOnly(digits, i)) return this.miss();
    const length = i - start;
    const point = value * POW10[MAX_DIGITS - length]!;
    // The last piece starting at or before the point: after the pieces starting before its bucket,
    // and no later than the last one starting before the next bucket.
    const starts = this.starts;
    let piece = this.heads[head]! - 1;
    for (let last = this.heads[head + 1]! - 1; piece < last; ) {
      const mid = (piece + last + 1) >> 1;
      if (starts[mid]! <= point) piece = mid;
      else last = mid - 1;
    }
    if (piece < 0) return this.miss();
    // The piece's owner: most lookups end here, with its last row.
    const ints = this.ownerInts;
    const lastRow = ints[4 * piece + 2]!;
    if (lastRow < 0) return this.miss();
    const owner = ints[4 * piece + 3]!;
    const ownerLength = owner & 15;
    if (ownerLength <= length && this.ownerFroms[2 * piece]! <= atMs) return this.hit(lastRow, ownerLength);
    // Else its earlier rows, then the prefixes it extends, until one has a row in effect and is no longer than the number.
    const records = this.records;
    for (let id = (owner >> 4) - 1; id >= 0; ) {
      const at = RECORD * id;
      const header = records[at]!;
      const prefixLength = header & 15;
      if (prefixLength <= length) {
        const first = records[at + 1]!;
        for (let row = records[at + 2]!; row >= first; row--) if (this.froms[row]! <= atMs) return this.hit(row, prefixLength);
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
  find(digits: string, atMs: number, start = 0, onlyDigits = false): PrefixHit<T> | undefined {
    const row = this.findRow(digits, atMs, start, onlyDigits);
    return row === undefined ? undefined : { row, length: this.matchedLength };
  }
}

/**
 * A prefix as a sortable pair of int32s, written at highs[r] and lows[r]:
 * its range start v·10^(15-n) cut into the first 7 digits (high) and the
 * last 8 (low), and low times 16 plus the length n. Pairs sort as the ranges
 * nest, shorter first at a shared start ("44" before "440"). RangeError for
 * a string that is no dialing prefix.
 */
function splitPrefix(prefix: string, highs: Int32Array, lows: Int32Array, r: number): void {
  const n = prefix.length;
  let ok = n > 0 && n <= MAX_DIGITS && prefix.charCodeAt(0) !== 48;
  let high = 0;
  let low = 0;
  for (let i = 0; ok && i < n; i++) {
    const digit = prefix.charCodeAt(i) - 48;
    ok = digit >= 0 && digit <= 9;
    if (i < HIGH_DIGITS) high = high * 10 + digit;
    else low = low * 10 + digit;
  }
  if (!ok) throw new RangeError(`"${prefix}" is not a dialing prefix`);
  if (n < HIGH_DIGITS) high *= POW10[HIGH_DIGITS - n]!;
  else low *= POW10[MAX_DIGITS - n]!;
  highs[r] = high;
  lows[r] = low * 16 + n;
}
const HIGH_DIGITS = 7;
/** 10^8: the part of a range start its low int32 holds. */
const LOW_SPAN = POW10[MAX_DIGITS - HIGH_DIGITS]!;
/** Bits of a key sorted per pass of sortByKey. */
const RADIX_BITS = 11;
const RADIX_MASK = (1 << RADIX_BITS) - 1;

/**
 * Row numbers in the order of their (high, low) keys, file order among equal
 * keys: a stable radix sort, least significant 11 bits first, so no
 * comparison callback and no per-row lookup of a sorted key afterwards.
 */
function sortByKey(highs: Int32Array, lows: Int32Array): Int32Array {
  const total = highs.length;
  let order: Int32Array = rowNumbers(total);
  let spare: Int32Array = new Int32Array(total);
  const counts = new Int32Array(RADIX_MASK + 2);
  // low is below 2^31, high below 2^24: three passes each.
  for (const keys of [lows, highs]) {
    for (let shift = 0; shift < 31; shift += RADIX_BITS) {
      counts.fill(0);
      for (let r = 0; r < total; r++) counts[((keys[r]! >>> shift) & RADIX_MASK) + 1]!++;
      // A pass where every key has the same digit would move nothing.
      if (counts.includes(total)) continue;
      for (let d = 1; d <= RADIX_MASK; d++) counts[d]! += counts[d - 1]!;
      for (let k = 0; k < total; k++) {
        const r = order[k]!;
        spare[counts[(keys[r]! >>> shift) & RADIX_MASK]!++] = r;
      }
      [order, spare] = [spare, order];
    }
  }
  return order;
}

function digitsOnly(text: string, from: number): boolean {
  for (let i = from; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}

function rowNumbers(total: number): Int32Array {
  const order = new Int32Array(total);
  for (let r = 0; r < total; r++) order[r] = r;
  return order;
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
