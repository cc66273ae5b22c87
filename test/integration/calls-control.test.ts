/**
 * Call control around the sessions: payer identification, refusals with
 * clear messages, live-call registry, admin hang-up, drain, lease renewal
 * of long slices, and failing closed (or open) when Redis is unreachable.
 */
import { Redis } from 'ioredis';
import { describe, expect, it, vi } from 'vitest';
import { startRedisServer, UNREACHABLE_REDIS_URL } from '../support/redis-server.js';
import { T0, benchPerTest, openBench, provision, tenant, user, type Bench } from './calls-harness.js';

describe('call control', () => {
  const bench = benchPerTest();

  it('identifies the user by caller number when the bridge names none, and normalizes national numbers in their usage country', async () => {
    const b = await bench();
    await provision(b, tenant('acme'), 5_000_000, [user('acme', 'ann', { number: '+442079460123', usageCountry: 'FR' })]);
    const { outcome } = await b.call({ callerNumber: 'sip:+442079460123@pbx.example', dialed: '01 42 00 00 00' });
    expect(outcome).toMatchObject({ allowed: true, destination: '+33142000000', callType: 'user_out' });
    expect(b.control.liveCalls()).toMatchObject([
      { tenantId: 'acme', userId: 'ann', state: 'ringing', destination: '+33142000000', currency: 'USD', fundedSeconds: 60, free: false },
    ]);
  });

  it('bills a conference dial-out to the organizer, from the dial-out pool first (rules 5, 11)', async () => {
    const b = await bench();
    await provision(b, tenant('acme'), 0, [user('acme', 'org', { licences: ['audioConferencing'] })]);
    const { outcome, session } = await b.call({ tenantId: 'acme', organizerId: 'org', conferenceId: 'conf-1', dialed: '+33142000000' });
    expect(outcome).toMatchObject({ allowed: true, callType: 'conf_out' });
    await session.answered(T0);
    await b.clock.advance(90_000);
    await session.end('callee_hangup', T0 + 90_000);
    expect(await b.usage('acme')).toMatchObject([{ callType: 'conf_out', conferenceId: 'conf-1', userId: 'org', durationSeconds: 90, charge: 0, capability: 'dialout_pool' }]);
  });

  it('refuses calls it cannot tie to a payer or a number with a code and a message naming what is wrong, holding nothing', async () => {
    const b = await bench();
    await provision(b, tenant('acme'), 5_000_000, [user('acme', 'ann')]);
    const cases = [
      [{ tenantId: 'nope', userId: 'ann', dialed: '+442079460000' }, 'UNKNOWN_TENANT', /tenant nope/],
      [{ tenantId: 'acme', userId: 'zed', dialed: '+442079460000' }, 'UNKNOWN_USER', /zed/],
      [{ callerNumber: '+442079469999', dialed: '+442079460000' }, 'UNKNOWN_USER', /\+442079469999 is not assigned/],
      [{ tenantId: 'acme', userId: 'ann', dialed: '12ab34' }, 'MALFORMED_NUMBER', /letters/],
      [{ tenantId: 'acme', userId: 'ann', dialed: '+8613800138000' }, 'NO_RATE', /no rate/],
      [{ tenantId: 'acme', userId: 'ann', dialed: '+449090000000' }, 'PREMIUM_BLOCKED', /premium/],
      [{ direction: 'inbound' as const, dialed: '+448000000404', callerNumber: '+442079460000' }, 'UNKNOWN_NUMBER', /not a provisioned service number/],
    ] as const;
    for (const [setup, code, message] of cases) {
      const { outcome } = await b.call(setup);
      expect(outcome, JSON.stringify(setup)).toMatchObject({ allowed: false, code });
      expect(outcome.allowed === false && outcome.message).toMatch(message);
    }
    expect(await b.ledger.balance('acme', b.clock.now())).toMatchObject({ balance: 5_000_000, held: 0 });
    expect(b.control.activeCount()).toBe(0);
  });

  it('refuses a second authorize of a call id that is still live', async () => {
    const b = await bench();
    await provision(b, tenant('acme'), 5_000_000, [user('acme', 'ann')]);
    const first = await b.call({ callId: 'dup-1', tenantId: 'acme', userId: 'ann', dialed: '+442079460000' });
    const again = await b.call({ callId: 'dup-1', tenantId: 'acme', userId: 'ann', dialed: '+442079460000' });
    expect(first.outcome.allowed).toBe(true);
    expect(again.outcome).toMatchObject({ allowed: false, code: 'POLICY' });
    expect((await b.ledger.balance('acme', b.clock.now())).held).toBe(600_000);
  });

  it('admin hang-up tells the transport and settles the call as admin_hangup', async () => {
    const b = await bench();
    await provision(b, tenant('acme'), 5_000_000, [user('acme', 'ann')]);
    const { transport, session } = await b.call({ tenantId: 'acme', userId: 'ann', dialed: '+447700900123' });
    await session.answered(T0);
    await b.clock.advance(12_000);
    expect(await b.control.hangUp(session.callId)).toBe(true);
    expect(await b.control.hangUp(session.callId)).toBe(false);
    expect(transport.hangUps).toEqual([{ reason: 'admin_hangup', atMs: T0 + 12_000 }]);
    expect(await b.usage('acme')).toMatchObject([{ endReason: 'admin_hangup', durationSeconds: 12, charge: 120_000 }]);
    expect(b.control.liveCalls()).toEqual([]);
  });

  it('drain refuses new calls, waits for live ones, and hangs up the rest with reason shutdown after the grace time', async () => {
    const b = await bench();
    await provision(b, tenant('acme'), 5_000_000, [user('acme', 'ann')]);
    const short = await b.call({ tenantId: 'acme', userId: 'ann', dialed: '+447700900123' });
    const long = await b.call({ tenantId: 'acme', userId: 'ann', dialed: '+447700900124' });
    await short.session.answered(T0);
    await long.session.answered(T0);
    let drained = false;
    const drain = b.control.drain(30_000).then(() => (drained = true));
    expect(b.control.draining).toBe(true);
    expect((await b.call({ tenantId: 'acme', userId: 'ann', dialed: '+447700900125' })).outcome).toMatchObject({ allowed: false, code: 'DRAINING' });
    await b.clock.advance(10_000);
    await short.session.end('caller_hangup', b.clock.now());
    expect(b.control.activeCount()).toBe(1);
    expect(drained).toBe(false);
    await b.clock.advance(20_000);
    await drain;
    expect(long.transport.hangUps).toEqual([{ reason: 'shutdown', atMs: T0 + 30_000 }]);
    expect((await b.usage('acme')).map((r) => [r.endReason, r.durationSeconds])).toEqual(
      expect.arrayContaining([
        ['caller_hangup', 10],
        ['shutdown', 30],
      ]),
    );
  });

  it('renews the lease well inside leaseSeconds even when one slice outlasts it, so no instance recovers a live call', async () => {
    const b = await bench({ calls: { sliceSeconds: 600, leaseSeconds: 30 } });
    const other = await bench({ ledger: b.ledger, clock: b.clock, instanceId: 'gw-b', calls: { sliceSeconds: 600, leaseSeconds: 30 } });
    await provision(b, tenant('acme'), 50_000_000, [user('acme', 'ann')]);
    const { session } = await b.call({ tenantId: 'acme', userId: 'ann', dialed: '+442079460000' });
    // Ringing for two minutes: still renewed.
    other.control.startRecovery();
    await b.clock.advance(120_000);
    await session.answered(b.clock.now());
    await b.clock.advance(15 * 60_000);
    expect(await other.counter('recoveredCalls')).toBe(0);
    expect(session.state).toBe('answered');
    await session.end('caller_hangup', b.clock.now());
    expect(await b.usage('acme')).toMatchObject([{ endReason: 'caller_hangup', durationSeconds: 900 }]);
  });

  it('fails closed with UNAVAILABLE when Redis is unreachable, or lets the call through unbilled with calls.failOpen', async () => {
    // Short timeouts: nothing will ever answer, they only bound how long each refusal takes.
    const dead = { redisUrl: UNREACHABLE_REDIS_URL, redisTimeoutsMs: { connect: 300, command: 300 } };
    const closed = await bench(dead);
    const refused = await closed.call({ tenantId: 'acme', userId: 'ann', dialed: '+442079460000' });
    expect(refused.outcome).toMatchObject({ allowed: false, code: 'UNAVAILABLE' });
    expect(refused.outcome.allowed === false && refused.outcome.message).toMatch(/cannot be reached/);
    expect(await closed.counter('callDecisions', { decision: 'error', reason: 'UNAVAILABLE' })).toBe(1);
    // Rule 8 even then: an emergency number of the caller's country, or of every country, goes through.
    const emergency = await closed.call({ callerNumber: '+442079460123', dialed: '999' });
    expect(emergency.outcome).toMatchObject({ allowed: true, callType: 'emergency', destination: '999' });
    expect((await closed.call({ tenantId: 'acme', userId: 'ann', dialed: '112' })).outcome).toMatchObject({ allowed: true, callType: 'emergency' });
    expect((await closed.call({ callerNumber: '+33142000000', dialed: '999' })).outcome).toMatchObject({ allowed: false, code: 'UNAVAILABLE' });

    const open = await bench({ ...dead, calls: { failOpen: true } });
    const through = await open.call({ tenantId: 'acme', userId: 'ann', dialed: '+442079460000' });
    expect(through.outcome).toMatchObject({ allowed: true, destination: '+442079460000' });
    expect(open.control.liveCalls()).toMatchObject([{ unbilled: true, state: 'ringing' }]);
    await through.session.answered(T0);
    await open.clock.advance(60 * 60_000);
    expect(through.transport.hangUps).toEqual([]);
    await through.session.end('caller_hangup', open.clock.now());
    expect(open.control.activeCount()).toBe(0);
  });

  it('retries a settle that Redis did not answer, and the call is still settled exactly once', async () => {
    // A Redis of its own: pausing it must not stall other tests.
    const redis = await startRedisServer();
    const admin = new Redis(redis.url);
    let opened: Bench | undefined;
    try {
      // The settle must time out inside the pause: a 1 s command timeout in a 3 s
      // pause leaves 2 s for it to be sent, and 1 s for each setup command.
      const b = await openBench({ redisUrl: redis.url, redisTimeoutsMs: { command: 1000 } });
      opened = b;
      await provision(b, tenant('acme'), 5_000_000, [user('acme', 'ann')]);
      const { session } = await b.call({ tenantId: 'acme', userId: 'ann', dialed: '+447700900123' });
      await session.answered(T0);
      await b.clock.advance(30_000);
      await admin.call('CLIENT', 'PAUSE', '3000', 'ALL');
      const ending = session.end('caller_hangup', b.clock.now());
      // The first settle times out; the session waits one second (test clock) to retry.
      await vi.waitFor(() => expect(b.clock.pendingTimes()).toContain(T0 + 31_000), { timeout: 10_000 });
      expect(session.state).toBe('ending');
      await vi.waitFor(async () => expect(await admin.ping()).toBe('PONG'), { timeout: 10_000 });
      await b.clock.advance(1_000);
      await ending;
      expect(session.state).toBe('ended');
      expect(await b.usage('acme')).toMatchObject([{ endReason: 'caller_hangup', durationSeconds: 30, charge: 300_000 }]);
      expect(await b.ledger.balance('acme', b.clock.now())).toMatchObject({ balance: 4_700_000, held: 0 });
      expect(await b.counter('callsEnded', { end_reason: 'caller_hangup' })).toBe(1);
      expect(await b.counter('chargedMicros')).toBe(300_000);
    } finally {
      admin.disconnect();
      await opened?.close();
      await redis.stop();
    }
  });
});
