/**
 * Narrowing a tenant's usage records the way the portal's usage page and the
 * API's usage endpoints do: by user, call type and capability (a part of a
 * joined capability such as "DOMESTIC+credits" matches), and daily sums.
 */
import type { UsageRecord } from '../domain.js';

export interface UsageFilter {
  userId?: string;
  callType?: string;
  capability?: string;
}

export function matchesUsage(r: UsageRecord, f: UsageFilter): boolean {
  if (f.userId !== undefined && r.userId !== f.userId) return false;
  if (f.callType !== undefined && r.callType !== f.callType) return false;
  if (f.capability !== undefined && r.capability !== f.capability && !String(r.capability).split('+').includes(f.capability)) return false;
  return true;
}

export async function* filterUsage(source: AsyncIterable<UsageRecord>, f: UsageFilter): AsyncIterable<UsageRecord> {
  for await (const r of source) if (matchesUsage(r, f)) yield r;
}

export interface DailyUsage {
  /** UTC date, YYYY-MM-DD, of the calls' start. */
  date: string;
  capability: string;
  calls: number;
  seconds: number;
  /** Micros. */
  charge: number;
}

/** Sums per UTC day and capability, by date then capability. */
export async function dailyUsage(source: AsyncIterable<UsageRecord>): Promise<DailyUsage[]> {
  const sums = new Map<string, DailyUsage>();
  for await (const r of source) {
    const date = new Date(r.startTime).toISOString().slice(0, 10);
    const key = `${date} ${r.capability}`;
    const d = sums.get(key) ?? { date, capability: String(r.capability), calls: 0, seconds: 0, charge: 0 };
    d.calls += 1;
    d.seconds += r.durationSeconds;
    d.charge += r.charge;
    sums.set(key, d);
  }
  return [...sums.values()].sort((a, b) => a.date.localeCompare(b.date) || a.capability.localeCompare(b.capability));
}

export interface SpendForecast {
  days: number;
  /** Micros charged in the window. */
  spent: number;
  /** Micros per day, rounded down. */
  perDay: number;
  /** Days the available money lasts at that rate (one decimal); null when nothing was spent. */
  daysLeft: number | null;
}

/** How long `available` lasts at the spend rate of a window of `days` ending now. */
export function forecast(available: number, spent: number, days: number): SpendForecast {
  const perDay = Math.floor(spent / days);
  if (perDay <= 0) return { days, spent, perDay, daysLeft: null };
  return { days, spent, perDay, daysLeft: available <= 0 ? 0 : Math.floor((available / perDay) * 10) / 10 };
}
