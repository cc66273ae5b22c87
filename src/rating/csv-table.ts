/**
 * Reads one rate CSV file: `#` comment lines, blank lines, RFC 4180 quoting
 * within a line, a header row naming the columns, and per-row line numbers.
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

export interface CsvRow {
  line: number;
  /** Trimmed cell texts, in header order. */
  cells: string[];
}

export interface CsvTable {
  /** The data rows, once: a second call continues where the first stopped. */
  rows(): Iterator<CsvRow> & Iterable<CsvRow>;
  /** Position of a column in each row's cells, or -1 for an optional column the header lacks. */
  column(name: string): number;
}

/** The text of a row's cell at a position from CsvTable.column ("" for an absent column). */
export function cellText(row: CsvRow, position: number): string {
  return position < 0 ? '' : (row.cells[position] ?? '');
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
 * rows); data rows are produced one by one, so a big file's cells are garbage
 * as soon as its row is converted. Row problems are collected and the row skipped.
 */
export function readCsvTable(text: string, columns: readonly ColumnSpec[], problems: ProblemList): CsvTable {
  const index = new Map<string, number>();
  const lines = new Lines(text);
  let width = 0;
  let header = false;
  for (let raw = lines.next(); raw !== undefined; raw = lines.next()) {
    const lineNo = lines.lineNo;
    const cells = splitLine(raw);
    if (typeof cells === 'string') {
      problems.add(lineNo, undefined, cells);
      continue;
    }
    const before = problems.problems.length;
    const known = new Set(columns.map((c) => c.name));
    for (const [i, name] of cells.entries()) {
      const col = name.toLowerCase();
      if (!known.has(col)) problems.add(lineNo, col, `unknown column; expected ${columns.map((c) => c.name).join(', ')}`);
      else if (index.has(col)) problems.add(lineNo, col, 'column appears twice in the header');
      else index.set(col, i);
    }
    for (const c of columns) {
      if (c.required && !index.has(c.name)) problems.add(lineNo, c.name, 'missing column in the header');
    }
    if (problems.problems.length > before) return { rows: () => [][Symbol.iterator](), column: () => -1 };
    width = cells.length;
    header = true;
    break;
  }
  if (!header) {
    problems.add(undefined, undefined, `no header row; the first line must name the columns: ${columns.map((c) => c.name).join(',')}`);
    return { rows: () => [][Symbol.iterator](), column: () => -1 };
  }
  // A plain iterator rather than a generator: its next() inlines into the parser's loop.
  const rows: Iterator<CsvRow> & Iterable<CsvRow> = {
    [Symbol.iterator]: () => rows,
    next(): IteratorResult<CsvRow> {
      for (let raw = lines.next(); raw !== undefined; raw = lines.next()) {
        const cells = splitLine(raw);
        if (typeof cells === 'string') problems.add(lines.lineNo, undefined, cells);
        else if (cells.length !== width) {
          problems.add(lines.lineNo, undefined, `has ${cells.length} cells, the header has ${width} (quote cells that contain commas)`);
        } else return { done: false, value: { line: lines.lineNo, cells } };
      }
      return { done: true, value: undefined };
    },
  };
  return { rows: () => rows, column: (name) => index.get(name) ?? -1 };
}

/** The non-blank, non-comment lines of `text`, one by one, with their 1-based numbers. */
class Lines {
  private pos: number;
  /** Number of the line next() returned last. */
  lineNo = 0;

  constructor(private readonly text: string) {
    this.pos = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  }

  next(): string | undefined {
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
      return text.slice(start, cut);
    }
    return undefined;
  }
}
