/**
 * Benchmark of the rating layer: loads a generated 200,000-row outbound table
 * and prints load time, memory, longest-prefix lookups and normalize+lookup
 * per second, each beside a baseline measured in the same run: a bare CSV
 * split of the same text, the Map-probing index the sorted arrays replaced (kept
 * below), and libphonenumber asked about every number (normalizeNumberEagerly).
 *
 *   npx tsx bench/rate-load.ts [--rows 200000] [--lookups 1000000] [--loads 3]
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { countryOfNormalized, countryOfNumber } from '../src/rating/number-country.js';
import { normalizeNumber, normalizeNumberEagerly } from '../src/rating/phone-number.js';
import { loadRateBook } from '../src/rating/rate-loader.js';
import { IndexedRateBook } from '../src/rating/rate-book.js';
import type { OutboundRate } from '../src/rating/types.js';

const { values: args } = parseArgs({
  options: {
    rows: { type: 'string', default: '200000' },
    lookups: { type: 'string', default: '1000000' },
    loads: { type: 'string', default: '3' },
  },
});
const ROWS = Number(args.rows);
const LOOKUPS = Number(args.lookups);
const LOADS = Number(args.loads);
const COUNTRIES: [string, string][] = [
  ['1', 'US'], ['44', 'GB'], ['33', 'FR'], ['49', 'DE'], ['34', 'ES'], ['39', 'IT'], ['31', 'NL'], ['61', 'AU'],
  ['81', 'JP'], ['91', 'IN'], ['55', 'BR'], ['52', 'MX'], ['27', 'ZA'], ['353', 'IE'], ['358', 'FI'], ['852', 'HK'],
];

// Deterministic pseudo-random numbers so runs are comparable.
let seed = 42;
function rand(n: number): number {
  // mulberry32: 32-bit integer arithmetic, so no float precision is lost
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) % n;
}
const digits = (n: number) => Array.from({ length: n }, () => rand(10)).join('');

function generate(dir: string): string[] {
  const seen = new Set<string>();
  const lines = ['prefix,country,destination,number_type,currency,price_per_minute,connection_fee,initial_increment,subsequent_increment,effective_from,premium_allowed'];
  const prefixes: string[] = [];
  while (prefixes.length < ROWS) {
    const [cc, country] = COUNTRIES[rand(COUNTRIES.length)]!;
    const prefix = cc + digits(2 + rand(7));
    const dated = rand(10) === 0; // a tenth of the prefixes get a second, later row
    if (seen.has(prefix)) continue;
    seen.add(prefix);
    const price = `0.${String(100 + rand(9900)).padStart(4, '0')}`;
    lines.push(`${prefix},${country},Destination ${prefix},${rand(2) ? 'mobile' : 'landline'},USD,${price},0,60,${rand(2) ? 60 : 1},2025-01-01,false`);
    prefixes.push(prefix);
    if (dated && prefixes.length < ROWS) {
      lines.push(`${prefix},${country},Destination ${prefix},landline,USD,${price},0.01,30,6,2026-06-01T00:00:00Z,false`);
      prefixes.push(prefix);
    }
  }
  writeFileSync(join(dir, 'outbound.csv'), `${lines.join('\n')}\n`);
  writeFileSync(join(dir, 'toll-free.csv'), 'origin_prefix,origin_country,service_country,currency,price_per_minute,effective_from\n44,GB,*,USD,0.02,2025-01-01\n');
  writeFileSync(join(dir, 'zone-a.csv'), 'country,name\nGB,United Kingdom\n');
  writeFileSync(join(dir, 'emergency.csv'), 'country,number\n*,112\n');
  return prefixes;
}

/**
 * The index the sorted arrays replaced, as the baseline: a Map from the numeric value
 * of each prefix to its rows by date, probed from the longest prefix down.
 */
class MapPrefixIndex {
  private readonly byPrefix = new Map<number, OutboundRate[]>();
  private readonly maxLength: number;
  private readonly keys = new Array<number>(16).fill(0);

  constructor(rows: readonly OutboundRate[]) {
    let max = 0;
    for (const row of rows) {
      if (!/^[1-9]\d{0,14}$/.test(row.prefix)) throw new RangeError(`"${row.prefix}" is not a dialing prefix`);
      const key = Number(row.prefix);
      const list = this.byPrefix.get(key);
      if (list) list.push(row);
      else this.byPrefix.set(key, [row]);
      if (row.prefix.length > max) max = row.prefix.length;
    }
    for (const list of this.byPrefix.values()) list.sort((a, b) => a.effectiveFrom - b.effectiveFrom);
    this.maxLength = max;
  }

