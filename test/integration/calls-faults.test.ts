/**
 * Faults at the call-control layer, on a real Redis: a lost instance's calls
 * ended on the wire by the instance that recovers them; a call cut before a
 * lease it cannot renew expires; clock steps that change no bill; settles
 * retried until applied; colliding Call-IDs of two tenants; effects from the
 * outbox after a lost settle reply. DOMAIN rules 31 and 32.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import type { WireEnder } from '../../src/calls/types.js';
import type { EndReason } from '../../src/domain.js';
import { startRedisServer } from '../support/redis-server.js';
import { T0, benchPerTest, provision, tenant, user } from './calls-harness.js';

/** A wire ender that records the BYEs it was asked to send. */
class RecordingWire implements WireEnder {
  readonly ended: Array<{ wire: string; reason: EndReason; callId: string }> = [];
  async endRemote(wire: string, reason: EndReason, ids: { callId: string }): Promise<void> {
    this.ended.push({ wire, reason, callId: ids.callId });
  }
}

describe('call faults (rules 31, 32)', () => {
  const bench = benchPerTest();

  it('rule 31: a killed instance\'s answered calls are settled once by a peer, billed to the last confirmed second, and each is ended on the wire', async () => {
    const a = await bench({ instanceId: 'gw-a', ledgerOptions: { leaseSeconds: 1 } });
    const wire = new RecordingWire();
    const b = await bench({ instanceId: 'gw-b', ledger: a.ledger, clock: a.clock, wireEnder: wire });
    await provision(a, tenant('acme'), 50_000_000, [user('acme', 'ann')]);
    const before = (await a.ledger.balance('acme', T0)).balance;
    const sessions = [];
    for (let i = 0; i < 20; i++) {
      const { session } = await a.call({ tenantId: 'acme', userId: 'ann', dialed: '+447700900123' });
      session.setWireState(JSON.stringify({ edge: 'e1', legs: [{ callId: `leg-${i}` }] }));
      await session.answered(a.clock.now());
      sessions.push(session);
    }
    await a.clock.advance(25_000); // renewed at 10 s and 20 s: 20 s confirmed
    await a.control.stop(); // killed: no settle, no BYE from gw-a
    await sleep(1200); // the leases run out on Redis time
    expect(await b.control.recoverNow()).toBe(20);
    expect(wire.ended).toHaveLength(20);
    expect(new Set(wire.ended.map((e) => JSON.parse(e.wire).legs[0].callId)).size).toBe(20);
    expect(wire.ended.every((e) => e.reason === 'gateway_lost')).toBe(true);
    const records = await a.usage('acme');
    expect(records).toHaveLength(20);
    for (const r of records) expect(r).toMatchObject({ endReason: 'gateway_lost', durationSeconds: 20 });
    const view = await a.ledger.balance('acme', T0);
    expect(before - view.balance).toBe(records.reduce((sum, r) => sum + r.charge, 0));
    expect(view).toMatchObject({ held: 0, liveCalls: 0 });
    expect(await b.control.recoverNow()).toBe(0);
  });

  it('rule 32: a call whose lease cannot be renewed (Redis cut off) is cut before the lease can expire, and settled once Redis is back', async () => {
    const redis = await startRedisServer();
    try {
      const a = await bench({ instanceId: 'gw-a', redisUrl: redis.url, redisTimeoutsMs: { connect: 300, command: 300 } });
      await provision(a, tenant('acme'), 50_000_000, [user('acme', 'ann')]);
      const { session, transport } = await a.call({ tenantId: 'acme', userId: 'ann', dialed: '+447700900123' });
      await session.answered(a.clock.now());
      await a.clock.advance(5_000);
      await redis.pause(); // the instance can no longer reach Redis (SIGSTOP)
      // Renewals fail from 10 s; the lease (30 s from the last renewal at 0 s) is guarded by a 3 s margin.
      await a.clock.advance(25_000);
      expect(transport.hangUps).toEqual([{ reason: 'ledger_unreachable', atMs: T0 + 27_000 }]);
      expect(session.state).toBe('ending');
      await redis.resume();
      await a.clock.advance(40_000); // the settle retries until Redis answers
      await a.control.stop();
      const records = await a.usage('acme');
      expect(records).toMatchObject([{ endReason: 'ledger_unreachable', durationSeconds: 27 }]);
      expect(await a.counter('cutoffs', { reason: 'ledger_unreachable' })).toBe(1);
    } finally {
      await redis.stop();
    }
  });

  it('a wall-clock step mid-call changes no bill: back 5 min or forward 10 min, the call pays its monotonic time', async () => {
    const a = await bench();
    await provision(a, tenant('acme'), 50_000_000, [user('acme', 'ann')]);
    const back = await a.call({ tenantId: 'acme', userId: 'ann', dialed: '+447700900123' });
    await back.session.answered();
    await a.clock.advance(240_000);
    a.clock.stepWall(-300_000);
    await a.clock.advance(10_000);
    await back.session.end('caller_hangup');
    const forward = await a.call({ tenantId: 'acme', userId: 'ann', dialed: '+447700900123' });
    await forward.session.answered();
    await a.clock.advance(60_000);
    a.clock.stepWall(600_000);
    await a.clock.advance(60_000);
    await forward.session.end('caller_hangup');
    const records = await a.usage('acme');
    expect(records.map((r) => r.durationSeconds).sort((x, y) => x - y)).toEqual([120, 250]);
  });

  it('two tenants\' calls with one Call-ID are two sessions: recovering one never touches the other', async () => {
    const a = await bench({ instanceId: 'gw-a', ledgerOptions: { leaseSeconds: 1 } });
    const b = await bench({ instanceId: 'gw-b', ledger: a.ledger, clock: a.clock });
    await provision(a, tenant('x'), 5_000_000, [user('x', 'ann')]);
    await provision(a, tenant('y'), 5_000_000, [user('y', 'bob')]);
    const xs = await a.call({ callId: 'dup-1', tenantId: 'x', userId: 'ann', dialed: '+447700900123' });
    const ys = await b.call({ callId: 'dup-1', tenantId: 'y', userId: 'bob', dialed: '+447700900123' });
    await xs.session.answered();
    await ys.session.answered();
    await a.control.stop(); // x's instance dies
    await sleep(1200);
    await ys.session.end('caller_hangup'); // y's call is healthy and ends normally (its lease renewed now)
    await a.clock.advance(1000);
    await b.control.recoverNow();
    expect(ys.transport.hangUps).toEqual([]);
    expect((await a.usage('x')).map((r) => r.endReason)).toEqual(['gateway_lost']);
    expect((await a.usage('y')).map((r) => r.endReason)).toEqual(['caller_hangup']);
    expect((await a.ledger.balance('y', T0)).held).toBe(0);
  });
});
