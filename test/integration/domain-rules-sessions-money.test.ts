/**
 * DOMAIN rules about money across sessions and instances: concurrent calls
 * never overspend, lost instances' calls are recovered once, and settles
 * trigger auto-recharge and notices. Real Redis, deterministic clock.
 */
import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import { createRechargeService } from '../../src/payments/recharge-service.js';
import { createCallNoticeSink } from '../../src/notify/call-notices.js';
import type { Notice } from '../../src/notify/types.js';
import { silentLogger } from '../../src/log.js';
import { createMetrics } from '../../src/metrics.js';
import { FakeClock } from '../support/fake-clock.js';
import { T0, benchPerTest, provision, tenant, user, type Bench } from './calls-harness.js';

describe('DOMAIN rules on money across sessions', () => {
  const bench = benchPerTest();

  it('rule 20: concurrent calls on a small balance never spend more than it, whatever their timing', async () => {
    const b = await bench();
    const scenario = fc.array(
      fc.record({
        dialed: fc.constantFrom('+442079460000', '+447700900123'), // 60/60 and 1/1
        answerAfterMs: fc.integer({ min: 0, max: 20_000 }),
        // undefined: talks until cut off
        talkMs: fc.option(fc.integer({ min: 0, max: 400_000 }), { nil: undefined }),
      }),
      { minLength: 2, maxLength: 6 },
    );
    let run = 0;
    await fc.assert(
      fc.asyncProperty(scenario, fc.integer({ min: 100_000, max: 3_000_000 }), async (calls, opening) => {
        const id = `t${++run}`;
        await provision(b, tenant(id), opening, [user(id, 'ann')]);
        const start = b.clock.now();
        const live = [];
        for (const c of calls) {
          const placed = await b.call({ tenantId: id, userId: 'ann', dialed: c.dialed });
          if (placed.outcome.allowed) live.push({ ...c, session: placed.session });
          else expect(placed.outcome.code).toBe('NO_FUNDS');
        }
        const events = live.flatMap((c) => [
          { at: start + c.answerAfterMs, run: () => c.session.answered(start + c.answerAfterMs) },
          ...(c.talkMs === undefined
            ? []
            : [{ at: start + c.answerAfterMs + c.talkMs, run: () => c.session.end('caller_hangup', start + c.answerAfterMs + c.talkMs!) }]),
        ]);
        events.sort((x, y) => x.at - y.at);
        for (const e of events) {
          await b.clock.advanceTo(Math.max(b.clock.now(), e.at));
          await e.run();
        }
        // Long enough for every call to be cut: the balance buys at most 300 s of any rate here.
        await b.clock.advance(20 * 60_000);
        expect(live.every((c) => c.session.state === 'ended')).toBe(true);
        const records = await b.usage(id);
        const charged = records.reduce((sum, r) => sum + r.charge, 0);
        const view = await b.ledger.balance(id, b.clock.now());
        expect(view.held).toBe(0);
        expect(view.balance).toBeGreaterThanOrEqual(0);
        expect(charged).toBe(opening - view.balance);
        // One record per placed call (refused ones too, rule 27).
        expect(records).toHaveLength(calls.length);
      }),
      { numRuns: 15, seed: 20_250_310 },
    );
  });

  it('rule 20: the first call of a small balance holds it, so a concurrent call gets only what is left', async () => {
    const b = await bench();
    // USD 1.00 at one cent a second: the first call holds 60 s, the second the remaining 40 s.
    await provision(b, tenant('acme'), 1_000_000, [user('acme', 'ann'), user('acme', 'bob')]);
    const one = await b.call({ tenantId: 'acme', userId: 'ann', dialed: '+447700900123' });
    const two = await b.call({ tenantId: 'acme', userId: 'bob', dialed: '+447700900124' });
    const three = await b.call({ tenantId: 'acme', userId: 'bob', dialed: '+447700900125' });
    expect([one.outcome, two.outcome, three.outcome]).toMatchObject([
      { allowed: true, fundedSeconds: 60 },
      { allowed: true, fundedSeconds: 40 },
      { allowed: false, code: 'NO_FUNDS' },
    ]);
    await one.session.answered(T0);
    await two.session.answered(T0);
    await b.clock.advance(10 * 60_000);
    expect(one.transport.hangUps).toEqual([{ reason: 'credit_exhausted', atMs: T0 + 60_000 }]);
    expect(two.transport.hangUps).toEqual([{ reason: 'credit_exhausted', atMs: T0 + 40_000 }]);
    expect((await b.ledger.balance('acme', b.clock.now())).balance).toBe(0);
  });

  it('DESIGN recovery: the call of a dead instance is settled as gateway_lost exactly once, from its last renewal', async () => {
    const clock = new FakeClock(T0);
    // The ledger's lease runs on Redis time: one real second here, renewed by gw-a as its (fake) clock moves.
    const a = await bench({ clock, instanceId: 'gw-a', ledgerOptions: { leaseSeconds: 1 } });
    const b = await bench({ clock, instanceId: 'gw-b', ledger: a.ledger });
    const c = await bench({ clock, instanceId: 'gw-c', ledger: a.ledger });
    await provision(a, tenant('acme'), 5_000_000, [user('acme', 'ann')]);
    const { session } = await a.call({ tenantId: 'acme', userId: 'ann', dialed: '+447700900123' });
    await session.answered(T0);
    b.control.startRecovery();
    c.control.startRecovery();
    // While gw-a renews the lease (30 s), nobody recovers the call, however long it lasts.
    await clock.advanceTo(T0 + 105_000);
    expect((await b.counter('recoveredCalls')) + (await c.counter('recoveredCalls'))).toBe(0);
    expect(session.state).toBe('answered');
    // gw-a dies: its timers stop; its last renewal, at 100 s, confirmed 100 s of talk.
    await a.control.stop();
    await new Promise((resolve) => setTimeout(resolve, 1200)); // its lease runs out on Redis time
    await clock.advanceTo(T0 + 200_000);
    expect((await b.counter('recoveredCalls')) + (await c.counter('recoveredCalls'))).toBe(1);
    const records = await a.usage('acme');
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({ endReason: 'gateway_lost', durationSeconds: 100, charge: 1_000_000 });
    expect(await a.ledger.balance('acme', clock.now())).toMatchObject({ balance: 4_000_000, held: 0 });
    expect(await b.counter('callsEnded', { end_reason: 'gateway_lost' }) + (await c.counter('callsEnded', { end_reason: 'gateway_lost' }))).toBe(1);
    expect(await b.control.recoverNow()).toBe(0);
  });

  it('rules 25 and 26: a settle crossing the recharge threshold requests one recharge; crossing zero sends a notice', async () => {
    const notices: Notice[] = [];
    const notifier = { notify: (n: Notice) => void notices.push(n) };
    const clock = new FakeClock(T0);
    let ledgerRef: Bench['ledger'] | undefined;
    const recharge = createRechargeService({
      config: { provider: 'manual', timeoutMs: 1000, retries: 0 },
      loadTenant: (id) => ledgerRef!.getTenant(id),
      topUp: (id, ref, amount) => ledgerRef!.topUp(id, ref, amount, clock.now()),
      notifier,
      logger: silentLogger,
      metrics: createMetrics(),
      now: () => clock.now(),
    });
    const sink = createCallNoticeSink({ notifier, loadTenant: (id) => ledgerRef!.getTenant(id), logger: silentLogger });
    const b = await bench({ clock, recharge, notifier: sink });
    ledgerRef = b.ledger;
    b.control.startRecovery(); // and the outbox worker, every second of the bench clock
    await provision(b, tenant('acme', { autoRecharge: { threshold: 1_000_000, amount: 5_000_000 } }), 1_200_000, [user('acme', 'ann')]);
    const first = await b.call({ tenantId: 'acme', userId: 'ann', dialed: '+442079460000' });
    await first.session.answered(T0);
    await first.session.end('caller_hangup', T0 + 30_000);
    await clock.advance(1000);
    // The notices come from background work that reads the tenant from Redis: allow a loaded machine's pace.
    await vi.waitFor(() => expect(notices.map((n) => n.kind)).toEqual(['recharge_requested']), { timeout: 10_000 });
    // The next call uses up the rest: balance reaches zero.
    const second = await b.call({ tenantId: 'acme', userId: 'ann', dialed: '+442079460000' });
    await second.session.answered(clock.now());
    await clock.advance(5 * 60_000);
    expect(second.transport.hangUps.map((h) => h.reason)).toEqual(['credit_exhausted']);
    await clock.advance(1000);
    await vi.waitFor(() => expect(notices.map((n) => n.kind)).toEqual(['recharge_requested', 'balance_depleted']), { timeout: 10_000 });
    await recharge.close();
    expect(notices[1]).toMatchObject({ tenantId: 'acme', details: { callId: second.session.callId } });
  });
});
