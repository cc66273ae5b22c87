/**
 * Holds, extends, settle and release against a real Redis and a real Redis
 * Cluster: funding order, slices, cut-off second, charges and idempotency.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { RedisLedger } from '../../src/ledger/redis-ledger.js';
import { BACKENDS, T0, credits, holdRequest, newLedger, planPool, tenant, terms } from '../support/ledger-fixtures.js';

describe.each(BACKENDS)('ledger holds (%s)', (backend) => {
  let ledger: RedisLedger;
  afterEach(async () => {
    await ledger?.close();
  });

  it('holds a credit slice, meters answered time and debits exactly the charge', async () => {
    ledger = newLedger(backend);
    await ledger.putTenant(tenant('acme'));
    await ledger.topUp('acme', 'first', 10_000_000, T0);
    const held = await ledger.hold(holdRequest('acme', 'c1'));
    expect(held).toEqual({ ok: true, fundedSeconds: 60, heldMicros: 100_000, unlimited: false });
    expect((await ledger.balance('acme', T0)).available).toBe(9_900_000);
    await ledger.answer('acme', 'c1', T0 + 2000);
    const ext = await ledger.extend('acme', 'c1', T0 + 52_000);
    expect(ext).toEqual({ fundedSeconds: 120, exhausted: false, unlimited: false });
    const settled = await ledger.settle('acme', 'c1', T0 + 2000 + 61_500, 'caller_hangup');
    expect(settled.applied).toBe(true);
    expect(settled.record.durationSeconds).toBe(62);
    expect(settled.record.charge).toBe(200_000);
    expect(settled.record.capability).toBe('credits');
    expect(settled.balanceAfter).toBe(9_800_000);
    const view = await ledger.balance('acme', T0);
    expect(view).toMatchObject({ balance: 9_800_000, held: 0, available: 9_800_000 });
  });

  it('draws a plan pool first and hands over to credits when it runs dry (rule 12)', async () => {
    ledger = newLedger(backend);
    await ledger.putTenant(tenant('acme'));
    await ledger.topUp('acme', 'first', 1_000_000, T0);
    const req = holdRequest('acme', 'c1', { sources: [planPool(90), credits] });
    const held = await ledger.hold(req);
    expect(held).toMatchObject({ ok: true, fundedSeconds: 60, heldMicros: 0 });
    await ledger.answer('acme', 'c1', T0);
    const ext = await ledger.extend('acme', 'c1', T0 + 50_000);
    // 30 pool seconds are left: not a whole increment, so credits fund the next minute.
    expect(ext.fundedSeconds).toBe(120);
    const settled = await ledger.settle('acme', 'c1', T0 + 100_000, 'callee_hangup');
    expect(settled.record.capability).toBe('DOMESTIC+credits');
    expect(settled.record.charge).toBe(100_000);
    expect(settled.record.connectFee).toBe(0);
    const view = await ledger.balance('acme', T0);
    expect(view.balance).toBe(900_000);
    expect(view.pools).toContainEqual(expect.objectContaining({ usedSeconds: 60 }));
  });
});
