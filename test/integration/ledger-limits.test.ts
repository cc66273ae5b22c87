/**
 * DOMAIN rule 28 in the ledger: limits checked in the same script that takes
 * the hold, so two instances racing can never together exceed one — live
 * calls of a tenant and of a user, spend (charged + held) in a rolling hour,
 * the most one call may cost, call attempts per second — each refusal with its
 * own code, and one notice per limit per window.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import type { HoldLimits } from '../../src/domain.js';
import type { RedisLedger } from '../../src/ledger/redis-ledger.js';
import { BACKENDS, T0, holdRequest, newLedger, tenant, uniquePrefix } from '../support/ledger-fixtures.js';

describe.each(BACKENDS)('ledger limits, rule 28 (%s)', (backend) => {
  const ledgers: RedisLedger[] = [];
  afterEach(async () => {
    await Promise.all(ledgers.splice(0).map((l) => l.close()));
  });

  /** Two gateway instances on one Redis and key prefix, and a tenant with 100.00. */
  async function twoInstances(): Promise<[RedisLedger, RedisLedger]> {
    const keyPrefix = uniquePrefix();
    const a = newLedger(backend, { keyPrefix });
    const b = newLedger(backend, { keyPrefix });
    ledgers.push(a, b);
    await a.putTenant(tenant('acme'));
    await a.topUp('acme', 'opening', 100_000_000, T0);
    return [a, b];
  }

  const hold = (l: RedisLedger, callId: string, limits: HoldLimits, userId = 'ann') =>
    l.hold({ ...holdRequest('acme', callId), userId, limits });

  it('two instances racing past a concurrent-call limit admit exactly the limit, tenant and user alike', async () => {
    const [a, b] = await twoInstances();
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => hold(i % 2 ? a : b, `t${i}`, { tc: 5 }, `u${i}`)));
    expect(results.filter((r) => r.ok)).toHaveLength(5);
    expect(results.filter((r) => !r.ok).map((r) => !r.ok && [r.refusal, r.scope])).toEqual(Array(15).fill(['LIMIT_CONCURRENT', 'tenant']));
    // A user's own limit, across both instances too.
    await Promise.all(results.map((r, i) => r.ok && a.release('acme', `t${i}`, T0, 'cancelled')));
    const mine = await Promise.all(Array.from({ length: 8 }, (_, i) => hold(i % 2 ? a : b, `m${i}`, { uc: 2 }, 'ann')));
    expect(mine.filter((r) => r.ok)).toHaveLength(2);
    expect(mine.filter((r) => !r.ok).every((r) => !r.ok && r.refusal === 'LIMIT_CONCURRENT' && r.scope === 'user')).toBe(true);
    // Ending one frees its place.
    const held = mine.findIndex((r) => r.ok);
    await b.release('acme', `m${held}`, T0, 'cancelled');
    expect(await hold(a, 'm-next', { uc: 2 }, 'ann')).toMatchObject({ ok: true });
    expect(await hold(a, 'other-user', { uc: 2 }, 'bob')).toMatchObject({ ok: true });
  });

  it('two instances racing past a spend limit never hold or charge more than it, over the rolling hour', async () => {
    const [a, b] = await twoInstances();
    // EUR 0.10 a minute, 60/60: each first slice holds 0.10; the hour may spend 0.50.
    const limits = { th: 500_000 };
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => hold(i % 2 ? a : b, `c${i}`, limits)));
    const admitted = results.flatMap((r, i) => (r.ok ? [i] : []));
    expect(admitted).toHaveLength(5);
    expect(results.filter((r) => !r.ok).every((r) => !r.ok && r.refusal === 'LIMIT_SPEND')).toBe(true);
    expect((await a.balance('acme', T0)).held).toBe(500_000);
    // They talk 30 s and settle: 0.50 charged this hour, so the next call is refused although 99.50 are there.
    for (const i of admitted) {
      await a.answer('acme', `c${i}`, T0);
      await b.settle('acme', `c${i}`, T0 + 30_000, 'caller_hangup');
    }
    expect(await a.balance('acme', T0)).toMatchObject({ balance: 99_500_000, held: 0 });
    expect(await hold(b, 'after', limits)).toEqual({ ok: false, refusal: 'LIMIT_SPEND' });
    // A user's hour counts only that user's calls.
    expect(await hold(b, 'bob-1', { uhr: 200_000 }, 'bob')).toMatchObject({ ok: true });
  });

  it('a live call stops being funded at the spend limit: its extend reports it exhausted by the limit', async () => {
    const [a] = await twoInstances();
    // 1/1 at EUR 0.60 a minute (one cent a second): 0.25 in the hour funds 25 s.
    const rate = { currency: 'EUR', pricePerMinute: 600_000, connectFee: 0, initialIncrement: 1, subsequentIncrement: 1 };
    const first = await a.hold({ ...holdRequest('acme', 'c1', { rate }), userId: 'ann', limits: { th: 250_000 } });
    expect(first).toMatchObject({ ok: true, fundedSeconds: 25, heldMicros: 250_000 });
    await a.answer('acme', 'c1', T0);
    expect(await a.extend('acme', 'c1', T0 + 20_000)).toMatchObject({ fundedSeconds: 25, exhausted: true, limited: true });
    const settled = await a.settle('acme', 'c1', T0 + 25_000, 'limit_reached');
    expect(settled.record).toMatchObject({ durationSeconds: 25, charge: 250_000, endReason: 'limit_reached' });
  });

  it('caps one call at the most it may cost, and refuses a call that cannot fund its first increment under it', async () => {
    const [a] = await twoInstances();
    const rate = { currency: 'EUR', pricePerMinute: 600_000, connectFee: 0, initialIncrement: 1, subsequentIncrement: 1 };
    expect(await a.hold({ ...holdRequest('acme', 'c1', { rate }), limits: { mc: 120_000 } })).toMatchObject({ ok: true, fundedSeconds: 12 });
    expect(await a.hold({ ...holdRequest('acme', 'c2', { rate: { ...rate, connectFee: 200_000 } }), limits: { mc: 120_000 } })).toEqual({ ok: false, refusal: 'LIMIT_CALL_CHARGE' });
  });

  it('limits call attempts per second with a token bucket, and says when to retry', async () => {
    const [a, b] = await twoInstances();
    const results = [];
    for (let i = 0; i < 4; i++) results.push(await hold(i % 2 ? a : b, `r${i}`, { ar: 3 }));
    expect(results.slice(0, 3).every((r) => r.ok)).toBe(true);
    const refused = results[3]!;
    expect(refused).toMatchObject({ ok: false, refusal: 'LIMIT_RATE' });
    expect(!refused.ok && refused.retryAfterMs).toBeGreaterThan(0);
    expect(!refused.ok && refused.retryAfterMs).toBeLessThanOrEqual(334);
    await sleep(400);
    expect(await hold(a, 'r-later', { ar: 3 })).toMatchObject({ ok: true });
  });

  it('keeps no spend bucket past its window, however sparse the charges: each bucket is listed, and leaves when a new one starts', async () => {
    const [a] = await twoInstances();
    const key = `${a.keyPrefix}:{acme}:limits`;
    const [sec] = await a.client.time();
    const m = Math.floor(Number(sec) / 60), hr = Math.floor(Number(sec) / 3600);
    // Earlier charges: one a window ago (gone at the next bucket), one still inside it, for the tenant and for ann.
    await a.client.hset(key, {
      [`sm:${m - 100}`]: '100000', [`sm:${m - 10}`]: '100000', smk: `${m - 100} ${m - 10}`,
      [`sh:${hr - 30}`]: '100000', [`sh:${hr - 1}`]: '100000', shk: `${hr - 30} ${hr - 1}`,
      [`usm:ann:${m - 61}`]: '100000', [`usmk:ann`]: `${m - 61}`, [`ush:ann:${hr - 24}`]: '100000', [`ushk:ann`]: `${hr - 24}`,
    });
    for (const id of ['s1', 's2']) {
      expect(await hold(a, id, {})).toMatchObject({ ok: true });
      await a.answer('acme', id, T0);
      expect((await a.settle('acme', id, T0 + 30_000, 'caller_hangup')).record.charge).toBe(100_000);
    }
    const [after] = await a.client.time();
    const mNow = Math.floor(Number(after) / 60), hNow = Math.floor(Number(after) / 3600);
    const fields = await a.client.hgetall(key);
    const buckets = (re: RegExp) => Object.keys(fields).flatMap((f) => { const x = re.exec(f); return x ? [Number(x[1])] : []; }).sort((p, q) => p - q);
    const listed = (f: string) => (fields[f] ?? '').split(' ').filter(Boolean).map(Number).sort((p, q) => p - q);
    for (const [re, list, oldest] of [
      [/^sm:(\d+)$/, 'smk', mNow - 59], [/^sh:(\d+)$/, 'shk', hNow - 23],
      [/^usm:ann:(\d+)$/, 'usmk:ann', mNow - 59], [/^ush:ann:(\d+)$/, 'ushk:ann', hNow - 23],
    ] as const) {
      expect(buckets(re), list).toEqual(listed(list));
      expect(buckets(re).every((b) => b >= oldest - 1), list).toBe(true);
    }
    expect(buckets(/^sm:(\d+)$/)).toContain(m - 10);
    // The window still counts what is in it: 0.10 earlier this hour plus the two calls' 0.10 each.
    expect(Number(fields[`sm:${m - 10}`]) + buckets(/^sm:(\d+)$/).filter((b) => b >= mNow - 1).reduce((t, b) => t + Number(fields[`sm:${b}`]), 0)).toBe(300_000);
  });

  it('sends one notice per limit per window, however often it is hit', async () => {
    const [a, b] = await twoInstances();
    await hold(a, 'x1', { tc: 1 });
    for (let i = 0; i < 5; i++) expect(await hold(i % 2 ? a : b, `x${i + 2}`, { tc: 1 })).toMatchObject({ ok: false, refusal: 'LIMIT_CONCURRENT' });
    const effects = await a.outbox.read('test', { count: 100 });
    expect(effects.filter((e) => e.kind === 'limit').map((e) => [e.tenantId, e.limit])).toEqual([['acme', 'LIMIT_CONCURRENT']]);
  });
});
