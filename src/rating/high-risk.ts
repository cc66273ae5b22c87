/**
 * rates/high-risk.csv (optional, ops-edited): E.164 prefixes of destinations
 * known for toll fraud (premium satellite, some island and shared-cost
 * ranges); a call to one is refused HIGH_RISK_DENIED unless the tenant or
 * user allows that prefix (rule 28).
 */
import { readCsvTable, type ColumnSpec } from './csv-table.js';
import { CellError, CellReader, requiredText } from './cells.js';
import type { ProblemList } from './rate-errors.js';

export const HIGH_RISK_COLUMNS: readonly ColumnSpec[] = [
  { name: 'prefix', required: true },
  { name: 'description', required: true },
];

function prefixCell(text: string): string {
  if (!/^[1-9]\d{0,14}$/.test(text)) throw new CellError(`"${text}" is not an E.164 prefix (digits, not starting with 0)`);
  return text;
}

/** Prefix -> description. */
export function parseHighRisk(text: string, problems: ProblemList): Map<string, string> {
  const prefixes = new Map<string, string>();
  const lines = new Map<string, number>();
  const table = readCsvTable(text, HIGH_RISK_COLUMNS, problems);
  const cells = new CellReader(table, problems);
  for (const row of table.rows()) {
    const prefix = cells.read(row, 'prefix', prefixCell);
    const description = cells.read(row, 'description', requiredText);
    if (prefix === undefined || description === undefined) continue;
    const first = lines.get(prefix);
    if (first !== undefined) {
      problems.add(row.line, 'prefix', `duplicate of line ${first}: ${prefix} is listed twice`);
      continue;
    }
    lines.set(prefix, row.line);
    prefixes.set(prefix, description);
  }
  return prefixes;
}

/** The longest high-risk prefix of an E.164 number ("+" optional), or undefined. */
export function highRiskPrefix(prefixes: ReadonlyMap<string, string>, e164: string): string | undefined {
  const digits = e164.startsWith('+') ? e164.slice(1) : e164;
  for (let n = Math.min(15, digits.length); n > 0; n--) {
    const p = digits.slice(0, n);
    if (prefixes.has(p)) return p;
  }
  return undefined;
}
