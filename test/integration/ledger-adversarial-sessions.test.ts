/**
 * The ledger's money as live call sessions see it: the held-money gauge and
 * LiveCall.heldMicros track every extension, and an answer Redis did not take
 * still makes the call pay for its answered time.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Metrics } from '../../src/metrics.js';
import { startRedisServer, type RunningRedis } from '../support/redis-server.js';
import { T0, openBench, provision, tenant, user, type Bench } from './calls-harness.js';

async function heldGauge(metrics: Metrics, currency = 'USD'): Promise<number> {
  const values = (await metrics.heldMicros.get()).values;
  return values.filter((v) => v.labels.currency === currency).reduce((sum, v) => sum + v.value, 0);
}

describe('ledger money seen by call sessions', () => {
  const cleanup: Array<() => Promise<unknown> | unknown> = [];
  afterEach(async () => {
    for (const fn of cleanup.splice(0).reverse()) await fn();
  });

  async function bench(opts: Parameters<typeof openBench>[0] = {}): Promise<Bench> {
    const b = await openBench(opts);
    cleanup.push(() => b.close());
    return b;
  }

  it('the held-money gauge and LiveCall.heldMicros follow every extension, and return to 0 when the calls end', async () => {
    const b = await bench();
    await provision(b, tenant('acme'), 50_000_000, [user('acme', 'ann'), user('acme', 'bob')]);
    // GB mobile: one cent a second, so each funded minute holds USD 0.60.
    const first = await b.call({ tenantId: 'acme', userId: 'ann', dialed: '+447700900123' });
    const second = await b.call({ tenantId: 'acme', userId: 'bob', dialed: '+447700900124' });
    expect(await heldGauge(b.metrics)).toBe(1_200_000);
    await first.session.answered(T0);
    await second.session.answered(T0);

    const seen = new Set<number>();
    for (let step = 0; step < 8; step++) {
      await b.clock.advance(25_000);
      const ledgerHeld = (await b.ledger.balance('acme', b.clock.now())).held;
      const live = b.control.liveCalls();
      expect(await heldGauge(b.metrics)).toBe(ledgerHeld);
      expect(live.reduce((sum, c) => sum + c.heldMicros, 0)).toBe(ledgerHeld);
      for (const c of live) expect(c.heldMicros).toBe(c.fundedSeconds * 10_000);
      seen.add(ledgerHeld);
      if (step === 3) await first.session.end('caller_hangup', b.clock.now());
    }
    // Several extensions were funded (each 10 s before the funded end; renewals between only renew the lease), each one counted.
    expect(seen.size).toBeGreaterThanOrEqual(3);
    expect(Math.max(...seen)).toBeGreaterThanOrEqual(2 * 1_200_000);

    await second.session.end('callee_hangup', b.clock.now());
    expect(await heldGauge(b.metrics)).toBe(0);
    expect((await b.ledger.balance('acme', b.clock.now())).held).toBe(0);
    const charged = (await b.usage('acme')).reduce((sum, r) => sum + r.charge, 0);
    expect((await b.ledger.balance('acme', b.clock.now())).balance).toBe(50_000_000 - charged);
  });

  it('a call whose answer Redis did not take still pays for its answered time', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tollgate-aof-'));
    cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
    const persist = ['--appendonly', 'yes', '--appendfsync', 'always', '--dir', dir];
    let redis: RunningRedis = await startRedisServer(persist);
    const { port } = redis;
    cleanup.push(() => redis.stop());
    const b = await bench({ redisUrl: redis.url });
    await provision(b, tenant('acme'), 5_000_000, [user('acme', 'ann')]);
    const { session } = await b.call({ tenantId: 'acme', userId: 'ann', dialed: '+442079460000' });

    // Redis goes away just as the call is answered, and comes back with its data.
    await redis.stop();
    await vi.waitFor(() => expect(b.ledger.client.status).not.toBe('ready'), { timeout: 10_000 });
    await session.answered(T0);
    expect(session.state).toBe('answered');
    redis = await startRedisServer(['--port', String(port), ...persist]);
    await vi.waitFor(async () => expect(await b.ledger.getTenant('acme')).not.toBeNull(), { timeout: 10_000, interval: 100 });

    // The call ends before any renewal could have recorded the answer.
    await b.clock.advance(5_000);
    await session.end('caller_hangup', b.clock.now());
    expect(session.state).toBe('ended');
    expect(await b.usage('acme')).toMatchObject([{ endReason: 'caller_hangup', startTime: T0, durationSeconds: 5, charge: 600_000 }]);
    expect(await b.ledger.balance('acme', b.clock.now())).toMatchObject({ balance: 4_400_000, held: 0 });
  });
});
