import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { createMetrics } from '../../src/metrics.js';
import { RateLoadError } from '../../src/rating/rate-errors.js';
import { RateStore } from '../../src/rating/rate-store.js';
import { outbound, writeRates } from './rating-fixtures.js';

const GB_015 = '44,GB,United Kingdom,landline,EUR,0.0150,0,60,60,2025-01-01,false';
const GB_020 = '44,GB,United Kingdom,landline,EUR,0.0200,0,60,60,2025-01-01,false';
const NOW = Date.parse('2026-01-01');

function setup(rows = outbound(GB_015)) {
  const dir = writeRates({ 'outbound.csv': rows });
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      done();
    },
  });
  const logger = pino({ level: 'debug' }, sink);
  const metrics = createMetrics();
  const count = async (outcome: string) =>
    (await metrics.rateReloads.get()).values.find((v) => v.labels.outcome === outcome)?.value ?? 0;
  return { dir, lines, logger, metrics, count };
}

const stores: RateStore[] = [];
afterEach(() => {
  for (const s of stores.splice(0)) s.close();
});

async function open(env: ReturnType<typeof setup>, debounceMs?: number) {
  const store = await RateStore.open({ dir: env.dir, logger: env.logger, metrics: env.metrics, ...(debounceMs ? { debounceMs } : {}) });
  stores.push(store);
  return store;
}

describe('rule 23: RateStore hot reload keeps the last good tables', () => {
  it('a valid change swaps in the new version', async () => {
    const env = setup();
    const store = await open(env);
    const before = store.book;
    const swapped: string[] = [];
    store.onSwap((b) => swapped.push(b.version));
    writeFileSync(join(env.dir, 'outbound.csv'), outbound(GB_020));
    const result = await store.reload();
    expect(result).toEqual({ outcome: 'loaded', version: store.book.version, previous: before.version });
    expect(store.book.version).not.toBe(before.version);
    expect(store.book.outbound('+442079460000', NOW)?.pricePerMinute).toBe(20_000);
    // A call that took the old book keeps pricing from it.
    expect(before.outbound('+442079460000', NOW)?.pricePerMinute).toBe(15_000);
    expect(swapped).toEqual([store.book.version]);
    expect(await env.count('loaded')).toBe(2);
  });

  it('an invalid change is rejected whole, logged with every reason, and the old book keeps serving', async () => {
    const env = setup();
    const store = await open(env);
    const version = store.book.version;
    writeFileSync(join(env.dir, 'outbound.csv'), outbound(GB_020, '33,FR,France,landline,EUR,abc,0,60,60,2025-01-01,false'));
    writeFileSync(join(env.dir, 'zone-a.csv'), 'country,name\nZZ,Nowhere\n');
    const result = await store.reload('test');
    expect(result.outcome).toBe('rejected');
    const problems = result.outcome === 'rejected' ? result.problems : [];
    expect(problems).toEqual([
      `${env.dir}/outbound.csv:3: column "price_per_minute": "abc" is not a decimal amount (digits, a dot and up to 6 decimals, e.g. 0.0125)`,
      `${env.dir}/zone-a.csv:2: column "country": "ZZ" is not an ISO 3166-1 alpha-2 country code (e.g. \"GB\", \"US\", \"DE\")`,
    ]);
    expect(store.book.version).toBe(version);
    expect(store.book.outbound('+442079460000', NOW)?.pricePerMinute).toBe(15_000);
    expect(store.book.isZoneA('GB')).toBe(true);
    const logged = env.lines.find((l) => l.msg?.toString().startsWith('rate files rejected'));
    expect(logged).toMatchObject({ level: 50, trigger: 'test', rateVersion: version, problemCount: 2, problems });
    expect(await env.count('rejected')).toBe(1);

    // Fixing the files afterwards is picked up.
    writeFileSync(join(env.dir, 'outbound.csv'), outbound(GB_020));
    writeFileSync(join(env.dir, 'zone-a.csv'), 'country,name\nGB,United Kingdom\n');
    expect((await store.onSighup()).outcome).toBe('loaded');
    expect(store.book.outbound('+442079460000', NOW)?.pricePerMinute).toBe(20_000);
  });

  it('a deleted file is a rejected change', async () => {
    const env = setup();
    const store = await open(env);
    writeFileSync(join(env.dir, 'emergency.csv'), '');
    const result = await store.reload();
    expect(result.outcome === 'rejected' && result.problems).toEqual([
      `${env.dir}/emergency.csv: no header row; the first line must name the columns: country,number`,
    ]);
    expect(store.book.isEmergency('GB', '999')).toBe(true);
  });

  it('unchanged files keep the version and count no load', async () => {
    const env = setup();
    const store = await open(env);
    expect(await store.reload()).toEqual({ outcome: 'unchanged', version: store.book.version });
    expect(await env.count('loaded')).toBe(1);
  });

  it('concurrent reloads share one load', async () => {
    const env = setup();
    const store = await open(env);
    writeFileSync(join(env.dir, 'outbound.csv'), outbound(GB_020));
    const [a, b] = await Promise.all([store.reload(), store.reload()]);
    expect(a).toEqual(b);
    expect(await env.count('loaded')).toBe(2);
  });

  it('an invalid directory at start-up throws with every problem', async () => {
    const env = setup(outbound('44,GB,United Kingdom,landline,EUR,0.0150,0,60,60,2025-13-01,false'));
    await expect(open(env)).rejects.toBeInstanceOf(RateLoadError);
    await expect(open(env)).rejects.toThrow(/outbound\.csv:2: column "effective_from": "2025-13-01"/);
    expect(await env.count('rejected')).toBe(2);
  });

  it('watch mode reloads after a file changes', async () => {
    const env = setup();
    const store = await open(env, 20);
    const swapped = new Promise<string>((resolve) => store.onSwap((b) => resolve(b.version)));
    store.watch();
    writeFileSync(join(env.dir, 'outbound.csv'), outbound(GB_020));
    const version = await swapped;
    expect(store.book.version).toBe(version);
    expect(store.book.outbound('+442079460000', NOW)?.pricePerMinute).toBe(20_000);
    expect(env.lines.some((l) => l.msg === 'rate tables reloaded' && l.trigger === 'watch')).toBe(true);
  });
});
