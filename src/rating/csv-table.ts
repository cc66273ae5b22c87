/**
 * Reads one rate CSV file: `#` comment lines, blank lines, RFC 4180 quoting
 * within a line, a header row naming the columns, and per-row line numbers.
 * A row is where its cells lie in a text, not a string per cell: parsers read
 * the cells in place, so a big table cuts strings only for what it keeps.
 */
import type { ProblemList } from './rate-errors.js';

/** Rows parsed between two turns of the event loop, so a big reload never stalls live calls for long. */
export const ROWS_PER_SLICE = 5000;

/** Lets pending I/O and timers run before parsing goes on. */
export function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

export interface ColumnSpec {
  name: string;
  /** A required column must be in the header; its cells may still be empty where the parser allows. */
  required: boolean;
}

/**
 * One data row. A table has one CsvRow object that each step of rows()
 * refills: read what you need of it before the next step.
 */
export interface CsvRow {
  line: number;
  /**
   * The text the cells lie in: the file's own text for a line with nothing
   * to unquote or trim (most lines), else that line's cells, trimmed and
   * unquoted, end to end.
   */
  source: string;
  /** Cell i, trimmed and unquoted, in header order, is source.slice(bounds[2i], bounds[2i + 1]). */
  bounds: Int32Array;
}

export interface CsvTable {
  /** The data rows, once: a second call continues where the first stopped. */
  rows(): Iterator<CsvRow> & Iterable<CsvRow>;
  /** Position of a column in each row's cells, or -1 for an optional column the header lacks. */
  column(name: string): number;
}

function isPrintableAscii(code: number): boolean {
  return code > 32 && code < 127;
}

/** Splits one line into cells; returns a message instead when the quoting is broken. */
function splitLine(text: string): string[] | string {
  if (!text.includes('"')) {
    const plain = text.split(',');
    for (let i = 0; i < plain.length; i++) {
      const cell = plain[i]!;
      // trim() only where an end is not plain printable ASCII, the one kind of character it never removes.
      if (cell !== '' && !(isPrintableAscii(cell.charCodeAt(0)) && isPrintableAscii(cell.charCodeAt(cell.length - 1)))) plain[i] = cell.trim();
    }
    return plain;
  }
  const cells: string[] = [];
  let i = 0;
  for (;;) {
    while (text[i] === ' ' || text[i] === '\t') i++;
    if (text[i] === '"') {
      let cell = '';
      i++;
      for (;;) {
        const q = text.indexOf('"', i);
        if (q < 0) return 'a quoted cell has no closing quote';
        cell += text.slice(i, q);
        if (text[q + 1] === '"') {
          cell += '"';
          i = q + 2;
          continue;
        }
        i = q + 1;
        break;
      }
      while (text[i] === ' ' || text[i] === '\t') i++;
      if (i < text.length && text[i] !== ',') return 'text after a quoted cell; quote the whole cell';
      cells.push(cell);
    } else {
      const comma = text.indexOf(',', i);
      const end = comma < 0 ? text.length : comma;
      cells.push(text.slice(i, end).trim());
      i = end;
    }
    if (i >= text.length) return cells;
    i++; // past the comma
  }
}

/**
 * Parses `text` against the column specs. The header is read at once (its
 * problems — missing, unknown or repeated columns — leave the table without
 * rows); data rows are produced one by one, in one reused CsvRow. Row
 * problems are collected and the row skipped.
 */
export function readCsvTable(text: string, columns: readonly ColumnSpec[], problems: ProblemList): CsvTable {
  const index = new Map<string, number>();
  const lines = new CsvLines(text);
  let width = 0;
  let header = false;
  while (lines.next()) {
    const lineNo = lines.lineNo;
    if (lines.broken !== undefined) {
      problems.add(lineNo, undefined, lines.broken);
      continue;
    }
    const before = problems.problems.length;
    const known = new Set(columns.map((c) => c.name));
    for (let i = 0; i < lines.count; i++) {
      const col = lines.cell(i).toLowerCase();
      if (!known.has(col)) problems.add(lineNo, col, `unknown column; expected ${columns.map((c) => c.name).join(', ')}`);
      else if (index.has(col)) problems.add(lineNo, col, 'column appears twice in the header');
      else index.set(col, i);
    }
    for (const c of columns) {
      if (c.required && !index.has(c.name)) problems.add(lineNo, c.name, 'missing column in the header');
    }
    if (problems.problems.length > before) return { rows: () => [][Symbol.iterator](), column: () => -1 };
    width = lines.count;
    header = true;
    break;
  }
  if (!header) {
    problems.add(undefined, undefined, `no header row; the first line must name the columns: ${columns.map((c) => c.name).join(',')}`);
    return { rows: () => [][Symbol.iterator](), column: () => -1 };
  }
  const row: CsvRow = { line: 0, source: '', bounds: lines.bounds };
  // One result object too, refilled like the row: a step allocates nothing.
  const step: IteratorYieldResult<CsvRow> = { done: false, value: row };
  const rows: Iterator<CsvRow> & Iterable<CsvRow> = {
    [Symbol.iterator]: () => rows,
    next(): IteratorResult<CsvRow> {
      while (lines.next()) {
        if (lines.broken !== undefined) problems.add(lines.lineNo, undefined, lines.broken);
        else if (lines.count !== width) {
          problems.add(lines.lineNo, undefined, `has ${lines.count} cells, the header has ${width} (quote cells that contain commas)`);
        } else {
          row.line = lines.lineNo;
          row.source = lines.source;
          row.bounds = lines.bounds;
          return step;
        }
      }
      return { done: true, value: undefined };
    },
  };
  return { rows: () => rows, column: (name) => index.get(name) ?? -1 };
}

