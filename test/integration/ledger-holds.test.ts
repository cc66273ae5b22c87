/**
 * Holds, extends, settle and release against a real Redis and a real Redis
 * Cluster: funding order, slices, the cut-off second, charges, notices and
 * idempotency (DOMAIN rules 9, 12, 18, 19, 20, 22).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { LedgerError } from '../../src/ledger/errors.js';
import type { RedisLedger } from '../../src/ledger/redis-ledger.js';
import { BACKENDS, T0, credits, dialOutPool, free, holdRequest, newLedger, planPool, tenant, terms } from '../support/ledger-fixtures.js';

describe.each(BACKENDS)('ledger holds (%s)', (backend) => {
  let ledger: RedisLedger;
  afterEach(async () => {
    await ledger?.close();
  });

  async function withTenant(balance: number, overrides: Parameters<typeof tenant>[1] = {}) {
    ledger = newLedger(backend);
    await ledger.putTenant(tenant('acme', overrides));
    if (balance > 0) await ledger.topUp('acme', 'opening', balance, T0);
  }

  it('holds a credit slice, meters answered time and debits exactly the charge', async () => {
    await withTenant(10_000_000);
    const held = await ledger.hold(holdRequest('acme', 'c1'));
    expect(held).toEqual({ ok: true, fundedSeconds: 60, heldMicros: 100_000, unlimited: false });
    expect((await ledger.balance('acme', T0)).available).toBe(9_900_000);
    await ledger.answer('acme', 'c1', T0 + 2000);
    // More than a slice still funded: the lease is renewed, nothing more is held.
    expect(await ledger.extend('acme', 'c1', T0 + 2000)).toEqual({ fundedSeconds: 60, exhausted: false, unlimited: false, heldMicros: 100_000 });
    expect(await ledger.extend('acme', 'c1', T0 + 52_000)).toEqual({ fundedSeconds: 120, exhausted: false, unlimited: false, heldMicros: 200_000 });
    const settled = await ledger.settle('acme', 'c1', T0 + 2000 + 61_500, 'caller_hangup');
    expect(settled).toMatchObject({ applied: true, balanceAfter: 9_800_000, crossedZero: false, crossedRechargeThreshold: false });
    expect(settled.record).toMatchObject({
      tenantId: 'acme', callId: 'c1', durationSeconds: 62, charge: 200_000, connectFee: 0, capability: 'credits',
      startTime: T0 + 2000, endTime: T0 + 63_500, endReason: 'caller_hangup', currency: 'EUR',
    });
    expect(await ledger.balance('acme', T0)).toMatchObject({ balance: 9_800_000, held: 0, available: 9_800_000 });
  });

  it('settles to the same record and notices whether this instance held the call or another did, whatever the caller did with its request after', async () => {
    await withTenant(10_000_000);
    await ledger.putTenant(tenant('beta'));
    await ledger.topUp('beta', 'opening', 10_000_000, T0);
    // The instance that holds a call keeps the draft and sources it sent and reads them back from the settle reply's echo.
    const warm = { ...holdRequest('acme', 'c1'), sources: [planPool(50), credits] };
    const cold = { ...holdRequest('beta', 'c1'), sources: [planPool(50), credits] };
    for (const req of [warm, cold]) {
      expect((await ledger.hold(req)).ok).toBe(true);
      await ledger.answer(req.tenantId, req.callId, T0);
    }
    // The caller changes its objects after the hold: the record and notices are what the hold sent.
    const sentDraft = structuredClone(warm.draft);
    (warm.draft as { destinationNumber?: string }).destinationNumber = '+10000000000';
    (warm.sources[0] as { pool: { sizeSeconds: number } }).pool.sizeSeconds = 1;
    const settledHere = await ledger.settle('acme', 'c1', T0 + 45_000, 'caller_hangup');
    const other = newLedger(backend, { keyPrefix: ledger.keyPrefix });
    try {
      const settledThere = await other.settle('beta', 'c1', T0 + 45_000, 'caller_hangup');
      const strip = (r: typeof settledHere) => ({ ...r, record: { ...r.record, tenantId: 'x', usageId: 'x' } });
      expect(strip(settledHere)).toEqual(strip(settledThere));
      expect(settledHere.record).toMatchObject({ ...sentDraft, durationSeconds: 45 });
    } finally {
      await other.close();
    }
  });

  it('cuts the call at the exact second its money ends (rule 20)', async () => {
    // EUR 0.06 per minute, per second: 1,000 micros a second; EUR 0.25 buys 250 seconds.
    await withTenant(250_000);
    const rate = terms({ pricePerMinute: 60_000, initialIncrement: 1, subsequentIncrement: 1 });
    expect(await ledger.hold(holdRequest('acme', 'c1', { rate }))).toMatchObject({ ok: true, fundedSeconds: 60 });
    await ledger.answer('acme', 'c1', T0);
    let funded = 60;
    let exhausted = false;
    for (let t = 50; !exhausted && t < 1000; t = funded - 10) {
      const ext = await ledger.extend('acme', 'c1', T0 + t * 1000);
      funded = ext.fundedSeconds;
      exhausted = ext.exhausted;
    }
    expect(exhausted).toBe(true);
    expect(funded).toBe(250);
    expect((await ledger.balance('acme', T0)).available).toBe(0);
    // The transport ended late: only funded time is charged.
    const settled = await ledger.settle('acme', 'c1', T0 + 400_000, 'credit_exhausted');
    expect(settled.record).toMatchObject({ durationSeconds: 250, charge: 250_000 });
    expect(settled).toMatchObject({ balanceAfter: 0, crossedZero: true });
  });

  it('lets the credit limit fund calls below zero, never beyond it', async () => {
    await withTenant(0, { creditLimit: 150_000 });
    expect(await ledger.hold(holdRequest('acme', 'c1'))).toMatchObject({ ok: true, heldMicros: 100_000 });
    expect(await ledger.hold(holdRequest('acme', 'c2'))).toEqual({ ok: false, refusal: 'NO_FUNDS' });
    await ledger.answer('acme', 'c1', T0);
    expect(await ledger.extend('acme', 'c1', T0 + 55_000)).toMatchObject({ fundedSeconds: 60, exhausted: true });
    const settled = await ledger.settle('acme', 'c1', T0 + 59_000, 'caller_hangup');
    expect(settled.balanceAfter).toBe(-100_000);
    expect((await ledger.balance('acme', T0)).available).toBe(50_000);
  });

  it('requires the connection fee plus the first increment for a credit-funded call (rule 18)', async () => {
    await withTenant(550_000);
    const rate = terms({ connectFee: 500_000 });
    expect(await ledger.hold(holdRequest('acme', 'c1', { rate }))).toEqual({ ok: false, refusal: 'NO_FUNDS' });
    await ledger.topUp('acme', 'more', 50_000, T0);
    expect(await ledger.hold(holdRequest('acme', 'c1', { rate }))).toMatchObject({ ok: true, fundedSeconds: 60, heldMicros: 600_000 });
    await ledger.answer('acme', 'c1', T0);
    const settled = await ledger.settle('acme', 'c1', T0 + 10_000, 'callee_hangup');
    expect(settled.record).toMatchObject({ charge: 600_000, connectFee: 500_000 });
  });

  it('refuses toll-free calls when the balance is at its floor, whatever the pools say (rule 19)', async () => {
    await withTenant(0);
    const tollFree = holdRequest('acme', 'tf1', { requirePositiveBalance: true, sources: [planPool(6000), credits] });
    expect(await ledger.hold(tollFree)).toEqual({ ok: false, refusal: 'BALANCE_NOT_POSITIVE' });
    await ledger.topUp('acme', 'ref', 1_000_000, T0);
    expect(await ledger.hold(tollFree)).toMatchObject({ ok: true });
  });

  it('refuses a pool-only call when its pool is empty, and never touches the balance', async () => {
    await withTenant(5_000_000);
    expect(await ledger.hold(holdRequest('acme', 'c1', { sources: [planPool(0)] }))).toEqual({ ok: false, refusal: 'POOL_EMPTY_NO_CREDITS' });
    expect(await ledger.hold(holdRequest('acme', 'c2', { sources: [planPool(59)] }))).toEqual({ ok: false, refusal: 'POOL_EMPTY_NO_CREDITS' });
    expect(await ledger.balance('acme', T0)).toMatchObject({ balance: 5_000_000, held: 0 });
  });

  it('ends a pool-only call when its pool minutes end (rule 12)', async () => {
    await withTenant(5_000_000);
    expect(await ledger.hold(holdRequest('acme', 'c1', { sources: [planPool(150)] }))).toMatchObject({ fundedSeconds: 60 });
    await ledger.answer('acme', 'c1', T0);
    expect(await ledger.extend('acme', 'c1', T0 + 50_000)).toMatchObject({ fundedSeconds: 120, exhausted: false });
    expect(await ledger.extend('acme', 'c1', T0 + 110_000)).toMatchObject({ fundedSeconds: 120, exhausted: true });
    const settled = await ledger.settle('acme', 'c1', T0 + 125_000, 'credit_exhausted');
    expect(settled.record).toMatchObject({ durationSeconds: 120, charge: 0, capability: 'DOMESTIC' });
    expect(await ledger.balance('acme', T0)).toMatchObject({ balance: 5_000_000, held: 0 });
  });

  it('draws a plan pool first, hands over to credits mid-call, and charges no connection fee then (rules 9, 12)', async () => {
    await withTenant(1_000_000);
    const rate = terms({ connectFee: 200_000 });
    expect(await ledger.hold(holdRequest('acme', 'c1', { rate, sources: [planPool(90), credits] }))).toMatchObject({
      ok: true, fundedSeconds: 60, heldMicros: 0,
    });
    await ledger.answer('acme', 'c1', T0);
    // 30 pool seconds are left, not a whole increment: credits fund the next minute.
    expect((await ledger.extend('acme', 'c1', T0 + 50_000)).fundedSeconds).toBe(120);
    const settled = await ledger.settle('acme', 'c1', T0 + 100_000, 'callee_hangup');
    expect(settled.record).toMatchObject({ capability: 'DOMESTIC+credits', charge: 100_000, connectFee: 0, durationSeconds: 100 });
    const view = await ledger.balance('acme', T0);
    expect(view.balance).toBe(900_000);
    expect(view.pools).toContainEqual(expect.objectContaining({ usedSeconds: 60, heldSeconds: 0 }));
  });

  it('funds a call across five sources in turn, and settles each its own seconds (sources past the third are read separately)', async () => {
    await withTenant(1_000_000);
    const sources = [planPool(60), planPool(60, '2025-03', { sku: 'OTHER' }), dialOutPool(60), planPool(60, '2025-03', { country: 'FR' }), credits];
    expect(await ledger.hold(holdRequest('acme', 'c1', { sources }))).toMatchObject({ ok: true, fundedSeconds: 60, heldMicros: 0 });
    await ledger.answer('acme', 'c1', T0);
    for (let t = 50; t < 300; t += 60) await ledger.extend('acme', 'c1', T0 + t * 1000);
    const settled = await ledger.settle('acme', 'c1', T0 + 290_000, 'caller_hangup');
    // Four pools pay 60 s each; credits the last 50 s, billed as one 60 s increment at 0.10 a minute.
    expect(settled.record).toMatchObject({ durationSeconds: 290, charge: 100_000, capability: 'DOMESTIC+OTHER+dialout_pool+credits' });
    const view = await ledger.balance('acme', T0);
    expect(view).toMatchObject({ balance: 900_000, held: 0 });
    expect(view.pools.map((p) => [p.usedSeconds, p.heldSeconds])).toEqual([[60, 0], [60, 0], [60, 0], [60, 0]]);
    // A resend reads the settled record the same way.
    expect((await ledger.settle('acme', 'c1', T0 + 290_000, 'caller_hangup')).record).toEqual(settled.record);
  });

  it('charges a call inside its pool minutes nothing, and consumes billed pool seconds', async () => {
    await withTenant(1_000_000);
    await ledger.hold(holdRequest('acme', 'c1', { sources: [planPool(6000), credits] }));
    await ledger.answer('acme', 'c1', T0);
    const settled = await ledger.settle('acme', 'c1', T0 + 30_000, 'caller_hangup');
    expect(settled.record).toMatchObject({ capability: 'DOMESTIC', charge: 0, durationSeconds: 30 });
    const pools = (await ledger.balance('acme', T0)).pools;
    expect(pools).toEqual([expect.objectContaining({ usedSeconds: 60, leftSeconds: 5940 })]);
  });

  it('reports the dial-out pool crossing 80 % and 100 %', async () => {
    await withTenant(1_000_000);
    const sources = [dialOutPool(600), credits];
    await ledger.hold(holdRequest('acme', 'c1', { sources }));
    await ledger.answer('acme', 'c1', T0);
    for (let t = 50; t < 480; t += 60) await ledger.extend('acme', 'c1', T0 + t * 1000);
    const first = await ledger.settle('acme', 'c1', T0 + 480_000, 'caller_hangup');
    expect(first.poolAlerts).toEqual([{ pool: { kind: 'dialout', month: '2025-03', sizeSeconds: 600 }, percent: 80 }]);
    await ledger.hold(holdRequest('acme', 'c2', { sources }));
    await ledger.answer('acme', 'c2', T0);
    await ledger.extend('acme', 'c2', T0 + 50_000);
    expect(await ledger.extend('acme', 'c2', T0 + 110_000)).toMatchObject({ fundedSeconds: 180 });
    const second = await ledger.settle('acme', 'c2', T0 + 150_000, 'caller_hangup');
    expect(second.poolAlerts.map((a) => a.percent)).toEqual([100]);
    expect(second.record).toMatchObject({ capability: 'dialout_pool+credits', charge: 100_000 });
  });

  it('reports crossing the auto-recharge threshold and zero once', async () => {
    await withTenant(550_000, { autoRecharge: { threshold: 500_000, amount: 10_000_000 } });
    await ledger.hold(holdRequest('acme', 'c1'));
    await ledger.answer('acme', 'c1', T0);
    const first = await ledger.settle('acme', 'c1', T0 + 30_000, 'caller_hangup');
    expect(first).toMatchObject({ crossedRechargeThreshold: true, crossedZero: false, balanceAfter: 450_000 });
    await ledger.hold(holdRequest('acme', 'c2'));
    await ledger.answer('acme', 'c2', T0);
    const second = await ledger.settle('acme', 'c2', T0 + 30_000, 'caller_hangup');
    expect(second.crossedRechargeThreshold).toBe(false);
  });

  it('funds free calls without limit and charges nothing', async () => {
    await withTenant(0);
    expect(await ledger.hold(holdRequest('acme', 'e1', { sources: [free], rate: terms({ pricePerMinute: 0 }) }))).toEqual({
      ok: true, fundedSeconds: 60, heldMicros: 0, unlimited: true,
    });
    await ledger.answer('acme', 'e1', T0);
    let ext = { fundedSeconds: 60, exhausted: false };
    for (let t = 50; t < 3600; t += 60) ext = await ledger.extend('acme', 'e1', T0 + t * 1000);
    expect(ext).toMatchObject({ exhausted: false, unlimited: true });
    const settled = await ledger.settle('acme', 'e1', T0 + 3_600_000, 'caller_hangup');
    expect(settled.record).toMatchObject({ charge: 0, capability: 'free', durationSeconds: 3600 });
  });

  it('releases a never-answered call for nothing and writes its usage record', async () => {
    await withTenant(1_000_000);
    await ledger.hold(holdRequest('acme', 'c1'));
    const released = await ledger.release('acme', 'c1', T0 + 8000, 'cancelled');
    expect(released.record).toMatchObject({ charge: 0, durationSeconds: 0, startTime: T0, endTime: T0 + 8000, endReason: 'cancelled' });
    expect(await ledger.balance('acme', T0)).toMatchObject({ balance: 1_000_000, held: 0 });
    const records = [];
    for await (const r of ledger.usage('acme', T0 - 1000, T0 + 60_000)) records.push(r);
    expect(records).toEqual([released.record]);
  });

  it('settles once: repeated and reordered end events return the first result', async () => {
    await withTenant(1_000_000);
    await ledger.hold(holdRequest('acme', 'c1'));
    await ledger.answer('acme', 'c1', T0);
    const first = await ledger.settle('acme', 'c1', T0 + 30_000, 'caller_hangup');
    const again = await ledger.settle('acme', 'c1', T0 + 45_000, 'callee_hangup');
    const release = await ledger.release('acme', 'c1', T0 + 50_000, 'failed');
    expect(again).toEqual({ ...first, applied: false });
    expect(release).toEqual({ ...first, applied: false });
    expect((await ledger.balance('acme', T0)).balance).toBe(900_000);
    expect(await ledger.extend('acme', 'c1', T0 + 60_000)).toEqual({ fundedSeconds: 30, exhausted: true, heldMicros: 0 });
    await expect(ledger.answer('acme', 'c1', T0)).rejects.toMatchObject({ code: 'HOLD_ENDED' });
  });

  it('refuses a second hold for the same call id and keeps the first', async () => {
    await withTenant(1_000_000);
    await ledger.hold(holdRequest('acme', 'c1'));
    expect(await ledger.hold(holdRequest('acme', 'c1'))).toEqual({ ok: false, refusal: 'DUPLICATE_CALL' });
    expect((await ledger.balance('acme', T0)).held).toBe(100_000);
  });

  it('rejects bad hold requests with a clear error and writes nothing', async () => {
    await withTenant(1_000_000);
    const bad = [
      holdRequest('acme', 'b1', { rate: terms({ pricePerMinute: -1 }) }),
      holdRequest('acme', 'b2', { sources: [] }),
      holdRequest('acme', 'b3', { sources: [free, credits] }),
      holdRequest('acme', 'b4', { rate: terms({ initialIncrement: 0 }) }),
      holdRequest('acme', 'b5', { nowMs: 1.5 }),
      holdRequest('acme', 'b6', { sources: [planPool(60, '2025-13')] }),
      holdRequest('ac{me}', 'b7'),
    ];
    for (const req of bad) {
      const err = await ledger.hold(req).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(LedgerError);
      expect(err).toMatchObject({ code: 'BAD_INPUT' });
    }
    const usd = terms({ currency: 'USD' });
    await expect(ledger.hold(holdRequest('acme', 'b8', { rate: usd }))).rejects.toMatchObject({ code: 'CURRENCY_MISMATCH' });
    await expect(ledger.hold(holdRequest('nobody', 'b9'))).rejects.toMatchObject({ code: 'UNKNOWN_TENANT' });
    expect(await ledger.balance('acme', T0)).toMatchObject({ balance: 1_000_000, held: 0, pools: [] });
    await expect(ledger.settle('acme', 'b1', T0, 'caller_hangup')).rejects.toMatchObject({ code: 'UNKNOWN_HOLD' });
    await expect(ledger.extend('acme', 'nope', T0)).rejects.toMatchObject({ code: 'UNKNOWN_HOLD' });
    await expect(ledger.settle('acme', 'c1', T0, 'bogus' as never)).rejects.toMatchObject({ code: 'BAD_INPUT' });
  });
});
