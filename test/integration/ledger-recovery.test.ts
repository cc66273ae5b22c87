/**
 * Recovery of holds whose lease expired on Redis time (a lost gateway
 * instance): settled from the last confirmed time with end reason
 * gateway_lost, exactly once, even with several instances and a late real
 * settle racing it. Leases here are a fraction of a second of real time.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { dueMember } from '../../src/ledger/keys.js';
import type { RedisLedger } from '../../src/ledger/redis-ledger.js';
import { BACKENDS, T0, holdRequest, newLedger, tenant, uniquePrefix } from '../support/ledger-fixtures.js';

/** Lease of the "lost" instance's holds, and a wait that outlasts it. */
const SHORT_LEASE_S = 0.3;
const outlast = () => sleep(450);

describe.each(BACKENDS)('ledger recovery (%s)', (backend) => {
  const ledgers: RedisLedger[] = [];
  afterEach(async () => {
    await Promise.all(ledgers.splice(0).map((l) => l.close()));
  });

  let keyPrefix = '';

  /** A gateway instance on the same keys, with its own connection and lease. */
  function instance(leaseSeconds = SHORT_LEASE_S): RedisLedger {
    const l = newLedger(backend, { keyPrefix, leaseSeconds });
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
    const lost = await setup();
    const healthy = instance(30);
    await lost.hold(holdRequest('acme', 'lost'));
    await lost.answer('acme', 'lost', T0);
    await lost.extend('acme', 'lost', T0 + 50_000); // confirmed 50 s
    await healthy.hold(holdRequest('acme', 'alive', { nowMs: T0 + 60_000 }));
    expect(await healthy.recoverExpired()).toEqual([]); // the lost call's lease is still running
    await outlast();
    const recovered = await healthy.recoverExpired();
    expect(recovered).toHaveLength(1);
    expect(recovered[0]!.record).toMatchObject({
      callId: 'lost', endReason: 'gateway_lost', durationSeconds: 50, endTime: T0 + 50_000, charge: 100_000,
    });
    expect(recovered[0]!.applied).toBe(true);
    const view = await healthy.balance('acme', T0);
    expect(view).toMatchObject({ balance: 9_900_000, held: 100_000, liveCalls: 1 }); // the live call keeps its hold
    expect(await healthy.recoverExpired()).toEqual([]);
  });

  it('rule 31: bills a recovered call on Redis time up to its lease\'s end less the guard, not only to its last renewal', async () => {
    await setup();
    const lost = instance(3); // lease 3 s, guard 2 s: a lost instance could have had the call up 1 s past the answer
    await lost.hold(holdRequest('acme', 'lost'));
    await lost.answer('acme', 'lost', T0);
    await sleep(3200);
    const [r] = await instance(30).recoverExpired();
    // Confirmed 0 s; billed the 1 s the call may really have talked (60/60: one minute's charge).
    expect(r!.record).toMatchObject({ endReason: 'gateway_lost', durationSeconds: 1, endTime: T0 + 1000, charge: 100_000 });
  });

  it('releases a ringing call whose gateway was lost, for nothing', async () => {
    const ledger = await setup();
    await ledger.hold(holdRequest('acme', 'ringing'));
    await outlast();
    const [r] = await ledger.recoverExpired();
    expect(r!.record).toMatchObject({ durationSeconds: 0, charge: 0, endReason: 'gateway_lost' });
    expect((await ledger.balance('acme', T0)).held).toBe(0);
  });

  it('recovers across tenants in different cluster slots', async () => {
    const ledger = await setup();
    await ledger.topUp('beta', 'opening', 1_000_000, T0);
    await ledger.hold(holdRequest('acme', 'a1'));
    await ledger.hold(holdRequest('beta', 'b1', { rate: { currency: 'USD', pricePerMinute: 1000, connectFee: 0, initialIncrement: 60, subsequentIncrement: 60 } }));
    await outlast();
    const pass = await ledger.recoveryPass();
    expect(pass.settled.map((r) => r.record.tenantId).sort()).toEqual(['acme', 'beta']);
    expect(pass.slots).toBe(2);
    expect(pass.failures).toEqual([]);
  });

  it('judges leases on Redis time: a peer whose clock runs 25 s fast recovers nothing its owner renews (issue: skewed peer)', async () => {
    const owner = await setup();
    const fastPeer = instance(30);
    await owner.hold(holdRequest('acme', 'c1'));
    await owner.answer('acme', 'c1', T0);
    for (let i = 1; i <= 4; i++) {
      await sleep(150);
      await owner.extend('acme', 'c1', T0 + i * 150);
      // The peer's own clock plays no part: whatever it passes, Redis time decides.
      expect(await fastPeer.recoverExpired(Date.now() + 25_000)).toEqual([]);
    }
    expect(await owner.extend('acme', 'c1', T0 + 1000)).toMatchObject({ exhausted: false });
    const settled = await owner.settle('acme', 'c1', T0 + 1000, 'caller_hangup');
    expect(settled).toMatchObject({ applied: true, record: { endReason: 'caller_hangup', durationSeconds: 1 } });
  });

  it('goes on past a record it cannot recover, and drops due-index debris (one bad record does not stop a pass)', async () => {
    const ledger = await setup();
    await ledger.hold(holdRequest('acme', 'good'));
    const k = (await import('../../src/ledger/keys.js')).tenantKeys(keyPrefix, 'acme');
    // A due entry whose hold is gone, one that names no tenant, and a hold whose pool keys are corrupt.
    await ledger.client.zadd(k.due, 1, dueMember('acme', 'gone'));
    await ledger.client.zadd(k.due, 1, 'no-colon');
    await ledger.hold(holdRequest('acme', 'corrupt'));
    await ledger.client.hset(k.hold('corrupt'), 'pks', 'not json');
    await outlast();
    const pass = await ledger.recoveryPass();
    expect(pass.settled.map((r) => r.record.callId)).toEqual(['good']);
    expect(pass.failures.map((f) => f.member).sort()).toEqual([dueMember('acme', 'corrupt'), 'no-colon'].sort());
    expect(await ledger.client.zscore(k.due, dueMember('acme', 'gone'))).toBeNull();
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
    await outlast();
    const outcomes = await Promise.all([
      first.recoverExpired(),
      others[0]!.recoverExpired(),
      others[1]!.recoverExpired(),
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
