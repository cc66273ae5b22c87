/**
 * The date range of a usage report: ISO 8601 instants read the same way by
 * the API and the CLI, and the half-open interval [from, to) they select.
 */

/** "2025-03-01", "2025-03-01T09:00Z", "2025-03-01T09:00:00.5+01:00". */
export const INSTANT_PATTERN = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2}))?$/;

export const INSTANT_HINT = 'an ISO 8601 date or date-time with Z or an offset, e.g. "2025-03-01" or "2025-03-01T09:00:00Z"';

function isRealDate(text: string): boolean {
  // Date.parse rolls 2025-02-30 over to March; a report range must not.
  const [y, m, d] = text.slice(0, 10).split('-').map(Number) as [number, number, number];
  const day = new Date(Date.UTC(y, m - 1, d));
  return day.getUTCFullYear() === y && day.getUTCMonth() === m - 1 && day.getUTCDate() === d;
}

/** UTC ms of an ISO 8601 date (00:00 UTC) or date-time with zone; undefined when it is not one. */
export function parseInstant(text: string): number | undefined {
  if (!INSTANT_PATTERN.test(text) || !isRealDate(text)) return undefined;
  const ms = Date.parse(text.length === 10 ? `${text}T00:00:00Z` : text);
  return Number.isNaN(ms) ? undefined : ms;
}

/** True when a record that started at startMs belongs to the report [fromMs, toMs). */
export function inRange(startMs: number, fromMs: number, toMs: number): boolean {
  return startMs >= fromMs && startMs < toMs;
}
