/**
 * Admission in one Redis round trip (issue 16): each instance keeps the
 * directory (tenants, users, service numbers, number indexes) it admitted on,
 * with the tenant's directory version; the hold script refuses a hold decided
 * on another version and the call is decided again on a fresh read. These
 * tests change the directory through a second instance (its own ledger and
 * cache, same Redis) and check that the first never admits or refuses on
 * what it had cached.
 */
import { afterEach, describe, expect, inject, it } from 'vitest';
import { createLedger, ledgerOptionsFromConfig, type RedisLedger } from '../../src/ledger/redis-ledger.js';
import { TEST_CLOCK_SKEW_MS } from '../support/ledger-fixtures.js';
import { benchPerTest, provision, tenant, user, type Bench } from './calls-harness.js';

/** A second gateway instance's ledger on the same Redis and key prefix, with a cache of its own. */
function otherInstance(b: Bench): RedisLedger {
  return createLedger(
    ledgerOptionsFromConfig(b.config, { url: inject('redisUrl'), keyPrefix: b.ledger.keyPrefix, maxClockSkewMs: TEST_CLOCK_SKEW_MS }),
  );
}

/** Counts the commands a ledger's client writes to Redis while `run` runs. */
async function commandsDuring(ledger: RedisLedger, run: () => Promise<unknown>): Promise<string[]> {
  const client = ledger.client as unknown as { sendCommand(cmd: { name: string }): unknown };
  const original = client.sendCommand;
  const sent: string[] = [];
  client.sendCommand = function (this: unknown, cmd: { name: string }) {
    sent.push(cmd.name);
    return original.call(this, cmd);
  };
  try {
    await run();
  } finally {
    client.sendCommand = original;
  }
  return sent;
}

