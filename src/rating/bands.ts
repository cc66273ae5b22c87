/**
 * Time bands (rule 29): rates/bands.csv names weekly schedules of local
 * wall-clock windows in an IANA time zone (peak Mon–Fri 08:00–18:00, off-peak
 * otherwise), and this module tells which band an instant is in and where,
 * in UTC, a schedule changes band over a stretch of time.
 */
import type { Micros } from '../money.js';
import { CellError, CellReader } from './cells.js';
import { nextTurn, readCsvTable, ROWS_PER_SLICE, type ColumnSpec } from './csv-table.js';
import type { ProblemList } from './rate-errors.js';
import { nextTransition, timeZoneProblem, zoneOffsetMs } from './time-zone.js';

const MINUTE = 60_000;
const DAY = 86_400_000;
const WEEK_MINUTES = 7 * 1440;
const DAY_NAMES = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;

/** One weekly schedule: every local minute of the week is in exactly one of its bands. */
export interface BandSchedule {
  readonly name: string;
  readonly timeZone: string;
  /** Band names; a band is known by its index here. */
  readonly bands: readonly string[];
  /** Band index of every local minute of the week (Monday 00:00 = 0). */
  readonly minutes: Uint8Array;
  /** Minutes of the week at which the band differs from the minute before (cyclic), ascending. */
  readonly changes: readonly number[];
  /** "file:line" of the schedule's first row. */
  readonly source: string;
}

/** The prices of a banded rate: one per band of its schedule. */
export interface RateBands {
  readonly schedule: BandSchedule;
  /** Price per minute of each band, by band index. */
  readonly prices: readonly Micros[];
  /** "file:line" of each band's rate row, by band index. */
  readonly sources: readonly string[];
}

/** What bands.csv defines: band name -> schedule and index. */
export interface BandCatalog {
  readonly schedules: ReadonlyMap<string, BandSchedule>;
  readonly bands: ReadonlyMap<string, { schedule: BandSchedule; index: number }>;
}

export const EMPTY_BANDS: BandCatalog = { schedules: new Map(), bands: new Map() };

/** A band change: from atMs (UTC) on, the schedule is in `band`. */
export interface BandChange {
  atMs: number;
  band: number;
}

/** From atMs (a call's timeline, UTC ms) on, the price per minute is price. */
export type PricePoint = [atMs: number, price: Micros];

export const BAND_COLUMNS: readonly ColumnSpec[] = [
  { name: 'schedule', required: true },
  { name: 'band', required: true },
  { name: 'time_zone', required: true },
  { name: 'days', required: true },
  { name: 'from', required: true },
  { name: 'to', required: true },
];

const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

function nameCell(text: string): string {
  if (!NAME_RE.test(text)) throw new CellError(`"${text}" is not a name (letters, digits, "_", "-", ".", at most 64)`);
  return text;
}

function zoneCell(text: string): string {
  const problem = timeZoneProblem(text);
  if (problem) throw new CellError(problem);
  return text;
}

/** "mon-fri", "sat-sun", "mon;wed;fri", "*" (every day); "" for the default band. Days 0 (Mon) .. 6 (Sun). */
export function daysCell(text: string): number[] {
  if (text === '') return [];
  if (text === '*') return [0, 1, 2, 3, 4, 5, 6];
  const bad = () => new CellError(`"${text}" is not a list of days (mon, tue, … sun; ranges like mon-fri; "*" for every day)`);
  const out = new Set<number>();
  for (const part of text.toLowerCase().split(/[;,|\s]+/)) {
    const [a, b, extra] = part.split('-');
    const i = DAY_NAMES.indexOf(a as (typeof DAY_NAMES)[number]);
    const j = b === undefined ? i : DAY_NAMES.indexOf(b as (typeof DAY_NAMES)[number]);
    if (i < 0 || j < 0 || extra !== undefined) throw bad();
    for (let d = i; ; d = (d + 1) % 7) {
      out.add(d);
      if (d === j) break;
    }
  }
  return [...out].sort((x, y) => x - y);
}

/** "08:00" -> minutes of the day; "24:00" allowed (end of the day); "" for the default band. */
export function clockCell(text: string): number | null {
  if (text === '') return null;
  const m = /^(\d{1,2}):(\d{2})$/.exec(text);
  const h = Number(m?.[1]);
  const mi = Number(m?.[2]);
  if (!m || h > 24 || mi > 59 || (h === 24 && mi !== 0)) {
    throw new CellError(`"${text}" is not a local time of day (HH:MM from 00:00 to 24:00)`);
  }
  return h * 60 + mi;
}

interface DraftSchedule {
  name: string;
  timeZone: string;
  line: number;
  bands: string[];
  defaultBand?: number;
  owner: Int16Array; // minute -> band index, -1 unset
  ownerLine: Int32Array; // minute -> line that set it
}

