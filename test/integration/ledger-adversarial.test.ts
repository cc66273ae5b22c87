/**
 * The ledger's money core under adversarial input and edge timing: pools named
 * twice, currency changes under live calls, held money after extensions, the
 * pool-to-credits hand-over second, month boundaries, amounts near the limits.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { RedisLedger } from '../../src/ledger/redis-ledger.js';
import { MAX_AMOUNT, MAX_BALANCE, MAX_RATE_AMOUNT } from '../../src/ledger/validate.js';
import { BACKENDS, T0, credits, holdRequest, newLedger, planPool, tenant, terms } from '../support/ledger-fixtures.js';

/** EUR 0.06 a minute billed per second: 1,000 micros a second. */
const perSecond = terms({ pricePerMinute: 60_000, initialIncrement: 1, subsequentIncrement: 1 });

describe.each(BACKENDS)('ledger money core, adversarial (%s)', (backend) => {
  let ledger: RedisLedger;
  afterEach(async () => {
    await ledger?.close();
  });

  async function withTenant(balance: number, overrides: Parameters<typeof tenant>[1] = {}) {
    ledger = newLedger(backend);
    await ledger.putTenant(tenant('acme', overrides));
    if (balance > 0) await ledger.topUp('acme', 'opening', balance, T0);
  }

  it('refuses a hold that names one pool twice, so its seconds are never booked twice', async () => {
    await withTenant(1_000_000);
    const twice = [
      [planPool(120), planPool(120), credits],
      [planPool(120), planPool(600), credits],
    ];
    for (const sources of twice) {
      await expect(ledger.hold(holdRequest('acme', 'dup', { sources }))).rejects.toMatchObject({ code: 'BAD_INPUT' });
    }
    expect(await ledger.balance('acme', T0)).toMatchObject({ held: 0, pools: [] });
    // Distinct pools of one call stay allowed.
    const distinct = [planPool(120), planPool(120, '2025-03', { scope: 'international' }), credits];
    expect(await ledger.hold(holdRequest('acme', 'ok', { sources: distinct }))).toMatchObject({ ok: true, fundedSeconds: 60 });
  });

  it('keeps the currency of a tenant with a live call even when the call holds no money yet', async () => {
    await withTenant(0);
    const held = await ledger.hold(holdRequest('acme', 'c1', { sources: [planPool(6000), credits] }));
    expect(held).toMatchObject({ ok: true, heldMicros: 0 });
    await expect(ledger.putTenant(tenant('acme', { currency: 'USD' }))).rejects.toMatchObject({ code: 'CURRENCY_LOCKED' });
    expect((await ledger.getTenant('acme'))?.currency).toBe('EUR');
    await ledger.answer('acme', 'c1', T0);
    await ledger.settle('acme', 'c1', T0 + 30_000, 'caller_hangup');
    // No live call, no money: the currency may change.
    await ledger.putTenant(tenant('acme', { currency: 'USD' }));
    expect((await ledger.balance('acme', T0)).currency).toBe('USD');
  });

  it('reports the money held for the call after every extension, and none once it is settled', async () => {
    await withTenant(1_000_000);
    expect(await ledger.hold(holdRequest('acme', 'c1', { rate: perSecond }))).toMatchObject({ heldMicros: 60_000 });
    // Ringing: the lease is renewed, nothing more is held.
    expect(await ledger.extend('acme', 'c1', T0 + 5_000)).toEqual({ fundedSeconds: 60, exhausted: false, unlimited: false, heldMicros: 60_000 });
    await ledger.answer('acme', 'c1', T0 + 5_000);
    expect(await ledger.extend('acme', 'c1', T0 + 55_000)).toEqual({ fundedSeconds: 120, exhausted: false, unlimited: false, heldMicros: 120_000 });
    expect(await ledger.extend('acme', 'c1', T0 + 115_000)).toEqual({ fundedSeconds: 180, exhausted: false, unlimited: false, heldMicros: 180_000 });
    expect((await ledger.balance('acme', T0)).held).toBe(180_000);
    await ledger.settle('acme', 'c1', T0 + 125_000, 'caller_hangup');
    expect(await ledger.extend('acme', 'c1', T0 + 130_000)).toEqual({ fundedSeconds: 120, exhausted: true, heldMicros: 0 });
    expect(await ledger.balance('acme', T0)).toMatchObject({ balance: 880_000, held: 0 });
  });

  it('hands a dry pool over to credits at its exact last second, with no connection fee (rule 12)', async () => {
    await withTenant(1_000_000);
    const rate = terms({ ...perSecond, connectFee: 500_000 });
    expect(await ledger.hold(holdRequest('acme', 'c1', { rate, sources: [planPool(90), credits] }))).toMatchObject({
      fundedSeconds: 60, heldMicros: 0,
    });
    await ledger.answer('acme', 'c1', T0);
    // 30 pool seconds left: the pool funds up to second 90, credits from there.
    expect(await ledger.extend('acme', 'c1', T0 + 50_000)).toMatchObject({ fundedSeconds: 120, heldMicros: 30_000 });
    const settled = await ledger.settle('acme', 'c1', T0 + 100_000, 'caller_hangup');
    expect(settled.record).toMatchObject({ durationSeconds: 100, charge: 10_000, connectFee: 0, capability: 'DOMESTIC+credits' });
    const view = await ledger.balance('acme', T0);
    expect(view).toMatchObject({ balance: 990_000, held: 0 });
    expect(view.pools).toEqual([expect.objectContaining({ usedSeconds: 90, heldSeconds: 0, leftSeconds: 0 })]);
  });

  it('ends a pool-only call at the pool\'s exact last second (rule 12)', async () => {
    await withTenant(1_000_000);
    await ledger.hold(holdRequest('acme', 'c1', { rate: perSecond, sources: [planPool(90)] }));
    await ledger.answer('acme', 'c1', T0);
    expect(await ledger.extend('acme', 'c1', T0 + 50_000)).toMatchObject({ fundedSeconds: 90, exhausted: false });
    expect(await ledger.extend('acme', 'c1', T0 + 85_000)).toMatchObject({ fundedSeconds: 90, exhausted: true });
    const settled = await ledger.settle('acme', 'c1', T0 + 95_000, 'credit_exhausted');
    expect(settled.record).toMatchObject({ durationSeconds: 90, charge: 0 });
    expect((await ledger.balance('acme', T0)).pools).toEqual([expect.objectContaining({ usedSeconds: 90, heldSeconds: 0 })]);
  });

  it('rule 10: a plan-only call that crosses midnight of the 1st draws on the new month\'s pool from its next slice, not cut (issue: month rollover)', async () => {
    await withTenant(0);
    const lateMarch = Date.UTC(2025, 2, 31, 23, 59, 0);
    const april = Date.UTC(2025, 3, 1);
    // March's pool has 3 minutes left; plan only: no credits to take over.
    const sources = [planPool(180, '2025-03')];
    await ledger.hold(holdRequest('acme', 'c1', { sources, nowMs: lateMarch }));
    await ledger.answer('acme', 'c1', lateMarch);
    expect(await ledger.extend('acme', 'c1', lateMarch + 55_000)).toMatchObject({ fundedSeconds: 120, exhausted: false });
    // 00:00:50 on the 1st: March's pool funds no further; April's pool takes over from 120 s.
    let ext = await ledger.extend('acme', 'c1', april + 50_000);
    expect(ext).toMatchObject({ fundedSeconds: 180, exhausted: false });
    ext = await ledger.extend('acme', 'c1', april + 110_000);
    expect(ext).toMatchObject({ fundedSeconds: 240, exhausted: false });
    const settled = await ledger.settle('acme', 'c1', april + 170_000, 'caller_hangup');
    expect(settled.record).toMatchObject({ durationSeconds: 230, charge: 0, capability: 'DOMESTIC' });
    const march = await ledger.balance('acme', lateMarch);
    expect(march.pools).toEqual([expect.objectContaining({ usedSeconds: 120, heldSeconds: 0 })]);
    const aprilView = await ledger.balance('acme', april);
    // Billed 240 s (60/60): 120 from March, the remaining 120 from April.
    expect(aprilView.pools).toEqual([expect.objectContaining({ pool: expect.objectContaining({ month: '2025-04' }), usedSeconds: 120, heldSeconds: 0 })]);
    expect(aprilView).toMatchObject({ balance: 0, held: 0, liveCalls: 0 });
  });

  it('rule 10: a call funded by credits after its March pool ran dry goes on with credits past midnight', async () => {
    await withTenant(1_000_000);
    const lateMarch = Date.UTC(2025, 2, 31, 23, 59, 0);
    const april = Date.UTC(2025, 3, 1);
    await ledger.hold(holdRequest('acme', 'c1', { sources: [planPool(60, '2025-03'), credits], nowMs: lateMarch }));
    await ledger.answer('acme', 'c1', lateMarch);
    await ledger.extend('acme', 'c1', lateMarch + 55_000);
    await ledger.extend('acme', 'c1', april + 50_000);
    const settled = await ledger.settle('acme', 'c1', april + 100_000, 'caller_hangup');
    expect(settled.record).toMatchObject({ durationSeconds: 160, charge: 200_000, capability: 'DOMESTIC+credits' });
    expect(await ledger.balance('acme', april)).toMatchObject({ balance: 800_000, held: 0 });
  });

  it('keeps amounts near the limits exact in Redis and in replies (no exponent notation)', async () => {
    ledger = newLedger(backend);
    await ledger.putTenant(tenant('acme', { creditLimit: MAX_AMOUNT }));
    for (let i = 0; i < MAX_BALANCE / MAX_AMOUNT; i++) await ledger.topUp('acme', `big-${i}`, MAX_AMOUNT, T0);
    await expect(ledger.topUp('acme', 'over', 1, T0)).rejects.toMatchObject({ code: 'BAD_INPUT' });
    expect(await ledger.topUp('acme', 'big-0', 1, T0)).toMatchObject({ applied: false, amount: MAX_AMOUNT, balanceAfter: MAX_AMOUNT });
    const rate = terms({ pricePerMinute: MAX_RATE_AMOUNT, connectFee: MAX_RATE_AMOUNT, initialIncrement: 1, subsequentIncrement: 1 });
    expect(await ledger.hold(holdRequest('acme', 'c1', { rate }))).toMatchObject({ ok: true, heldMicros: 2 * MAX_RATE_AMOUNT });
    await ledger.answer('acme', 'c1', T0);
    expect(await ledger.extend('acme', 'c1', T0 + 50_000)).toMatchObject({ heldMicros: 3 * MAX_RATE_AMOUNT });
    const settled = await ledger.settle('acme', 'c1', T0 + 90_000, 'caller_hangup');
    const charge = MAX_RATE_AMOUNT + 1.5 * MAX_RATE_AMOUNT;
    expect(settled).toMatchObject({ applied: true, balanceAfter: MAX_BALANCE - charge });
    expect(settled.record).toMatchObject({ charge, connectFee: MAX_RATE_AMOUNT });
    expect(await ledger.settle('acme', 'c1', T0 + 95_000, 'callee_hangup')).toEqual({ ...settled, applied: false });
    const account = await ledger.client.hgetall(`${ledger.keyPrefix}:{acme}:account`);
    expect(account).toMatchObject({ bal: String(MAX_BALANCE - charge), held: '0', lim: String(MAX_AMOUNT) });
    const hold = await ledger.client.hgetall(`${ledger.keyPrefix}:{acme}:hold:c1`);
    for (const field of ['hm', 'rchg', 'rbal', 'rfee', 'conf', 'lease', 't0']) expect(hold[field]).toMatch(/^-?\d+$/);
    const [record] = await collect(ledger, T0 - 1, T0 + 1000);
    expect(record).toMatchObject({ charge, connectFee: MAX_RATE_AMOUNT });
    expect(await ledger.balance('acme', T0)).toMatchObject({ balance: MAX_BALANCE - charge, available: MAX_BALANCE - charge + MAX_AMOUNT });
  });
});

async function collect(ledger: RedisLedger, from: number, to: number) {
  const out = [];
  for await (const r of ledger.usage('acme', from, to)) out.push(r);
  return out;
}
