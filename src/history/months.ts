/** Calendar months (UTC), "YYYY-MM", as the statements and partitions count them. */

export const MONTH_PATTERN = /^(\d{4})-(0[1-9]|1[0-2])$/;

/** [first ms of the month, first ms of the next) in UTC. */
export function monthRange(month: string): { fromMs: number; toMs: number } {
  const m = MONTH_PATTERN.exec(month);
  if (!m) throw new Error(`"${month}" is not a month (YYYY-MM)`);
  const y = Number(m[1]);
  const mo = Number(m[2]);
  return { fromMs: Date.UTC(y, mo - 1, 1), toMs: Date.UTC(y, mo, 1) };
}