describe('directory cache with version-checked holds', () => {
  const bench = benchPerTest();
  const others: RedisLedger[] = [];
  afterEach(async () => {
    for (const l of others.splice(0)) await l.close();
  });

  it('admits a known caller with one Redis command: the hold', async () => {
    const b = await bench();
    await provision(b, tenant('acme'), 5_000_000, [user('acme', 'ann', { number: '+442079460001' })]);
    const first = await b.call({ tenantId: 'acme', userId: 'ann', dialed: '+442079460000' });
    await first.session.end('cancelled');
    const byNumber = await b.call({ callerNumber: '+442079460001', dialed: '+442079460000' });
    await byNumber.session.end('cancelled');

    for (const setup of [{ tenantId: 'acme', userId: 'ann' }, { callerNumber: '+442079460001' }]) {
      let call: Awaited<ReturnType<Bench['call']>> | undefined;
      const sent = await commandsDuring(b.ledger, async () => {
        call = await b.call({ ...setup, dialed: '+442079460000' });
      });
      expect(call!.outcome.allowed, JSON.stringify(setup)).toBe(true);
      expect(sent, JSON.stringify(setup)).toEqual(['evalsha']);
      await call!.session.end('cancelled');
    }
  });

  it('sees a licence removed and given back on another instance at the very next call', async () => {
    const b = await bench();
    await provision(b, tenant('acme'), 5_000_000, [user('acme', 'ann')]);
    const other = otherInstance(b);
    others.push(other);
    const warm = await b.call({ tenantId: 'acme', userId: 'ann', dialed: '+442079460000' });
    expect(warm.outcome.allowed).toBe(true);
    await warm.session.end('cancelled');

    await other.putUser(user('acme', 'ann', { licences: [] }));
    const refused = await b.call({ tenantId: 'acme', userId: 'ann', dialed: '+442079460000' });
    expect(refused.outcome).toMatchObject({ allowed: false, code: 'NO_LICENCE' });

    await other.putUser(user('acme', 'ann', { licences: ['communicationCredits'] }));
    const admitted = await b.call({ tenantId: 'acme', userId: 'ann', dialed: '+442079460000' });
    expect(admitted.outcome.allowed).toBe(true);
    await admitted.session.end('cancelled');
    // One refusal record (the refused call), written once although that call was decided twice.
    const records = await b.usage('acme');
    expect(records.filter((r) => r.endReason === 'rejected')).toHaveLength(1);
    expect(await b.ledger.balance('acme', b.clock.now())).toMatchObject({ balance: 5_000_000, held: 0 });
  });

  it('follows a caller number and a service number moved to another tenant on another instance', async () => {
    const b = await bench();
    await provision(b, tenant('acme'), 5_000_000, [user('acme', 'ann', { number: '+442079460001' })]);
    await provision(b, tenant('beta'), 5_000_000, [user('beta', 'bob')]);
    await b.ledger.putServiceNumber({ number: '+448005550100', tenantId: 'acme', kind: 'toll-free', service: 'conferencing', target: 'sip:bridge@127.0.0.1' });
    const other = otherInstance(b);
    others.push(other);
    for (const setup of [{ callerNumber: '+442079460001', dialed: '+442079460000' }, { direction: 'inbound' as const, callerNumber: '+447700900001', dialed: '+448005550100' }]) {
      const warm = await b.call(setup);
      expect(warm.outcome.allowed).toBe(true);
      await warm.session.end('cancelled');
    }

    await other.putUser(user('acme', 'ann'));
    await other.putUser(user('beta', 'bob', { number: '+442079460001' }));
    await other.deleteServiceNumber('+448005550100');
    await other.putServiceNumber({ number: '+448005550100', tenantId: 'beta', kind: 'toll-free', service: 'conferencing', target: 'sip:other-bridge@127.0.0.1' });

    const out = await b.call({ callerNumber: '+442079460001', dialed: '+442079460000' });
    expect(out.outcome.allowed).toBe(true);
    expect(out.session.tenantId).toBe('beta');
    await out.session.answered();
    b.clock.advance(30_000);
    await out.session.end('caller_hangup');
    const inbound = await b.call({ direction: 'inbound', callerNumber: '+447700900001', dialed: '+448005550100' });
    expect(inbound.outcome).toMatchObject({ allowed: true, target: 'sip:other-bridge@127.0.0.1' });
    expect(inbound.session.tenantId).toBe('beta');
    await inbound.session.end('cancelled');
    expect((await b.usage('beta')).map((r) => r.callId)).toContain(out.session.callId);
    expect((await b.ledger.balance('beta', b.clock.now())).balance).toBeLessThan(5_000_000);
    expect(await b.ledger.balance('acme', b.clock.now())).toMatchObject({ balance: 5_000_000, held: 0 });
  });

  it('never admits on the cached record of a tenant deleted and created again elsewhere', async () => {
    const b = await bench();
    await provision(b, tenant('acme'), 5_000_000, [user('acme', 'ann')]);
    const other = otherInstance(b);
    others.push(other);
    const warm = await b.call({ tenantId: 'acme', userId: 'ann', dialed: '+442079460000' });
    await warm.session.end('cancelled');
    // The opening top-up makes the tenant "used": delete it with force, then create it again with a user who has no licence.
    await other.deleteTenant('acme');
    await other.putTenant(tenant('acme'));
    await other.topUp('acme', 'again', 5_000_000, b.clock.now());
    await other.putUser(user('acme', 'ann', { licences: [] }));
    const refused = await b.call({ tenantId: 'acme', userId: 'ann', dialed: '+442079460000' });
    expect(refused.outcome).toMatchObject({ allowed: false, code: 'NO_LICENCE' });
  });

  it('refuses a hold decided on another directory version, writing nothing', async () => {
    const b = await bench();
    await provision(b, tenant('acme'), 5_000_000, [user('acme', 'ann')]);
    const payer = await b.ledger.loadPayer('acme', 'ann', { fresh: true });
    expect(payer?.version).toMatch(/^\d+$/);
    const hold = (directoryVersion: string, callId: string) =>
      b.ledger.hold({
        tenantId: 'acme', callId, sources: [{ kind: 'credits' }], requirePositiveBalance: false, nowMs: b.clock.now(), userId: 'ann', directoryVersion,
        rate: { currency: 'USD', pricePerMinute: 600_000, connectFee: 0, initialIncrement: 60, subsequentIncrement: 60 },
        draft: { tenantId: 'acme', callId, callType: 'user_out', callDirection: 'outbound', destinationDialed: '+442079460000', destinationNumber: '+442079460000', currency: 'USD' },
      });
    expect(await hold(`${payer!.version}0`, 'stale-1')).toEqual({ ok: false, refusal: 'DIRECTORY_CHANGED' });
    expect(await b.ledger.balance('acme', b.clock.now())).toMatchObject({ held: 0 });
    expect(await hold(payer!.version!, 'current-1')).toMatchObject({ ok: true });
    await b.ledger.putUser(user('acme', 'ann', { displayName: 'Ann again' }));
    expect(await hold(payer!.version!, 'stale-2')).toEqual({ ok: false, refusal: 'DIRECTORY_CHANGED' });
    expect((await b.ledger.loadPayer('acme', 'ann', { fresh: true }))!.version).not.toBe(payer!.version);
  });
});
