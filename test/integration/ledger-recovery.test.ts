/**
 * Recovery of holds whose lease expired (a lost gateway instance): settled
 * from the last confirmed time with end reason gateway_lost, exactly once,
 * even with several instances and a late real settle racing it.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { RedisLedger } from '../../src/ledger/redis-ledger.js';
import { BACKENDS, T0, holdRequest, newLedger, tenant, uniquePrefix } from '../support/ledger-fixtures.js';

describe.each(BACKENDS)('ledger recovery (%s)', (backend) => {
  const ledgers: RedisLedger[] = [];
  afterEach(async () => {
    await Promise.all(ledgers.splice(0).map((l) => l.close()));
  });

  let keyPrefix = '';

  /** Another gateway instance on the same keys, with its own connection. */
  function instance(): RedisLedger {
    const l = newLedger(backend, { keyPrefix });
    ledgers.push(l);
    return l;
  }

  async function setup(balance = 10_000_000) {
    keyPrefix = uniquePrefix();
    const a = instance();
    await a.putTenant(tenant('acme'));
    await a.putTenant(tenant('beta', { currency: 'USD', country: 'US' }));
    await a.topUp('acme', 'opening', balance, T0);
    return a;
  }

  it('settles an answered call from its last confirmed time, and leaves live leases alone', async () => {
    const ledger = await setup();
    await ledger.hold(holdRequest('acme', 'lost'));
    await ledger.answer('acme', 'lost', T0);
    await ledger.extend('acme', 'lost', T0 + 50_000); // confirmed 50 s, lease until 80 s
    await ledger.hold(holdRequest('acme', 'alive', { nowMs: T0 + 60_000 }));
    expect(await ledger.recoverExpired(T0 + 79_000)).toEqual([]);
    const recovered = await ledger.recoverExpired(T0 + 81_000);
    expect(recovered).toHaveLength(1);
    expect(recovered[0]!.record).toMatchObject({
      callId: 'lost', endReason: 'gateway_lost', durationSeconds: 50, endTime: T0 + 50_000, charge: 100_000,
    });
    expect(recovered[0]!.applied).toBe(true);
    const view = await ledger.balance('acme', T0);
    expect(view).toMatchObject({ balance: 9_900_000, held: 100_000 }); // the live call keeps its hold
    expect(await ledger.recoverExpired(T0 + 81_000)).toEqual([]);
  });

  it('releases a ringing call whose gateway was lost, for nothing', async () => {
    const ledger = await setup();
    await ledger.hold(holdRequest('acme', 'ringing'));
    const [r] = await ledger.recoverExpired(T0 + 31_000);
    expect(r!.record).toMatchObject({ durationSeconds: 0, charge: 0, endReason: 'gateway_lost' });
    expect((await ledger.balance('acme', T0)).held).toBe(0);
  });

  it('recovers across tenants', async () => {
    const ledger = await setup();
    await ledger.topUp('beta', 'opening', 1_000_000, T0);
    await ledger.hold(holdRequest('acme', 'a1'));
    await ledger.hold(holdRequest('beta', 'b1', { rate: { currency: 'USD', pricePerMinute: 1000, connectFee: 0, initialIncrement: 60, subsequentIncrement: 60 } }));
    const recovered = await ledger.recoverExpired(T0 + 31_000);
    expect(recovered.map((r) => r.record.tenantId).sort()).toEqual(['acme', 'beta']);
  });

  it('settles exactly once when several instances and a late settle race', async () => {
    const first = await setup();
    const calls = Array.from({ length: 40 }, (_, i) => `call-${i}`);
    for (const id of calls) {
      await first.hold(holdRequest('acme', id));
      await first.answer('acme', id, T0);
      await first.extend('acme', id, T0 + 20_000);
    }
    const before = (await first.balance('acme', T0)).balance;
    const others = [instance(), instance()];
    const now = T0 + 60_000;
    const outcomes = await Promise.all([
      first.recoverExpired(now),
      others[0]!.recoverExpired(now),
      others[1]!.recoverExpired(now),
      ...calls.map((id) => others[0]!.settle('acme', id, T0 + 45_000, 'caller_hangup')),
    ]);
    const recovered = outcomes.slice(0, 3).flat() as Array<{ applied: boolean; record: { callId: string } }>;
    const settles = outcomes.slice(3) as Array<{ applied: boolean; record: { callId: string; charge: number } }>;
    const appliedIds = [...recovered.filter((r) => r.applied).map((r) => r.record.callId), ...settles.filter((s) => s.applied).map((s) => s.record.callId)];
    expect(appliedIds.sort()).toEqual([...calls].sort());
    const charged = settles.reduce((sum, s) => sum + s.record.charge, 0);
    const view = await first.balance('acme', T0);
    expect(view.held).toBe(0);
    expect(before - view.balance).toBe(charged);
    let usageCount = 0;
    for await (const r of first.usage('acme', T0 - 1, T0 + 3_600_000)) {
      usageCount++;
      expect(calls).toContain(r.callId);
    }
    expect(usageCount).toBe(calls.length);
  });
});
