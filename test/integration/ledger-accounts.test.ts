/**
 * Top-ups (idempotent by reference, rule 24), the balance view with the
 * month's pools, and usage records read by start-time range (rule 27).
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { User } from '../../src/domain.js';
import type { RedisLedger } from '../../src/ledger/redis-ledger.js';
import type { UsageRecord } from '../../src/domain.js';
import { BACKENDS, T0, credits, holdRequest, newLedger, planPool, tenant } from '../support/ledger-fixtures.js';

function user(id: string, overrides: Partial<User> = {}): User {
  return {
    id, tenantId: 'acme', upn: `${id}@acme.example`, displayName: id, usageCountry: 'DE',
    policy: 'international_and_domestic', dialOutPolicy: 'any', licences: ['communicationCredits'], ...overrides,
  };
}

async function collect(it: AsyncIterable<UsageRecord>): Promise<UsageRecord[]> {
  const out: UsageRecord[] = [];
  for await (const r of it) out.push(r);
  return out;
}

describe.each(BACKENDS)('ledger accounts and usage (%s)', (backend) => {
  let ledger: RedisLedger;
  afterEach(async () => {
    await ledger?.close();
  });

  it('applies a top-up once per reference and returns the first result on a repeat', async () => {
    ledger = newLedger(backend);
    await ledger.putTenant(tenant('acme'));
    expect(await ledger.topUp('acme', 'inv-1', 5_000_000, T0)).toEqual({ applied: true, reference: 'inv-1', amount: 5_000_000, balanceAfter: 5_000_000 });
    expect(await ledger.topUp('acme', 'inv-2', 1_000_000, T0)).toMatchObject({ applied: true, balanceAfter: 6_000_000 });
    expect(await ledger.topUp('acme', 'inv-1', 9_000_000, T0)).toEqual({ applied: false, reference: 'inv-1', amount: 5_000_000, balanceAfter: 5_000_000 });
    const repeats = await Promise.all(Array.from({ length: 20 }, () => ledger.topUp('acme', 'inv-3', 250_000, T0)));
    expect(repeats.filter((r) => r.applied)).toHaveLength(1);
    expect((await ledger.balance('acme', T0)).balance).toBe(6_250_000);
  });

  it('rejects bad top-ups with a clear error and changes nothing', async () => {
    ledger = newLedger(backend);
    await ledger.putTenant(tenant('acme'));
    for (const amount of [-1_000_000, 0, 1.5, Number.NaN, 10 ** 15]) {
      await expect(ledger.topUp('acme', `bad-${amount}`, amount, T0)).rejects.toMatchObject({ code: 'BAD_INPUT' });
    }
    await expect(ledger.topUp('acme', '', 1000, T0)).rejects.toMatchObject({ code: 'BAD_INPUT' });
    await expect(ledger.topUp('ghost', 'x', 1000, T0)).rejects.toMatchObject({ code: 'UNKNOWN_TENANT' });
    await expect(ledger.balance('ghost', T0)).rejects.toMatchObject({ code: 'UNKNOWN_TENANT' });
    expect(await ledger.balance('acme', T0)).toMatchObject({ balance: 0, held: 0, available: 0 });
    expect(await ledger.getTenant('ghost')).toBeNull();
    // A rejected reference was not consumed.
    expect(await ledger.topUp('acme', 'bad--1000000', 1000, T0)).toMatchObject({ applied: true });
  });

  it("shows the current month's pools sized from plan holders and licences", async () => {
    ledger = newLedger(backend);
    await ledger.putTenant(tenant('acme', { creditLimit: 2_000_000 }));
    await ledger.putUser(user('u1', { plan: 'DOMESTIC' }));
    await ledger.putUser(user('u2', { plan: 'DOMESTIC', licences: ['audioConferencing'] }));
    await ledger.putUser(user('u3', { plan: 'DOMESTIC_INTERNATIONAL', usageCountry: 'GB' }));
    await ledger.hold(holdRequest('acme', 'c1', { sources: [planPool(360_000), credits] }));
    await ledger.answer('acme', 'c1', T0);
    await ledger.extend('acme', 'c1', T0 + 50_000);
    await ledger.settle('acme', 'c1', T0 + 61_000, 'caller_hangup');
    const view = await ledger.balance('acme', T0);
    expect(view).toMatchObject({ balance: 0, creditLimit: 2_000_000, available: 2_000_000, currency: 'EUR' });
    const byPool = Object.fromEntries(view.pools.map((p) => [JSON.stringify(p.pool), p]));
    expect(byPool[JSON.stringify({ kind: 'plan', country: 'DE', sku: 'DOMESTIC', scope: 'domestic', month: '2025-03', sizeSeconds: 360_000 })]).toMatchObject({ usedSeconds: 120, leftSeconds: 359_880 });
    expect(view.pools.map((p) => p.pool)).toEqual(expect.arrayContaining([
      { kind: 'plan', country: 'GB', sku: 'DOMESTIC_INTERNATIONAL', scope: 'domestic', month: '2025-03', sizeSeconds: 180_000 },
      { kind: 'plan', country: 'GB', sku: 'DOMESTIC_INTERNATIONAL', scope: 'international', month: '2025-03', sizeSeconds: 36_000 },
      { kind: 'dialout', month: '2025-03', sizeSeconds: 3600 },
    ]));
    expect(view.pools).toHaveLength(4);
    // Next month the pools start over.
    const april = await ledger.balance('acme', Date.UTC(2025, 3, 1));
    expect(april.pools.every((p) => p.usedSeconds === 0 && p.pool.month === '2025-04')).toBe(true);
  });

  it('reads usage records by start-time range, oldest first, across pages', async () => {
    ledger = newLedger(backend);
    await ledger.putTenant(tenant('acme'));
    await ledger.topUp('acme', 'opening', 100_000_000, T0);
    // 1,200 calls; each starts a minute after the previous, long ones end late, so end order differs from start order.
    const n = 1200;
    for (let i = 0; i < n; i++) {
      const start = T0 + i * 60_000;
      await ledger.hold(holdRequest('acme', `c${i}`, { nowMs: start }));
      if (i % 3 === 0) {
        await ledger.release('acme', `c${i}`, start + 5000, 'cancelled');
      } else {
        await ledger.answer('acme', `c${i}`, start);
        const length = i % 7 === 0 ? 50 : 5;
        await ledger.settle('acme', `c${i}`, start + length * 1000, 'caller_hangup');
      }
    }
    const all = await collect(ledger.usage('acme', T0, T0 + n * 60_000));
    expect(all).toHaveLength(n);
    expect(all.map((r) => r.callId)).toEqual(Array.from({ length: n }, (_, i) => `c${i}`));
    const slice = await collect(ledger.usage('acme', T0 + 100 * 60_000, T0 + 700 * 60_000));
    expect(slice.map((r) => r.callId)).toEqual(Array.from({ length: 600 }, (_, i) => `c${i + 100}`));
    const charged = all.reduce((s, r) => s + r.charge, 0);
    expect((await ledger.balance('acme', T0)).balance).toBe(100_000_000 - charged);
    expect(await collect(ledger.usage('acme', T0 + n * 60_000, T0 + 2 * n * 60_000))).toEqual([]);
  });

  it('finds a late-ending call by its start time', async () => {
    ledger = newLedger(backend);
    await ledger.putTenant(tenant('acme'));
    await ledger.topUp('acme', 'opening', 100_000_000, T0);
    await ledger.hold(holdRequest('acme', 'long'));
    await ledger.answer('acme', 'long', T0);
    for (let t = 50; t < 7200; t += 60) await ledger.extend('acme', 'long', T0 + t * 1000);
    await ledger.hold(holdRequest('acme', 'short', { nowMs: T0 + 100_000 }));
    await ledger.release('acme', 'short', T0 + 101_000, 'cancelled');
    await ledger.settle('acme', 'long', T0 + 7_200_000, 'caller_hangup');
    const firstMinute = await collect(ledger.usage('acme', T0, T0 + 60_000));
    expect(firstMinute.map((r) => r.callId)).toEqual(['long']);
    expect((await collect(ledger.usage('acme', T0, T0 + 200_000))).map((r) => r.callId)).toEqual(['long', 'short']);
  });

  it('trims usage on Redis time: one settle from an instance whose clock is 401 days fast trims nothing (issue: far-future end)', async () => {
    ledger = newLedger(backend, { usageRetentionDays: 400 });
    await ledger.putTenant(tenant('acme'));
    await ledger.topUp('acme', 'opening', 1_000_000, T0);
    for (let i = 0; i < 200; i++) {
      await ledger.hold(holdRequest('acme', `c${i}`, { nowMs: T0 + i * 600_000 }));
      await ledger.release('acme', `c${i}`, T0 + i * 600_000 + 1000, 'cancelled');
    }
    const fast = T0 + 401 * 86_400_000;
    await ledger.hold(holdRequest('acme', 'fast', { nowMs: fast }));
    await ledger.release('acme', 'fast', fast + 1000, 'cancelled');
    const kept = await collect(ledger.usage('acme', 0, fast + 86_400_000));
    expect(kept).toHaveLength(201);
  });

  it('refuses times further from Redis time than ledger.maxClockSkewSeconds, with a clear error', async () => {
    ledger = newLedger(backend, { maxClockSkewMs: 600_000 });
    await ledger.putTenant(tenant('acme'));
    const now = Date.now();
    await ledger.topUp('acme', 'opening', 1_000_000, now);
    const future = now + 401 * 86_400_000;
    await expect(ledger.hold(holdRequest('acme', 'c1', { nowMs: future }))).rejects.toMatchObject({
      code: 'CLOCK_SKEW', message: expect.stringMatching(/clock is \d+ s ahead of Redis time/),
    });
    await expect(ledger.topUp('acme', 'late', 1000, now - 3_600_000)).rejects.toMatchObject({ code: 'CLOCK_SKEW' });
    // Within the skew: a peer 25 s fast is fine.
    expect(await ledger.hold(holdRequest('acme', 'c2', { nowMs: now + 25_000 }))).toMatchObject({ ok: true });
    await ledger.answer('acme', 'c2', now + 25_000);
    await expect(ledger.settle('acme', 'c2', future, 'caller_hangup', { nowMs: future })).rejects.toMatchObject({ code: 'CLOCK_SKEW' });
    expect((await ledger.balance('acme', now)).liveCalls).toBe(1);
  });

  it('records a refused call with no charge, and refuses to record a charge without a settle', async () => {
    ledger = newLedger(backend);
    await ledger.putTenant(tenant('acme'));
    const base = holdRequest('acme', 'r1').draft;
    const record: UsageRecord = {
      ...base, usageId: 'u-r1', startTime: T0, endTime: T0, durationSeconds: 0, connectFee: 0, charge: 0, capability: 'none', endReason: 'rejected',
    };
    await ledger.recordUsage(record);
    expect(await collect(ledger.usage('acme', T0, T0 + 1))).toEqual([record]);
    await expect(ledger.recordUsage({ ...record, usageId: 'u-r2', charge: 10_000 })).rejects.toMatchObject({ code: 'BAD_INPUT' });
    await expect(ledger.recordUsage({ ...record, tenantId: 'ghost' })).rejects.toMatchObject({ code: 'UNKNOWN_TENANT' });
    expect(await collect(ledger.usage('acme', 0, T0 + 1))).toHaveLength(1);
  });
});
