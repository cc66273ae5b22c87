/**
 * The PSTN usage report as RFC 4180 CSV (DOMAIN.md rule 27): column order,
 * field quoting, UTC times, money as decimal text. Pure and streaming-friendly.
 */
import type { UsageRecord } from '../domain.js';
import { formatMoney } from '../money.js';

/** Report columns in their fixed order; spreadsheets and importers key on these names. */
export const USAGE_CSV_COLUMNS = [
  'UsageId',
  'Call ID',
  'Conference ID',
  'User Location',
  'User Id',
  'UPN',
  'User Display Name',
  'Caller ID',
  'Call Type',
  'Call Direction',
  'Number Type',
  'Domestic/International',
  'Destination Dialed',
  'Destination Number',
  'External Country',
  'Start Time',
  'End Time',
  'Duration Seconds',
  'Connection Fee',
  'Charge',
  'Currency',
  'Capability',
  'Rate Version',
  'End Reason',
] as const;

/** Excel and LibreOffice read a file without it as their legacy code page and garble "Zoë". */
export const UTF8_BOM = '\uFEFF';
export const CRLF = '\r\n';

/** Quotes a field when it holds a comma, a double quote, CR or LF; inner quotes are doubled. */
export function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

export function csvLine(fields: readonly string[]): string {
  return fields.map(csvField).join(',') + CRLF;
}

/**
 * Text that a spreadsheet would run as a formula (=, @, or +/- not followed by
 * a plain number) gets a leading apostrophe (OWASP "CSV injection"); phone
 * numbers such as "+44 20 7946 0000" stay as they are.
 */
export function defuseFormula(value: string): string {
  if (/^[=@\t\r]/.test(value)) return `'${value}`;
  if (/^[+-]/.test(value) && !/^[+-][\d\s().-]*$/.test(value)) return `'${value}`;
  return value;
}

/** UTC ISO 8601 with milliseconds, e.g. 2025-03-01T09:30:00.000Z. */
export function isoUtc(ms: number): string {
  return new Date(ms).toISOString();
}

/** The header line, preceded by the UTF-8 byte order mark. */
export function usageCsvHeader(): string {
  return UTF8_BOM + csvLine(USAGE_CSV_COLUMNS);
}

/** One record as the report's fields, in column order. */
export function usageCsvFields(r: UsageRecord): string[] {
  const text = (v: string | undefined) => defuseFormula(v ?? '');
  return [
    text(r.usageId),
    text(r.callId),
    text(r.conferenceId),
    r.userLocation ?? '',
    text(r.userId),
    text(r.upn),
    text(r.userDisplayName),
    text(r.callerId),
    r.callType,
    r.callDirection,
    r.numberType ?? '',
    r.domestic ?? '',
    text(r.destinationDialed),
    text(r.destinationNumber),
    r.externalCountry ?? '',
    isoUtc(r.startTime),
    isoUtc(r.endTime),
    String(r.durationSeconds),
    formatMoney(r.connectFee, r.currency),
    formatMoney(r.charge, r.currency),
    r.currency,
    r.capability,
    r.rateVersion ?? '',
    r.endReason,
  ];
}

export function usageCsvLine(r: UsageRecord): string {
  return csvLine(usageCsvFields(r));
}

/** The whole report, header first, one chunk per record, as records arrive. */
export async function* usageCsv(records: AsyncIterable<UsageRecord> | Iterable<UsageRecord>): AsyncGenerator<string> {
  yield usageCsvHeader();
  for await (const record of records) yield usageCsvLine(record);
}
