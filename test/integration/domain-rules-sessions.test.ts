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

  it('rule 23: each usage record names the rate table version it was priced with', async () => {
    bench = await openBench();
    await provision(bench, tenant('acme'), 1_800_000, [user('acme', 'ann')]);
    const { session } = await bench.call({ tenantId: 'acme', userId: 'ann', dialed: '+442079460000' });
    await session.answered(bench.clock.now());
    await bench.clock.advance(30_000);
    await session.end('caller_hangup', bench.clock.now());
    const [record] = await bench.usage('acme');
    expect(bench.rates.book.version).toMatch(/^[0-9a-f]{8,}$/);
    expect(record?.rateVersion).toBe(bench.rates.book.version);
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

  it('rule 22: two BYEs settle the call once; a repeated end debits nothing more', async () => {
    bench = await openBench();
    await provision(bench, tenant('acme'), 5_000_000, [user('acme', 'ann')]);
    const { session } = await bench.call({ tenantId: 'acme', userId: 'ann', dialed: '+442079460000' });
    await session.answered(T0);
    await bench.clock.advance(30_000);
    await Promise.all([session.end('caller_hangup', T0 + 30_000), session.end('callee_hangup', T0 + 30_500)]);
    await session.end('caller_hangup', T0 + 40_000);
    const records = await bench.usage('acme');
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({ endReason: 'caller_hangup', durationSeconds: 30, charge: 600_000 });
    expect(await bench.ledger.balance('acme', bench.clock.now())).toMatchObject({ balance: 4_400_000, held: 0 });
    expect(await bench.counter('callsEnded')).toBe(1);
  });

  it('rule 22: a CANCEL racing the 200 OK settles once and costs nothing, whichever is seen first', async () => {
    bench = await openBench();
    await provision(bench, tenant('acme'), 5_000_000, [user('acme', 'ann')]);
    const first = await bench.call({ tenantId: 'acme', userId: 'ann', dialed: '+442079460000' });
    await Promise.all([first.session.answered(T0 + 1000), first.session.end('cancelled', T0 + 1000)]);
    const second = await bench.call({ tenantId: 'acme', userId: 'ann', dialed: '+442079460000' });
    await Promise.all([second.session.end('cancelled', T0 + 1000), second.session.answered(T0 + 1000)]);
    expect([first.session.state, second.session.state]).toEqual(['ended', 'ended']);
    const records = await bench.usage('acme');
    const seen = records.map((r) => [r.callId, r.endReason, r.durationSeconds, r.charge]);
    expect(seen).toHaveLength(2);
    expect(seen).toEqual(
      expect.arrayContaining([
        [first.session.callId, 'cancelled', 0, 0],
        [second.session.callId, 'cancelled', 0, 0],
      ]),
    );
    expect(await bench.ledger.balance('acme', bench.clock.now())).toMatchObject({ balance: 5_000_000, held: 0 });
    // The late answer armed nothing: no timer of either call is left.
    expect(bench.clock.pendingTimes()).toEqual([]);
  });

  it('rule 22: an end reported before the answer finished processing settles the answered time once', async () => {
    bench = await openBench();
    await provision(bench, tenant('acme'), 5_000_000, [user('acme', 'ann')]);
    const { session } = await bench.call({ tenantId: 'acme', userId: 'ann', dialed: '+447700900123' });
    const answering = session.answered(T0);
    const ending = session.end('callee_hangup', T0 + 42_000);
    await Promise.all([answering, ending]);
    const [record, ...more] = await bench.usage('acme');
    expect(more).toEqual([]);
    expect(record).toMatchObject({ endReason: 'callee_hangup', durationSeconds: 42, charge: 420_000 });
  });

  it('rule 8: an emergency call at zero balance, without plan or licence, is allowed, never cut and charged 0', async () => {
    bench = await openBench();
    await provision(bench, tenant('acme'), 0, [user('acme', 'eve', { licences: [], policy: 'none' })]);
    const { outcome, transport, session } = await bench.call({ tenantId: 'acme', userId: 'eve', dialed: 'sip:999@pbx.example;user=phone' });
    expect(outcome).toMatchObject({ allowed: true, callType: 'emergency', destination: '999' });
    await session.answered(T0);
    await bench.clock.advance(20 * MINUTE);
    expect(transport.hangUps).toEqual([]);
    await session.end('caller_hangup', bench.clock.now());
    const [record] = await bench.usage('acme');
    expect(record).toMatchObject({ callType: 'emergency', durationSeconds: 1200, charge: 0, capability: 'free', endReason: 'caller_hangup' });
    expect((await bench.ledger.balance('acme', bench.clock.now())).balance).toBe(0);
    // The same user dialing a normal number is refused (rule 13).
    expect((await bench.call({ tenantId: 'acme', userId: 'eve', dialed: '+442079460000' })).outcome).toMatchObject({
      allowed: false,
      code: 'NO_LICENCE',
    });
  });

  it('rule 18: a credit-funded call is refused with NO_FUNDS at zero balance, or below its first increment, and nothing is held', async () => {
    bench = await openBench();
    await provision(bench, tenant('empty'), 0, [user('empty', 'ann')]);
    await provision(bench, tenant('short'), 590_000, [user('short', 'bob')]);
    const zero = await bench.call({ tenantId: 'empty', userId: 'ann', dialed: '+442079460000' });
    expect(zero.outcome).toMatchObject({ allowed: false, code: 'NO_FUNDS' });
    // USD 0.59 cannot pay the first started minute at USD 0.60.
    const short = await bench.call({ tenantId: 'short', userId: 'bob', dialed: '+442079460000' });
    expect(short.outcome).toMatchObject({ allowed: false, code: 'NO_FUNDS' });
    expect(short.outcome.allowed === false && short.outcome.message).toMatch(/available balance/);
    expect(await bench.ledger.balance('short', bench.clock.now())).toMatchObject({ balance: 590_000, held: 0, available: 590_000 });
    // Rule 27: the refused call still has a usage record, charge 0.
    expect(await bench.usage('short')).toMatchObject([{ endReason: 'rejected', charge: 0, durationSeconds: 0, destinationNumber: '+442079460000' }]);
    expect(bench.control.activeCount()).toBe(0);
    expect(await bench.counter('callDecisions', { decision: 'reject', reason: 'NO_FUNDS', call_type: 'user_out' })).toBe(2);
  });

  it('rule 6: a toll-free inbound call is billed to the number owner at the caller-origin rate', async () => {
    bench = await openBench();
    await provision(bench, tenant('acme'), 1_000_000);
    await bench.ledger.putServiceNumber({ number: '+448000000001', tenantId: 'acme', kind: 'toll-free', service: 'conferencing', target: 'sip:bridge@127.0.0.1:5070' });
    const { outcome, session } = await bench.call({ direction: 'inbound', dialed: '448000000001', callerNumber: '+447700900123' });
    expect(outcome).toMatchObject({ allowed: true, callType: 'conf_in', destination: '+448000000001', target: 'sip:bridge@127.0.0.1:5070' });
    await session.answered(T0);
    await session.end('caller_hangup', T0 + 30_000);
    const [record] = await bench.usage('acme');
    expect(record).toMatchObject({ callType: 'conf_in', callDirection: 'inbound', numberType: 'toll-free', durationSeconds: 30, charge: 300_000, capability: 'credits', callerId: '+447700900123' });
    expect((await bench.ledger.balance('acme', bench.clock.now())).balance).toBe(700_000);
  });

  it('rule 19: a toll-free inbound call is refused at zero balance, whatever the pools say', async () => {
    bench = await openBench();
    await provision(bench, tenant('acme'), 0);
    await bench.ledger.putServiceNumber({ number: '+448000000001', tenantId: 'acme', kind: 'toll-free', service: 'call_queue', target: 'sip:queue@127.0.0.1:5070' });
    const { outcome } = await bench.call({ direction: 'inbound', dialed: '+448000000001', callerNumber: '+442079460000' });
    expect(outcome).toMatchObject({ allowed: false, code: 'NO_FUNDS' });
    expect(outcome.allowed === false && outcome.message).toMatch(/at or below zero/);
    expect(bench.control.activeCount()).toBe(0);
  });

  it('rule 7: a toll inbound call is routed, never charged, and recorded with charge 0', async () => {
    bench = await openBench();
    await provision(bench, tenant('acme'), 0);
    await bench.ledger.putServiceNumber({ number: '+442079460999', tenantId: 'acme', kind: 'toll', service: 'auto_attendant', target: 'sip:aa@127.0.0.1:5070' });
    const { outcome, transport, session } = await bench.call({ direction: 'inbound', dialed: '+442079460999', callerNumber: '+33142000000' });
    expect(outcome).toMatchObject({ allowed: true, callType: 'ucap_in', target: 'sip:aa@127.0.0.1:5070' });
    await session.answered(T0);
    await bench.clock.advance(5 * MINUTE);
    expect(transport.hangUps).toEqual([]);
    await session.end('callee_hangup', bench.clock.now());
    expect(await bench.usage('acme')).toMatchObject([{ callType: 'ucap_in', durationSeconds: 300, charge: 0, capability: 'free' }]);
  });
});
