/**
 * Benchmark of the rating layer: loads a generated 200,000-row outbound table
 * and prints load time, memory and longest-prefix lookups per second.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { normalizeNumber } from '../src/rating/phone-number.js';
import { loadRateBook } from '../src/rating/rate-loader.js';

const ROWS = 200_000;
const LOOKUPS = 1_000_000;
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

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'tollgate-bench-rates-'));
  try {
    const prefixes = generate(dir);
    const heapBefore = process.memoryUsage().heapUsed;
    let t0 = performance.now();
    const cpu0 = process.cpuUsage();
    const { book, rows } = await loadRateBook(dir);
    const loadMs = performance.now() - t0;
    const cpu = process.cpuUsage(cpu0);
    const loadCpuMs = (cpu.user + cpu.system) / 1000;
    const heapMb = (process.memoryUsage().heapUsed - heapBefore) / 1_048_576;

    // Half the numbers extend a known prefix, half are random international numbers.
    const numbers = Array.from({ length: LOOKUPS }, (_, i) => {
      const base = i % 2 === 0 ? prefixes[rand(prefixes.length)]! : COUNTRIES[rand(COUNTRIES.length)]![0];
      return `+${base}${digits(Math.max(1, 12 - base.length))}`;
    });
    const at = Date.parse('2026-07-01');
    let found = 0;
    t0 = performance.now();
    const cpu1 = process.cpuUsage();
    for (const n of numbers) if (book.outbound(n, at)) found++;
    const lookupS = (performance.now() - t0) / 1000;
    const lookupCpu = process.cpuUsage(cpu1);
    const lookupCpuS = (lookupCpu.user + lookupCpu.system) / 1e6;

    const normCount = 100_000;
    t0 = performance.now();
    for (let i = 0; i < normCount; i++) {
      const n = normalizeNumber(numbers[i]!);
      if (n.ok) book.outbound(n.e164, at);
    }
    const normS = (performance.now() - t0) / 1000;

    console.log(`rows loaded:            ${rows['outbound.csv']} outbound (version ${book.version})`);
    console.log(`load time:              ${loadMs.toFixed(0)} ms wall, ${loadCpuMs.toFixed(0)} ms CPU (read, parse, validate, index)`);
    console.log(`heap after load:        +${heapMb.toFixed(0)} MB`);
    console.log(`lookups:                ${LOOKUPS} random numbers, ${found} matched`);
    console.log(`lookups per second:     ${Math.round(LOOKUPS / lookupS).toLocaleString('en-US')} wall, ${Math.round(LOOKUPS / lookupCpuS).toLocaleString('en-US')} per CPU second`);
    console.log(`normalize+lookup /s:    ${Math.round(normCount / normS).toLocaleString('en-US')} (libphonenumber max metadata)`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