  /** As RateBook.outbound did: digits checked by char code, then the probe. */
  outbound(number: string, atMs: number): OutboundRate | undefined {
    const start = number.charCodeAt(0) === 43 ? 1 : 0;
    if (number.length === start || number.charCodeAt(start) === 48) return undefined;
    for (let i = start; i < number.length; i++) {
      const c = number.charCodeAt(i);
      if (c < 48 || c > 57) return undefined;
    }
    const n = Math.min(this.maxLength, number.length - start);
    const keys = this.keys;
    let value = 0;
    for (let i = 0; i < n; i++) {
      value = value * 10 + (number.charCodeAt(start + i) - 48);
      keys[i + 1] = value;
    }
    for (let len = n; len > 0; len--) {
      const list = this.byPrefix.get(keys[len]!);
      if (!list) continue;
      for (let i = list.length - 1; i >= 0; i--) if (list[i]!.effectiveFrom <= atMs) return list[i];
    }
    return undefined;
  }
}

/**
 * Inputs per second of each loop over `inputs`, after one untimed pass to
 * warm the JIT: the loops take turns, ROUNDS times, and each keeps its best
 * round, so a burst of other work on a shared machine hurts all alike. Each
 * loop is its own function with its own call site, written the same way for
 * the code measured and its baseline, so neither pays for a call site shared
 * by every op (megamorphic, never inlined) and what is timed is the op.
 * A loop returns a count of what it found, so no result goes unused.
 */
