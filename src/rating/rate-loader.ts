/**
 * Loads a rates directory (outbound, toll-free, Zone A, emergency CSV files)
 * into an IndexedRateBook, or rejects it whole with every problem found.
 */
import { parseHighRisk } from './high-risk.js';
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { EMPTY_BANDS, parseBands, type BandCatalog } from './bands.js';
import { parseEmergency, parseZoneA } from './country-lists.js';
import { parseOutboundRates } from './outbound-table.js';
import { ProblemList, RateFileProblem, RateLoadError } from './rate-errors.js';
import { IndexedRateBook } from './rate-book.js';
import { parseTollFreeRates } from './toll-free-table.js';
import { firstInvalidUtf8, utf8Text } from './utf8.js';

/** The files of a rates directory, in the order they are hashed. */
export const RATE_FILES = ['outbound.csv', 'toll-free.csv', 'zone-a.csv', 'emergency.csv'] as const;
/** The time bands rate rows may name (rule 29); a directory may do without. */
export const BANDS_FILE = 'bands.csv';
/** Files a rates directory may have; absent means empty. */
export const OPTIONAL_RATE_FILES = ['high-risk.csv'] as const;
export type RateFileName = (typeof RATE_FILES)[number] | (typeof OPTIONAL_RATE_FILES)[number];

export interface LoadedRates {
  book: IndexedRateBook;
  /** The bands of bands.csv, when the directory has one. */
  bands?: BandCatalog;
  /** Data rows per file. */
  rows: Record<RateFileName, number>;
}

/** Short content hash of the rate files: names and bytes (UTF-8), in RATE_FILES order. */
export function rateVersion(contents: ReadonlyMap<string, string | Buffer>): string {
  const hash = createHash('sha256');
  for (const name of [...RATE_FILES, ...OPTIONAL_RATE_FILES]) {
    // An optional file that is absent leaves the version of a directory without it unchanged.
    if ((OPTIONAL_RATE_FILES as readonly string[]).includes(name) && !contents.has(name)) continue;
    hash.update(`${name}\0`);
    hash.update(contents.get(name) ?? '');
    hash.update('\0');
  }
  // bands.csv only when present: a directory without it keeps its version.
  const bands = contents.get(BANDS_FILE);
  if (bands !== undefined) {
    hash.update(`${BANDS_FILE}\0`);
    hash.update(bands);
    hash.update('\0');
  }
  return hash.digest('hex').slice(0, 12);
}

/**
 * Builds a book from file contents already read (by file name); rejects with
 * RateLoadError naming every problem. Parsing gives way to the event loop
 * every few thousand rows.
 */
export async function buildRateBook(dir: string, contents: ReadonlyMap<string, string>, version = rateVersion(contents)): Promise<LoadedRates> {
  const lists = new Map<RateFileName, ProblemList>([...RATE_FILES, ...OPTIONAL_RATE_FILES].map((name) => [name, new ProblemList(join(dir, name))]));
  const list = (name: RateFileName) => lists.get(name)!;
  const parse = async <T>(name: RateFileName, parser: (text: string, problems: ProblemList) => T | Promise<T>, empty: T): Promise<T> => {
    const text = contents.get(name);
    if (text !== undefined) return parser(text, list(name));
    list(name).add(undefined, undefined, 'file is missing; every rates directory needs it (see rates/README.md)');
    return empty;
  };
  const bandsText = contents.get(BANDS_FILE);
  const bandProblems = new ProblemList(join(dir, BANDS_FILE));
  const bands = bandsText === undefined ? EMPTY_BANDS : await parseBands(bandsText, bandProblems);
  const hasBands = bandsText !== undefined;
  const outbound = await parse('outbound.csv', (t, p) => parseOutboundRates(t, p, bands, hasBands), []);
  const tollFree = await parse('toll-free.csv', (t, p) => parseTollFreeRates(t, p, bands, hasBands), []);
  const zoneA = await parse('zone-a.csv', parseZoneA, new Map());
  const emergency = await parse('emergency.csv', parseEmergency, new Set());
  const highRiskText = contents.get('high-risk.csv');
  const highRisk = highRiskText === undefined ? new Map<string, string>() : parseHighRisk(highRiskText, list('high-risk.csv'));
  // In file order, then line order: a row's problems stay together, whichever check found them.
  const problems: RateFileProblem[] = [bandProblems, ...lists.values()].flatMap((l) =>
    [...l.problems].sort((a, b) => (a.line ?? 0) - (b.line ?? 0)),
  );
  if (problems.length > 0) throw new RateLoadError(dir, problems);
  return {
    ...(hasBands ? { bands } : {}),
    book: new IndexedRateBook(version, { outbound, tollFree, zoneA, emergency, highRisk }),
    rows: {
      'outbound.csv': outbound.length, 'toll-free.csv': tollFree.length, 'zone-a.csv': zoneA.size, 'emergency.csv': emergency.size,
      'high-risk.csv': highRisk.size,
    },
  };
}

/** Reads the rate files of `dir` and builds a book; rejects with RateLoadError naming every problem. */
export async function loadRateBook(dir: string): Promise<LoadedRates> {
  const bytes = new Map<string, Buffer>();
  await Promise.all(
    [...RATE_FILES, ...OPTIONAL_RATE_FILES].map(async (name) => {
      try {
        bytes.set(name, await readFile(join(dir, name)));
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      }
    }),
  );
  try {
    bytes.set(BANDS_FILE, await readFile(join(dir, BANDS_FILE)));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const encoding: RateFileProblem[] = [];
  const contents = new Map<string, string>();
  for (const [name, b] of bytes) {
    const text = utf8Text(b);
    if (text !== undefined) {
      contents.set(name, text);
      continue;
    }
    const bad = firstInvalidUtf8(b);
    if (bad) {
      const hex = bad.byte.toString(16).toUpperCase().padStart(2, '0');
      encoding.push(new RateFileProblem(join(dir, name), bad.line, undefined, `not valid UTF-8 (byte 0x${hex} at column ${bad.column}); save the file as UTF-8`));
    } else contents.set(name, b.toString('utf8'));
  }
  if (encoding.length > 0) throw new RateLoadError(dir, encoding);
  return buildRateBook(dir, contents, rateVersion(bytes));
}
