/**
 * Loads a rates directory (outbound, toll-free, Zone A, emergency CSV files)
 * into an IndexedRateBook, or rejects it whole with every problem found.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseEmergency, parseZoneA } from './country-lists.js';
import { parseOutboundRates } from './outbound-table.js';
import { ProblemList, RateLoadError, type RateFileProblem } from './rate-errors.js';
import { IndexedRateBook } from './rate-book.js';
import { parseTollFreeRates } from './toll-free-table.js';

/** The files of a rates directory, in the order they are hashed. */
export const RATE_FILES = ['outbound.csv', 'toll-free.csv', 'zone-a.csv', 'emergency.csv'] as const;
export type RateFileName = (typeof RATE_FILES)[number];

export interface LoadedRates {
  book: IndexedRateBook;
  /** Data rows per file. */
  rows: Record<RateFileName, number>;
}

/** Short content hash of the rate files: names and bytes, in RATE_FILES order. */
export function rateVersion(contents: ReadonlyMap<string, string>): string {
  const hash = createHash('sha256');
  for (const name of RATE_FILES) hash.update(`${name}\0${contents.get(name) ?? ''}\0`);
  return hash.digest('hex').slice(0, 12);
}

/** Builds a book from file contents already read (by file name); throws RateLoadError. */
export function buildRateBook(dir: string, contents: ReadonlyMap<string, string>): LoadedRates {
  const lists = new Map(RATE_FILES.map((name) => [name, new ProblemList(join(dir, name))]));
  const list = (name: RateFileName) => lists.get(name)!;
  const parse = <T>(name: RateFileName, parser: (text: string, problems: ProblemList) => T, empty: T): T => {
    const text = contents.get(name);
    if (text !== undefined) return parser(text, list(name));
    list(name).add(undefined, undefined, 'file is missing; every rates directory needs it (see rates/README.md)');
    return empty;
  };
  const outbound = parse('outbound.csv', parseOutboundRates, []);
  const tollFree = parse('toll-free.csv', parseTollFreeRates, []);
  const zoneA = parse('zone-a.csv', parseZoneA, new Map());
  const emergency = parse('emergency.csv', parseEmergency, new Set());
  // In file order, then line order: a row's problems stay together, whichever check found them.
  const problems: RateFileProblem[] = [...lists.values()].flatMap((l) =>
    [...l.problems].sort((a, b) => (a.line ?? 0) - (b.line ?? 0)),
  );
  if (problems.length > 0) throw new RateLoadError(dir, problems);
  return {
    book: new IndexedRateBook(rateVersion(contents), { outbound, tollFree, zoneA, emergency }),
    rows: { 'outbound.csv': outbound.length, 'toll-free.csv': tollFree.length, 'zone-a.csv': zoneA.size, 'emergency.csv': emergency.size },
  };
}

/** Reads the rate files of `dir` and builds a book; throws RateLoadError naming every problem. */
export async function loadRateBook(dir: string): Promise<LoadedRates> {
  const contents = new Map<string, string>();
  await Promise.all(
    RATE_FILES.map(async (name) => {
      try {
        contents.set(name, await readFile(join(dir, name), 'utf8'));
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      }
    }),
  );
  return buildRateBook(dir, contents);
}