function perSecond<I>(inputs: readonly I[], ...loops: ((inputs: readonly I[]) => number)[]): number[] {
  const best = loops.map(() => 0);
  const warm = inputs.slice(0, 20_000);
  for (const loop of loops) if (loop(warm) < 0) throw new Error('unreachable');
  for (let round = 0; round < ROUNDS; round++) {
    loops.forEach((loop, k) => {
      const t0 = performance.now();
      const found = loop(inputs);
      best[k] = Math.max(best[k]!, inputs.length / ((performance.now() - t0) / 1000));
      if (found < 0) throw new Error('unreachable');
    });
  }
  return best;
}
const ROUNDS = 3;

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
const ratio = (a: number, b: number) => `${(a / b).toFixed(2)}×`;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'tollgate-bench-rates-'));
  try {
    const prefixes = generate(dir);

    // Load: the whole loadRateBook (read, UTF-8 check, parse, validate, index), LOADS times; the first is a cold start.
    const loadMs: number[] = [];
    const loadCpuMs: number[] = [];
    let loaded: Awaited<ReturnType<typeof loadRateBook>> | undefined;
    const heapBefore = process.memoryUsage().heapUsed;
    let heapMb = 0;
    for (let i = 0; i < LOADS; i++) {
      loaded = undefined;
      const t0 = performance.now();
      const cpu0 = process.cpuUsage();
      loaded = await loadRateBook(dir);
      loadMs.push(performance.now() - t0);
      const cpu = process.cpuUsage(cpu0);
      loadCpuMs.push((cpu.user + cpu.system) / 1000);
      if (i === 0) heapMb = (process.memoryUsage().heapUsed - heapBefore) / 1_048_576;
    }
    const { book, rows } = loaded!;
    // Baseline: the same file split into lines and cells with no checking at all.
    const text = readFileSync(join(dir, 'outbound.csv'), 'utf8');
    const splitMs: number[] = [];
    for (let i = 0; i < LOADS; i++) {
      const t0 = performance.now();
      let cells = 0;
      for (const line of text.split('\n')) if (line !== '') cells += line.split(',').length;
      splitMs.push(performance.now() - t0);
      if (cells === 0) throw new Error('nothing split');
    }
    // Building the index alone (part of the load above), new and before, best of LOADS each.
    const tables = (book as IndexedRateBook).tables;
    let reference = new MapPrefixIndex(tables.outbound);
    let indexBuildMs = Infinity;
    let mapBuildMs = Infinity;
    for (let i = 0; i < LOADS; i++) {
      let t0 = performance.now();
      new IndexedRateBook(book.version, tables);
      indexBuildMs = Math.min(indexBuildMs, performance.now() - t0);
      t0 = performance.now();
      reference = new MapPrefixIndex(tables.outbound);
      mapBuildMs = Math.min(mapBuildMs, performance.now() - t0);
    }

    // Half the numbers extend a known prefix, half are random international numbers.
    const numbers = Array.from({ length: LOOKUPS }, (_, i) => {
      const base = i % 2 === 0 ? prefixes[rand(prefixes.length)]! : COUNTRIES[rand(COUNTRIES.length)]![0];
      return `+${base}${digits(Math.max(1, 12 - base.length))}`;
    });
    const at = Date.parse('2026-07-01');
    let differ = 0;
    let found = 0;
    for (const n of numbers) {
      const row = book.outbound(n, at);
      if (row) found++;
      if (row !== reference.outbound(n, at)) differ++;
    }
    const [indexLookups, mapLookups] = perSecond(
      numbers,
      (xs) => {
        let hits = 0;
        for (const n of xs) if (book.outbound(n, at) !== undefined) hits++;
        return hits;
      },
      (xs) => {
        let hits = 0;
        for (const n of xs) if (reference.outbound(n, at) !== undefined) hits++;
        return hits;
      },
    ) as [number, number];

    // Normalize + lookup, as a call's destination is; then the number's country as admission asks for it.
    const some = numbers.slice(0, 200_000);
    const [fastNorm, eagerNorm] = perSecond(
      some,
      (xs) => {
        let hits = 0;
        for (const raw of xs) {
          const n = normalizeNumber(raw);
          if (n.ok && book.outbound(n.e164, at) !== undefined) hits++;
        }
        return hits;
      },
      (xs) => {
        let hits = 0;
        for (const raw of xs) {
          const n = normalizeNumberEagerly(raw);
          if (n.ok && reference.outbound(n.e164, at) !== undefined) hits++;
        }
        return hits;
      },
    ) as [number, number];
    const [fastCountry, eagerCountry, fastCountryLazy] = perSecond(
      some,
      (xs) => {
        let known = 0;
        for (const raw of xs) {
          const n = normalizeNumber(raw);
          if (n.ok && countryOfNumber(book, n.e164, at, n.country) !== undefined) known++;
        }
        return known;
      },
      (xs) => {
        let known = 0;
        for (const raw of xs) {
          const n = normalizeNumberEagerly(raw);
          if (n.ok && countryOfNumber(book, n.e164, at, n.country) !== undefined) known++;
        }
        return known;
      },
      (xs) => {
        let known = 0;
        for (const raw of xs) {
          const n = normalizeNumber(raw);
          if (n.ok && countryOfNormalized(book, n, at) !== undefined) known++;
        }
        return known;
      },
    ) as [number, number, number];

    console.log(`rows loaded:            ${rows['outbound.csv']} outbound (version ${book.version})`);
    console.log(`load time:              ${loadMs.map((m) => m.toFixed(0)).join(' / ')} ms wall over ${LOADS} loads, ${loadCpuMs.map((m) => m.toFixed(0)).join(' / ')} ms CPU (read, UTF-8 check, parse, validate, index); first is cold`);
    console.log(`  baseline, same run:   ${median(splitMs).toFixed(0)} ms median to split the same text into lines and cells, no checks (load median = ${ratio(median(loadMs), median(splitMs))} that)`);
    console.log(`heap after first load:  +${heapMb.toFixed(0)} MB`);
    console.log(`lookups:                ${fmt(LOOKUPS)} random numbers, ${fmt(found)} matched, ${differ} answers differ from the Map index`);
    console.log(`lookups per second:     ${fmt(indexLookups)} sorted-array index (book.outbound), best of ${ROUNDS} rounds taken in turn with the baseline`);
    console.log(`  baseline, same run:   ${fmt(mapLookups)} Map probe (the index before), new = ${ratio(indexLookups, mapLookups)}`);
    console.log(`index build:            ${indexBuildMs.toFixed(0)} ms (rate book of the loaded rows), Map index before ${mapBuildMs.toFixed(0)} ms; best of ${LOADS}`);
    console.log(`normalize+lookup /s:    ${fmt(fastNorm)} E.164 fast path + new index`);
    console.log(`  baseline, same run:   ${fmt(eagerNorm)} libphonenumber on every number + Map probe (as before), fast = ${ratio(fastNorm, eagerNorm)}`);
    console.log(`+ country of the number (normalize, then the rate row's country, else libphonenumber's):`);
    console.log(`  countryOfNumber(book, n.e164, at, n.country), n.country read first: ${fmt(fastCountry)} fast path, ${fmt(eagerCountry)} eager (${ratio(fastCountry, eagerCountry)})`);
    console.log(`  countryOfNormalized(book, n, at), n.country read only without a row: ${fmt(fastCountryLazy)} (${ratio(fastCountryLazy, eagerCountry)} eager)`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
