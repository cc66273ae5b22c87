/**
 * Rate impact benchmark: re-prices N recorded calls (default 1,000,000),
 * generated directly as usage records (no Redis), with the sample tables and
 * with a banded copy of them (every row split into peak and off-peak, rule
 * 29); prints rows/s of each run.
 *   npx tsx bench/rates-impact.ts [--records 1000000]
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import type { UsageRecord } from '../src/domain.js';
import { loadRateBook } from '../src/rating/rate-loader.js';
import type { RateBook } from '../src/rating/types.js';
import { RateImpact } from '../src/usage/rate-impact.js';

const { values } = parseArgs({ options: { records: { type: 'string', default: '1000000' } } });
const total = Number(values.records);

/** The sample tables with each outbound row split into a peak (x1.25) and an off-peak (x0.75) band row. */
function bandedCopy(): string {
  const dir = mkdtempSync(join(tmpdir(), 'tollgate-impact-'));
  for (const f of ['toll-free.csv', 'zone-a.csv', 'emergency.csv']) copyFileSync(join('rates', f), join(dir, f));
  writeFileSync(join(dir, 'bands.csv'), 'schedule,band,time_zone,days,from,to\nw,peak,Europe/London,mon-fri,08:00,18:00\nw,off,Europe/London,,,\n');
  const lines = readFileSync('rates/outbound.csv', 'utf8').split('\n');
  const out: string[] = [];
  let header: string[] | undefined;
  for (const line of lines) {
    if (line.trim() === '' || line.startsWith('#')) continue;
    if (!header) {
      header = line.split(',');
      out.push(`${line},band`);
      continue;
    }
    const cells = line.split(',');
    const p = header.indexOf('price_per_minute');
    const price = Number(cells[p]);
    for (const [band, k] of [['peak', 1.25], ['off', 0.75]] as const) {
      const c = [...cells];
      c[p] = (price * k).toFixed(6);
      out.push(`${c.join(',')},${band}`);
    }
  }
  writeFileSync(join(dir, 'outbound.csv'), `${out.join('\n')}\n`);
  return dir;
}

function records(book: RateBook, n: number): UsageRecord[] {
  const prefixes = [...new Set((book as unknown as { tables: { outbound: Array<{ prefix: string; currency: string }> } }).tables.outbound.map((r) => r.prefix))];
  const caps = ['credits', 'credits', 'credits', 'credits', 'credits', 'credits', 'DOMESTIC', 'DOMESTIC+credits'];
  const start = Date.UTC(2025, 2, 1);
  let seed = 12345;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
  const out: UsageRecord[] = [];
  for (let i = 0; i < n; i++) {
    const prefix = prefixes[Math.floor(rnd() * prefixes.length)]!;
    const number = `+${prefix}${String(Math.floor(rnd() * 1e9)).padStart(9, '0')}`.slice(0, 14);
    const t = start + Math.floor(rnd() * 30 * 86_400_000);
    const dur = rnd() < 0.1 ? 0 : Math.floor(rnd() * 1800);
    const emergency = rnd() < 0.03;
    out.push({
      usageId: `u${i}`, tenantId: `t${i % 500}`, callId: `c${i}`, callType: emergency ? 'emergency' : 'user_out', callDirection: 'outbound',
      destinationDialed: number, destinationNumber: number, startTime: t, endTime: t + dur * 1000, durationSeconds: dur,
      connectFee: 0, charge: dur * 250, currency: 'USD', capability: emergency ? 'free' : caps[Math.floor(rnd() * caps.length)]!, endReason: 'caller_hangup',
    });
  }
  return out;
}

const flat = (await loadRateBook('rates')).book;
const dir = bandedCopy();
try {
  const banded = (await loadRateBook(dir)).book;
  const t0 = performance.now();
  const recs = records(flat, total);
  console.log(`generated ${total.toLocaleString('en-US')} usage records in ${((performance.now() - t0) / 1000).toFixed(2)} s`);
  for (const [name, book] of [['sample tables', flat], ['banded copy (peak/off-peak, Europe/London)', banded]] as const) {
    const impact = new RateImpact(book, Date.UTC(2025, 2, 1), Date.UTC(2025, 3, 1));
    const s = performance.now();
    for (const r of recs) impact.add(r);
    const report = impact.report();
    const secs = (performance.now() - s) / 1000;
    const repriced = report.records - report.unanswered - report.unrated;
    console.log(`${name}: ${total.toLocaleString('en-US')} records (${repriced.toLocaleString('en-US')} re-priced) in ${secs.toFixed(2)} s = ${Math.round(total / secs).toLocaleString('en-US')} rows/s; ${report.tenants.length} tenants, ${report.destinations.length} destinations`);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
