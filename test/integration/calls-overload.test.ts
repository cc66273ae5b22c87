/**
 * Overload protection (issue 16, Build 5): past any of calls.overload's
 * limits a new call setup is refused at once with OVERLOADED (503 +
 * Retry-After on the wire), counted by measure, holding nothing; an emergency
 * call is never refused for it (rule 8); admission resumes when the measure
 * is back under its limit.
 */
import { Redis } from 'ioredis';
import { describe, expect, it, onTestFinished } from 'vitest';
import { startRedisServer } from '../support/redis-server.js';
import { rejection } from '../../src/sip/responses.js';
import { benchPerTest, provision, tenant, user } from './calls-harness.js';

const OFF = { maxEventLoopLagMs: 0, maxAdmissionsInFlight: 0, maxAdmissionLatencyMs: 0, maxCallsPerSecond: 0 };
const busy = (ms: number) => {
  const until = performance.now() + ms;
  while (performance.now() < until) {
    /* the event loop is blocked, as by a CPU-bound process */
  }
};
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('overload protection', () => {
  const bench = benchPerTest();

  it('refuses what is past the admissions-in-flight limit at once, never an emergency call, and admits again after', async () => {
    const b = await bench({ calls: { overload: { ...OFF, maxAdmissionsInFlight: 3 } } });
    await provision(b, tenant('acme'), 50_000_000, [user('acme', 'ann', { number: '+442079460001' })]);
    const calls = await Promise.all(Array.from({ length: 8 }, () => b.call({ tenantId: 'acme', userId: 'ann', dialed: '+442079460000' })));
    const admitted = calls.filter((c) => c.outcome.allowed);
    const refused = calls.filter((c) => !c.outcome.allowed);
    expect(admitted).toHaveLength(3);
    expect(refused).toHaveLength(5);
    for (const c of refused) {
      expect(c.outcome).toMatchObject({ allowed: false, code: 'OVERLOADED' });
      expect(c.outcome.allowed === false && c.outcome.message).toMatch(/overloaded \(admissions in flight\)/);
    }
    expect((await b.metrics.overloadRefusals.get()).values).toEqual([expect.objectContaining({ labels: { reason: 'admissions_in_flight' }, value: 5 })]);
    expect(await b.counter('callDecisions', { reason: 'OVERLOADED' })).toBe(5);
    // Held: only the three admitted calls' first slices; refused calls wrote no usage record.
    expect((await b.ledger.balance('acme', b.clock.now())).held).toBeGreaterThan(0);
    for (const c of admitted) await c.session.end('cancelled');
    expect(await b.ledger.balance('acme', b.clock.now())).toMatchObject({ held: 0, balance: 50_000_000 });
    expect((await b.usage('acme')).filter((r) => r.endReason === 'rejected')).toHaveLength(0);

    // An emergency call beside a full house of admissions still goes through.
    const again = await Promise.all([
      ...Array.from({ length: 3 }, () => b.call({ tenantId: 'acme', userId: 'ann', dialed: '+442079460000' })),
      b.call({ tenantId: 'acme', userId: 'ann', callerNumber: '+442079460001', dialed: '999' }),
    ]);
    expect(again[3]!.outcome).toMatchObject({ allowed: true, callType: 'emergency' });
    for (const c of again) if (c.outcome.allowed) await c.session.end('cancelled');
    const after = await b.call({ tenantId: 'acme', userId: 'ann', dialed: '+442079460000' });
    expect(after.outcome.allowed).toBe(true);
    await after.session.end('cancelled');
  });

  it('refuses while the event loop lags and admits again once it has caught up', async () => {
    const b = await bench({ calls: { overload: { ...OFF, maxEventLoopLagMs: 30 } } });
    await provision(b, tenant('acme'), 50_000_000, [user('acme', 'ann')]);
    await sleep(50);
    // Blocked for 100 ms in slices, with the lag timer firing late in between: the smoothed lag passes
    // 1.5 × the limit, where every new call is refused (below that only a share is).
    for (let i = 0; i < 8; i++) {
      busy(100);
      await new Promise((resolve) => setImmediate(resolve));
      await sleep(0);
    }
    const during = await b.call({ tenantId: 'acme', userId: 'ann', dialed: '+442079460000' });
    expect(during.outcome).toMatchObject({ allowed: false, code: 'OVERLOADED' });
    await sleep(400);
    const after = await b.call({ tenantId: 'acme', userId: 'ann', dialed: '+442079460000' });
    expect(after.outcome.allowed).toBe(true);
    await after.session.end('cancelled');
    expect(await b.counter('callDecisions', { reason: 'OVERLOADED' })).toBe(1);
  });

  it('does not refuse for one stall of the event loop, however long (a GC pause, a moment descheduled)', async () => {
    const b = await bench({ calls: { overload: { ...OFF, maxEventLoopLagMs: 30 } } });
    await provision(b, tenant('acme'), 50_000_000, [user('acme', 'ann')]);
    await sleep(50);
    busy(500);
    await new Promise((resolve) => setImmediate(resolve));
    await sleep(0);
    const after = await b.call({ tenantId: 'acme', userId: 'ann', dialed: '+442079460000' });
    expect(after.outcome.allowed).toBe(true);
    await after.session.end('cancelled');
    expect(await b.counter('callDecisions', { reason: 'OVERLOADED' })).toBe(0);
  });

  it('refuses while admissions are slow (a stalled ledger) and admits again when it answers quickly', async () => {
    // A Redis of this test's own: pausing it must not stall other tests.
    const redis = await startRedisServer();
    onTestFinished(() => redis.stop());
    const b = await bench({ redisUrl: redis.url, calls: { overload: { ...OFF, maxAdmissionLatencyMs: 100 } } });
    await provision(b, tenant('acme'), 50_000_000, [user('acme', 'ann')]);
    const warm = await b.call({ tenantId: 'acme', userId: 'ann', dialed: '+442079460000' });
    await warm.session.end('cancelled');
    // Redis holds back every write for 500 ms: admissions take that long.
    const admin = new Redis(redis.url);
    try {
      await admin.call('CLIENT', 'PAUSE', '500', 'WRITE');
      const slow = await Promise.all(Array.from({ length: 4 }, () => b.call({ tenantId: 'acme', userId: 'ann', dialed: '+442079460000' })));
      expect(slow.every((c) => c.outcome.allowed)).toBe(true);
      for (const c of slow) await c.session.end('cancelled');
    } finally {
      admin.disconnect();
    }
    const refused = await b.call({ tenantId: 'acme', userId: 'ann', dialed: '+442079460000' });
    expect(refused.outcome).toMatchObject({ allowed: false, code: 'OVERLOADED' });
    expect(refused.outcome.allowed === false && refused.outcome.message).toMatch(/admission latency/);
    await sleep(300);
    const after = await b.call({ tenantId: 'acme', userId: 'ann', dialed: '+442079460000' });
    expect(after.outcome.allowed).toBe(true);
    await after.session.end('cancelled');
    expect(await b.ledger.balance('acme', b.clock.now())).toMatchObject({ held: 0, balance: 50_000_000 });
  });

  it('admits at most calls.overload.maxCallsPerSecond a second (one second of burst) and refuses the rest at once', async () => {
    const b = await bench({ calls: { overload: { ...OFF, maxCallsPerSecond: 5 } } });
    await provision(b, tenant('acme'), 50_000_000, [user('acme', 'ann')]);
    const first = [];
    for (let i = 0; i < 12; i++) first.push(await b.call({ tenantId: 'acme', userId: 'ann', dialed: '+442079460000' }));
    // Twelve in far less than a second: the burst of five, then refusals (a token or so may have come back meanwhile).
    const admitted = first.filter((c) => c.outcome.allowed).length;
    expect(admitted).toBeGreaterThanOrEqual(5);
    expect(admitted).toBeLessThanOrEqual(7);
    for (const c of first) if (!c.outcome.allowed) expect(c.outcome).toMatchObject({ code: 'OVERLOADED', message: expect.stringMatching(/calls per second/) });
    expect((await b.metrics.overloadRefusals.get()).values).toEqual([expect.objectContaining({ labels: { reason: 'calls_per_second' }, value: 12 - admitted })]);
    for (const c of first) if (c.outcome.allowed) await c.session.end('cancelled');
    await sleep(1100);
    const later = await b.call({ tenantId: 'acme', userId: 'ann', dialed: '+442079460000' });
    expect(later.outcome.allowed).toBe(true);
    await later.session.end('cancelled');
  });

  it('answers OVERLOADED on SIP with 503, the reason header and Retry-After', () => {
    expect(rejection('OVERLOADED', 'X-Tollgate-Reason', 5)).toEqual({
      status: 503,
      phrase: 'Service Unavailable - Overloaded',
      headers: { 'X-Tollgate-Reason': 'OVERLOADED', 'Retry-After': '5' },
    });
  });
});