/** Where `char` is next in text from `from` on; text.length when nowhere. */
function indexOrEnd(text: string, char: string, from: number): number {
  const at = text.indexOf(char, from);
  return at < 0 ? text.length : at;
}

/**
 * The non-blank, non-comment lines of `text`, one by one, with their 1-based
 * numbers, each cut into cells: a line with no quote and no cell end to trim
 * (the common case) where it lies, its cells left in place in the file's
 * text; any other by splitLine.
 */
class CsvLines {
  private pos: number;
  /** Number of the line next() read last. */
  lineNo = 0;
  /** Its cells, as CsvRow has them; `count` of them. */
  source = '';
  bounds = new Int32Array(32);
  count = 0;
  /** Why its cells could not be read (broken quoting), else undefined. */
  broken: string | undefined;
  /** Where the text's next quote and next comma are, as far as cutPlain looked (its length for none). */
  private quote = -1;
  private comma = -1;

  constructor(private readonly text: string) {
    this.pos = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  }

  /** Reads the next line that is neither blank nor a comment; false at the end of the text. */
  next(): boolean {
    const text = this.text;
    while (this.pos <= text.length) {
      const start = this.pos;
      const nl = text.indexOf('\n', start);
      const end = nl < 0 ? text.length : nl;
      const cut = end > start && text.charCodeAt(end - 1) === 13 ? end - 1 : end;
      const lead = text.charCodeAt(start);
      this.pos = end + 1;
      this.lineNo++;
      // Blank and comment lines are skipped; a line opening with a printable character other than "#" is data.
      if (cut === start || lead === 35) continue;
      if (!isPrintableAscii(lead)) {
        const first = text.slice(start, cut).trimStart();
        if (first === '' || first.startsWith('#')) continue;
      }
      if (!this.cutPlain(start, cut)) this.cutQuotedOrPadded(text.slice(start, cut));
      return true;
    }
    return false;
  }

  /** The text of cell i of the line read last. */
  cell(i: number): string {
    return this.source.slice(this.bounds[2 * i], this.bounds[2 * i + 1]);
  }

  /**
   * Cells of text[start, cut) in place, as splitLine would cut them, when the
   * line has no quote and every non-empty cell starts and ends with a
   * printable ASCII character (which trim() never removes); false otherwise.
   * Quotes and commas are found by indexOf, which outruns a loop over the
   * characters, each once: the next of each is kept until a line passes it.
   */
  private cutPlain(start: number, cut: number): boolean {
    const text = this.text;
    if (this.quote < start) this.quote = indexOrEnd(text, '"', start);
    if (this.quote < cut) return false;
    let count = 0;
    for (let cellStart = start; ; ) {
      if (this.comma < cellStart) this.comma = indexOrEnd(text, ',', cellStart);
      const end = this.comma < cut ? this.comma : cut;
      if (end > cellStart && !(isPrintableAscii(text.charCodeAt(cellStart)) && isPrintableAscii(text.charCodeAt(end - 1)))) return false;
      this.put(count++, cellStart, end);
      if (end === cut) break;
      cellStart = end + 1;
    }
    this.source = text;
    this.count = count;
    this.broken = undefined;
    return true;
  }

  /** Cells of a line with quotes or cells to trim, by splitLine, laid end to end in a text of their own. */
  private cutQuotedOrPadded(line: string): void {
    const cells = splitLine(line);
    if (typeof cells === 'string') {
      this.count = 0;
      this.broken = cells;
      return;
    }
    let at = 0;
    for (let i = 0; i < cells.length; i++) {
      this.put(i, at, at + cells[i]!.length);
      at += cells[i]!.length;
    }
    this.source = cells.join('');
    this.count = cells.length;
    this.broken = undefined;
  }

  private put(i: number, start: number, end: number): void {
    if (2 * i + 1 >= this.bounds.length) {
      const wider = new Int32Array(2 * this.bounds.length);
      wider.set(this.bounds);
      this.bounds = wider;
    }
    this.bounds[2 * i] = start;
    this.bounds[2 * i + 1] = end;
  }
}
