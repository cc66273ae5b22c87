/**
 * Parses rates/zone-a.csv (conferencing Zone A countries) and
 * rates/emergency.csv (emergency numbers per country, "*" for every country).
 */
import { readCsvTable, type ColumnSpec } from './csv-table.js';
import { CellError, CellReader, countryCell, requiredText } from './cells.js';
import type { ProblemList } from './rate-errors.js';

export const ZONE_A_COLUMNS: readonly ColumnSpec[] = [
  { name: 'country', required: true },
  { name: 'name', required: true },
];

export const EMERGENCY_COLUMNS: readonly ColumnSpec[] = [
  { name: 'country', required: true },
  { name: 'number', required: true },
];

export function parseZoneA(text: string, problems: ProblemList): Map<string, string> {
  const zone = new Map<string, string>();
  const lines = new Map<string, number>();
  const table = readCsvTable(text, ZONE_A_COLUMNS, problems);
  const cells = new CellReader(table, problems);
  for (const row of table.rows()) {
    const country = cells.read(row, 'country', countryCell);
    const name = cells.read(row, 'name', requiredText);
    if (country === undefined || name === undefined) continue;
    const first = lines.get(country);
    if (first !== undefined) {
      problems.add(row.line, 'country', `duplicate of line ${first}: ${country} is listed twice`);
      continue;
    }
    lines.set(country, row.line);
    zone.set(country, name);
  }
  return zone;
}

const anyCountryCell = (t: string) => (t === '*' ? t : countryCell(t));

function emergencyNumberCell(text: string): string {
  if (!/^\d{2,8}$/.test(text)) throw new CellError(`"${text}" is not an emergency number (2 to 8 digits as dialed, e.g. 112)`);
  return text;
}

/** Returns keys "COUNTRY|number" ("*|112" for every country). */
export function parseEmergency(text: string, problems: ProblemList): Set<string> {
  const numbers = new Set<string>();
  const lines = new Map<string, number>();
  const table = readCsvTable(text, EMERGENCY_COLUMNS, problems);
  const cells = new CellReader(table, problems);
  for (const row of table.rows()) {
    const country = cells.read(row, 'country', anyCountryCell);
    const number = cells.read(row, 'number', emergencyNumberCell);
    if (country === undefined || number === undefined) continue;
    const key = `${country}|${number}`;
    const first = lines.get(key);
    if (first !== undefined) {
      problems.add(row.line, 'number', `duplicate of line ${first}: ${number} for ${country} is listed twice`);
      continue;
    }
    lines.set(key, row.line);
    numbers.add(key);
  }
  return numbers;
}