const fmtMinute = (m: number) =>
  `${DAY_NAMES[Math.floor(m / 1440) % 7]} ${String(Math.floor((m % 1440) / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;

/**
 * Parses bands.csv. A row with days, from and to gives one band a window of
 * local time on those days (to at or before from runs past midnight into the
 * next day); a row with all three empty makes its band the schedule's default,
 * in force whenever no window is. Windows of one schedule may not overlap.
 */
export async function parseBands(text: string, problems: ProblemList): Promise<BandCatalog> {
  const table = readCsvTable(text, BAND_COLUMNS, problems);
  const cells = new CellReader(table, problems);
  const drafts = new Map<string, DraftSchedule>();
  const bandOwner = new Map<string, { schedule: string; line: number }>();
  let count = 0;
  for (const row of table.rows()) {
    if (++count % ROWS_PER_SLICE === 0) await nextTurn();
    const before = problems.problems.length;
    const scheduleName = cells.read(row, 'schedule', nameCell, true);
    const band = cells.read(row, 'band', nameCell, true);
    const zone = cells.read(row, 'time_zone', zoneCell, true);
    const days = cells.read(row, 'days', daysCell, true);
    const from = cells.read(row, 'from', clockCell, true);
    const to = cells.read(row, 'to', clockCell, true);
    if (problems.problems.length > before) continue;
    const known = drafts.get(scheduleName!);
    if (known && known.timeZone !== zone) {
      problems.add(row.line, 'time_zone', `schedule ${known.name} is in ${known.timeZone} (line ${known.line}); every row of a schedule names the same time zone`);
      continue;
    }
    const owner = bandOwner.get(band!);
    if (owner && owner.schedule !== scheduleName) {
      problems.add(row.line, 'band', `band ${band} is already a band of schedule ${owner.schedule} (line ${owner.line}); band names are unique across schedules`);
      continue;
    }
    const blank = days!.length === 0 && from === null && to === null;
    if (!blank && (days!.length === 0 || from === null || to === null)) {
      const missing = days!.length === 0 ? 'days' : from === null ? 'from' : 'to';
      problems.add(row.line, missing, 'is empty; a window names days, from and to (leave all three empty for the default band)');
      continue;
    }
    if (!blank && from === to) {
      problems.add(row.line, 'to', 'equals from; for a whole day write from 00:00 to 24:00');
      continue;
    }
    if (from === 1440) {
      problems.add(row.line, 'from', 'is 24:00; a window starts at 23:59 at the latest');
      continue;
    }
    if (known && known.bands.length >= 250 && !known.bands.includes(band!)) {
      problems.add(row.line, 'band', `schedule ${known.name} has more than 250 bands`);
      continue;
    }
    let s = known;
    if (!s) {
      s = { name: scheduleName!, timeZone: zone!, line: row.line, bands: [], owner: new Int16Array(WEEK_MINUTES).fill(-1), ownerLine: new Int32Array(WEEK_MINUTES) };
      drafts.set(scheduleName!, s);
    }
    if (!owner) bandOwner.set(band!, { schedule: s.name, line: row.line });
    let index = s.bands.indexOf(band!);
    if (index < 0) index = s.bands.push(band!) - 1;
    if (blank) {
      if (s.defaultBand !== undefined && s.bands[s.defaultBand] !== band) {
        problems.add(row.line, 'band', `schedule ${s.name} already has default band ${s.bands[s.defaultBand]}; a schedule has one default band (the row with no days, from and to)`);
      }
      s.defaultBand = index;
      continue;
    }
    const length = to! > from! ? to! - from! : to! + 1440 - from!;
    for (const day of days!) {
      const start = day * 1440 + from!;
      for (let k = 0; k < length; k++) {
        const m = (start + k) % WEEK_MINUTES;
        if (s.owner[m]! >= 0 && s.ownerLine[m] !== row.line) {
          problems.add(row.line, 'from', `overlaps the window of line ${s.ownerLine[m]} at ${fmtMinute(m)} in schedule ${s.name}; windows of a schedule may not overlap`);
          break;
        }
        s.owner[m] = index;
        s.ownerLine[m] = row.line;
      }
    }
  }
  const schedules = new Map<string, BandSchedule>();
  const bands = new Map<string, { schedule: BandSchedule; index: number }>();
  for (const s of drafts.values()) {
    const minutes = new Uint8Array(WEEK_MINUTES);
    let gap = -1;
    for (let m = 0; m < WEEK_MINUTES; m++) {
      const b = s.owner[m]!;
      if (b >= 0) minutes[m] = b;
      else if (s.defaultBand !== undefined) minutes[m] = s.defaultBand;
      else if (gap < 0) gap = m;
    }
    if (gap >= 0) {
      problems.add(s.line, 'schedule', `schedule ${s.name} has no band at ${fmtMinute(gap)}: give it a default band (a row with days, from and to empty) or windows covering the whole week`);
    }
    const changes: number[] = [];
    for (let m = 0; m < WEEK_MINUTES; m++) {
      if (minutes[m] !== minutes[(m + WEEK_MINUTES - 1) % WEEK_MINUTES]) changes.push(m);
    }
    const schedule: BandSchedule = { name: s.name, timeZone: s.timeZone, bands: s.bands, minutes, changes, source: `${problems.file}:${s.line}` };
    schedules.set(s.name, schedule);
    s.bands.forEach((name, index) => bands.set(name, { schedule, index }));
  }
  return { schedules, bands };
}

/** Minute of the week (Monday 00:00 = 0) of a local time given as ms since the epoch of local wall time. */
function minuteOfWeek(localMs: number): number {
  const day = Math.floor(localMs / DAY);
  const dow = (((day + 3) % 7) + 7) % 7; // 1970-01-01 was a Thursday
  return dow * 1440 + Math.floor((localMs - day * DAY) / MINUTE);
}

/** The band of the schedule at instant utcMs (its local wall time's minute of the week). */
export function bandAt(schedule: BandSchedule, utcMs: number): number {
  return schedule.minutes[minuteOfWeek(utcMs + zoneOffsetMs(schedule.timeZone, utcMs))]!;
}

/** The local time (ms of local wall time) of the first band change after localMs, Infinity if the schedule never changes. */
function nextLocalChange(schedule: BandSchedule, localMs: number): number {
  const { changes } = schedule;
  if (changes.length === 0) return Infinity;
  const mow = minuteOfWeek(localMs);
  const weekStart = Math.floor(localMs / MINUTE) * MINUTE - mow * MINUTE;
  for (const c of changes) if (c > mow) return weekStart + c * MINUTE;
  return weekStart + (WEEK_MINUTES + changes[0]!) * MINUTE;
}

/**
 * The schedule's band at fromMs, then every change in (fromMs, toMs], in UTC.
 * The band of an instant is that of its local wall time, so on a DST change
 * day 08:00 local falls an hour earlier or later in UTC, a window edge in a
 * skipped hour changes the band at the skip, and one in a repeated hour twice.
 */
export function bandChanges(schedule: BandSchedule, fromMs: number, toMs: number): BandChange[] {
  const zone = schedule.timeZone;
  let t = fromMs;
  let offset = zoneOffsetMs(zone, t);
  let band = schedule.minutes[minuteOfWeek(t + offset)]!;
  const out: BandChange[] = [{ atMs: fromMs, band }];
  for (;;) {
    const candidate = nextLocalChange(schedule, t + offset) - offset;
    const limit = Math.min(candidate, toMs);
    if (limit > t && zoneOffsetMs(zone, limit) !== offset) {
      // The offset changes first: go on from the transition, on the new offset.
      t = nextTransition(zone, t, limit, offset);
      offset = zoneOffsetMs(zone, t);
      const b = schedule.minutes[minuteOfWeek(t + offset)]!;
      if (b !== band) out.push({ atMs: t, band: (band = b) });
      continue;
    }
    if (candidate > toMs) return out;
    t = candidate;
    const b = schedule.minutes[minuteOfWeek(t + offset)]!;
    if (b !== band) out.push({ atMs: t, band: (band = b) });
  }
}

/** Change lists per schedule and UTC day: the hot path slices them instead of asking Intl. */
const dayCache = new WeakMap<BandSchedule, Map<number, BandChange[]>>();
const DAYS_CACHED = 512;

function changesOfDay(schedule: BandSchedule, day: number): BandChange[] {
  let days = dayCache.get(schedule);
  if (!days) dayCache.set(schedule, (days = new Map()));
  let list = days.get(day);
  if (!list) {
    if (days.size >= DAYS_CACHED) days.clear();
    list = bandChanges(schedule, day * DAY, day * DAY + DAY - 1);
    days.set(day, list);
  }
  return list;
}

/** As bandChanges, from the per-day cache. */
export function cachedBandChanges(schedule: BandSchedule, fromMs: number, toMs: number): BandChange[] {
  const first = Math.floor(fromMs / DAY);
  const last = Math.floor(toMs / DAY);
  const day0 = changesOfDay(schedule, first);
  let band = day0[0]!.band;
  for (const c of day0) if (c.atMs <= fromMs) band = c.band;
  const out: BandChange[] = [{ atMs: fromMs, band }];
  for (let d = first; d <= last; d++) {
    for (const c of changesOfDay(schedule, d)) {
      if (c.atMs > fromMs && c.atMs <= toMs && c.band !== band) out.push({ atMs: c.atMs, band: (band = c.band) });
    }
  }
  return out;
}

/**
 * How far past a hold its band prices are worked out: beyond the longest call
 * the charge arithmetic bills exactly (10 days), plus a day of ringing.
 */
export const BAND_HORIZON_MS = 11 * DAY;

/**
 * The price per minute from fromMs on and at every change up to toMs; two
 * bands of one price are one stretch. What the hold carries to the ledger.
 */
export function pricePoints(bands: RateBands, fromMs: number, toMs: number = fromMs + BAND_HORIZON_MS): PricePoint[] {
  const out: PricePoint[] = [];
  for (const c of cachedBandChanges(bands.schedule, fromMs, toMs)) {
    const price = bands.prices[c.band]!;
    if (out.length === 0 || out[out.length - 1]![1] !== price) out.push([c.atMs, price]);
  }
  return out;
}
