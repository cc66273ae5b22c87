/**
 * DOMAIN rules shown by live call sessions: real ledger on the test Redis,
 * real rate files and entitlement, time driven by a deterministic clock.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { T0, TINY_PLAN, openBench, provision, tenant, user, type Bench } from './calls-harness.js';

const MINUTE = 60_000;

describe('DOMAIN rules on live call sessions', () => {
  let bench: Bench;
  afterEach(async () => {
    await bench?.close();
  });

  it('rule 20: a 60/60 call is cut at the exact second its funded time ends, charged exactly the funded amount', async () => {
    bench = await openBench();
    // USD 1.80 at USD 0.60 per started minute: three minutes.
    await provision(bench, tenant('acme'), 1_800_000, [user('acme', 'ann')]);
    const { outcome, transport, session } = await bench.call({ tenantId: 'acme', userId: 'ann', dialed: '+442079460000' });
    expect(outcome).toMatchObject({ allowed: true, destination: '+442079460000', callType: 'user_out', fundedSeconds: 60 });
    await bench.clock.advance(5_000);
    const answeredAt = bench.clock.now();
    await session.answered(answeredAt);

    await bench.clock.advance(3 * MINUTE - 1);
    expect(transport.hangUps).toEqual([]);
    expect(session.state).toBe('answered');
    await bench.clock.advance(1);
    expect(transport.hangUps).toEqual([{ reason: 'credit_exhausted', atMs: answeredAt + 3 * MINUTE }]);
    expect(session.state).toBe('ended');

    const [record, ...more] = await bench.usage('acme');
    expect(more).toEqual([]);
    expect(record).toMatchObject({ endReason: 'credit_exhausted', durationSeconds: 180, charge: 1_800_000, endTime: answeredAt + 3 * MINUTE });
    expect(await bench.ledger.balance('acme', bench.clock.now())).toMatchObject({ balance: 0, held: 0 });
    expect(await bench.counter('cutoffs')).toBe(1);
    expect(await bench.counter('callsEnded', { end_reason: 'credit_exhausted' })).toBe(1);
    expect(await bench.counter('chargedMicros', { currency: 'USD' })).toBe(1_800_000);
    expect(bench.control.activeCount()).toBe(0);
  });

  it('rule 20: a 1/1 call is cut at the exact second, mid-slice, and charged exactly the funded amount', async () => {
    bench = await openBench();
    // USD 0.95 at one cent a second: 95 seconds.
    await provision(bench, tenant('acme'), 950_000, [user('acme', 'ann')]);
    const { outcome, transport, session } = await bench.call({ tenantId: 'acme', userId: 'ann', dialed: '07700 900123' });
    expect(outcome).toMatchObject({ allowed: true, destination: '+447700900123', fundedSeconds: 60 });
    await session.answered(T0);
    await bench.clock.advance(94_999);
    expect(transport.hangUps).toEqual([]);
    await bench.clock.advance(1);
    expect(transport.hangUps).toEqual([{ reason: 'credit_exhausted', atMs: T0 + 95_000 }]);
    const [record] = await bench.usage('acme');
    expect(record).toMatchObject({ durationSeconds: 95, charge: 950_000, endReason: 'credit_exhausted', numberType: 'mobile' });
    expect((await bench.ledger.balance('acme', bench.clock.now())).balance).toBe(0);
  });

  it('rule 20: a top-up during the call lets a later extension succeed', async () => {
    bench = await openBench();
    await provision(bench, tenant('acme'), 1_200_000, [user('acme', 'ann')]);
    const { transport, session } = await bench.call({ tenantId: 'acme', userId: 'ann', dialed: '+442079460000' });
    await session.answered(T0);
    // At 110 s the ledger reports that nothing beyond 120 s can be funded.
    await bench.clock.advanceTo(T0 + 115_000);
    expect(bench.control.liveCalls()[0]).toMatchObject({ fundedSeconds: 120, fundedUntilMs: T0 + 120_000 });
    await bench.ledger.topUp('acme', 'top-up-1', 600_000, bench.clock.now());
    await bench.clock.advanceTo(T0 + 120_000);
    expect(transport.hangUps).toEqual([]);
    expect(bench.control.liveCalls()[0]).toMatchObject({ state: 'answered', fundedSeconds: 180 });
    await bench.clock.advanceTo(T0 + 200_000);
    expect(transport.hangUps).toEqual([{ reason: 'credit_exhausted', atMs: T0 + 180_000 }]);
    const [record] = await bench.usage('acme');
    expect(record).toMatchObject({ durationSeconds: 180, charge: 1_800_000 });
  });

  it('rule 12: a plan pool that runs dry mid-call hands over to credits when the user may pay with them', async () => {
    bench = await openBench({ plans: [TINY_PLAN] });
    // Two pool minutes, then USD 0.60 of credits: one more minute.
    await provision(bench, tenant('acme'), 600_000, [user('acme', 'ann', { plan: 'TINY' })]);
    const { transport, session } = await bench.call({ tenantId: 'acme', userId: 'ann', dialed: '+442079460000' });
    await session.answered(T0);
    await bench.clock.advance(10 * MINUTE);
    expect(transport.hangUps).toEqual([{ reason: 'credit_exhausted', atMs: T0 + 3 * MINUTE }]);
    const [record] = await bench.usage('acme');
    expect(record).toMatchObject({ durationSeconds: 180, charge: 600_000, capability: 'TINY+credits' });
    const balance = await bench.ledger.balance('acme', bench.clock.now());
    expect(balance.balance).toBe(0);
    expect(balance.pools[0]).toMatchObject({ usedSeconds: 120, leftSeconds: 0 });
  });

  it('rule 12: a plan pool that runs dry mid-call ends the call when its pool minutes end, if credits may not pay', async () => {
    bench = await openBench({ plans: [TINY_PLAN] });
    await provision(bench, tenant('acme'), 5_000_000, [user('acme', 'bob', { plan: 'TINY', licences: [] })]);
    const { transport, session } = await bench.call({ tenantId: 'acme', userId: 'bob', dialed: '+442079460000' });
    await session.answered(T0);
    await bench.clock.advance(10 * MINUTE);
    expect(transport.hangUps).toEqual([{ reason: 'credit_exhausted', atMs: T0 + 2 * MINUTE }]);
    const [record] = await bench.usage('acme');
    expect(record).toMatchObject({ durationSeconds: 120, charge: 0, capability: 'TINY' });
    expect((await bench.ledger.balance('acme', bench.clock.now())).balance).toBe(5_000_000);
    // The pool is empty now: the next call is refused, nothing is held.
    const next = await bench.call({ tenantId: 'acme', userId: 'bob', dialed: '+442079460000' });
    expect(next.outcome).toMatchObject({ allowed: false, code: 'NO_FUNDS' });
  });
});
