/**
 * Reads one rate CSV file: `#` comment lines, blank lines, RFC 4180 quoting
 * within a line, a header row naming the columns, and per-row line numbers.
 */
import type { ProblemList } from './rate-errors.js';

export interface ColumnSpec {
  name: string;
  /** A required column must be in the header; its cells may still be empty where the parser allows. */
  required: boolean;
}

export interface CsvRow {
  line: number;
  /** Cell text by column name (trimmed); absent optional columns read as "". */
  get(column: string): string;
}

/** Splits one line into cells; returns a message instead when the quoting is broken. */
function splitLine(text: string): string[] | string {
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
 * Parses `text` against the column specs. Header problems (missing, unknown or
 * repeated columns) stop row parsing for this file; row problems are collected
 * and the row is skipped.
 */
export function readCsvTable(text: string, columns: readonly ColumnSpec[], problems: ProblemList): CsvRow[] {
  const lines = text.split('\n');
  const rows: CsvRow[] = [];
  let index: Map<string, number> | undefined;
  let width = 0;
  const known = new Set(columns.map((c) => c.name));
  for (let n = 0; n < lines.length; n++) {
    const lineNo = n + 1;
    let raw = lines[n] ?? '';
    if (raw.endsWith('\r')) raw = raw.slice(0, -1);
    if (n === 0 && raw.charCodeAt(0) === 0xfeff) raw = raw.slice(1);
    const trimmed = raw.trim();
    if (trimmed === '' || trimmed.startsWith('#')) continue;
    const cells = splitLine(raw);
    if (typeof cells === 'string') {
      problems.add(lineNo, undefined, cells);
      continue;
    }
    if (!index) {
      const before = problems.problems.length;
      index = new Map();
      for (const [i, name] of cells.entries()) {
        const col = name.toLowerCase();
        if (!known.has(col)) problems.add(lineNo, col, `unknown column; expected ${columns.map((c) => c.name).join(', ')}`);
        else if (index.has(col)) problems.add(lineNo, col, 'column appears twice in the header');
        else index.set(col, i);
      }
      for (const c of columns) {
        if (c.required && !index.has(c.name)) problems.add(lineNo, c.name, 'missing column in the header');
      }
      if (problems.problems.length > before) return [];
      width = cells.length;
      continue;
    }
    if (cells.length !== width) {
      problems.add(lineNo, undefined, `has ${cells.length} cells, the header has ${width} (quote cells that contain commas)`);
      continue;
    }
    const at = index;
    rows.push({ line: lineNo, get: (column) => { const i = at.get(column); return i === undefined ? '' : (cells[i] ?? ''); } });
  }
  if (!index) problems.add(undefined, undefined, `no header row; the first line must name the columns: ${columns.map((c) => c.name).join(',')}`);
  return rows;
}
