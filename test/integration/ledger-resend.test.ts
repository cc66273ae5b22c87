/**
 * Every script is safe to run twice: a command resent by the client after its
 * reply was lost (the same script with the same arguments) returns the first
 * result and changes nothing more; effects come from the outbox, once.
 */
import { afterEach, describe, expect, inject, it } from 'vitest';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy.js';
import type { RedisLedger } from '../../src/ledger/redis-ledger.js';
import { registerScripts } from '../../src/ledger/scripts.js';
import { tenantKeys } from '../../src/ledger/keys.js';
import { rechargeReference } from '../../src/payments/recharge-service.js';
import { MAX_REFERENCE_LENGTH } from '../../src/ledger/references.js';
import { BACKENDS, T0, holdRequest, newLedger, tenant } from '../support/ledger-fixtures.js';

describe.each(BACKENDS)('resent scripts (%s)', (backend) => {
  let ledger: RedisLedger;
  afterEach(async () => ledger?.close());

  it('a resent hold (same request id) returns its first result, not DUPLICATE_CALL, and holds the money once', async () => {
    ledger = newLedger(backend);
    await ledger.putTenant(tenant('acme'));
    await ledger.topUp('acme', 'opening', 1_000_000, T0);
    const k = tenantKeys(ledger.keyPrefix, 'acme');
    // Capture the exact command the ledger sends, then send it again as ioredis would on a resend.
    const scripts = registerScripts(ledger.client);
    const sent: Array<{ keys: string[]; args: Array<string | number> }> = [];
    await ledger.hold(holdRequest('acme', 'c1'));
    const request = await ledger.client.hgetall(k.hold('c1'));
    const args = [
      JSON.stringify({
        cid: 'c1', tid: 'acme', rid: request.rid, now: T0, skew: 20 * 365 * 86_400_000, lease: 30_000, lg: 3000, slice: 60, cur: 'EUR', step: 10_000,
        pr: 100_000, fee: 0, ini: 60, sub: 60, pos: 0, uid: request.uid, dm: request.dm, ttl: 86_400_000,
      }),
      request.draft!, request.srcj!, request.pks!, JSON.stringify([{ k: 'c', lab: 'credits', size: 0, ref: '' }]),
    ];
    sent.push({ keys: [k.account, k.hold('c1'), k.leases, k.usage, k.poolRegistry, k.due, k.outbox], args });
    const again = await scripts.run('hold', sent[0]!.keys, sent[0]!.args);
    expect(again.slice(0, 2).map(Number)).toEqual([0, 60]);
    expect((await ledger.balance('acme', T0)).held).toBe(100_000);
    // A different request for the same call id is still a duplicate.
    expect(await ledger.hold(holdRequest('acme', 'c1'))).toEqual({ ok: false, refusal: 'DUPLICATE_CALL' });
  });

  it('a settle retried after a lost reply is still "applied" for its token, debits once, and its recharge is queued once in the outbox', async () => {
    ledger = newLedger(backend);
    await ledger.putTenant(tenant('acme', { autoRecharge: { threshold: 950_000, amount: 5_000_000 } }));
    await ledger.topUp('acme', 'opening', 1_000_000, T0);
    const callId = 'x'.repeat(MAX_REFERENCE_LENGTH); // the longest call id there is
    await ledger.hold(holdRequest('acme', callId));
    await ledger.answer('acme', callId, T0);
    const first = await ledger.settle('acme', callId, T0 + 30_000, 'caller_hangup', { token: 'tok-1' });
    const retry = await ledger.settle('acme', callId, T0 + 30_000, 'caller_hangup', { token: 'tok-1' });
    const other = await ledger.settle('acme', callId, T0 + 30_000, 'caller_hangup', { token: 'tok-2' });
    expect([first.applied, retry.applied, other.applied]).toEqual([true, true, false]);
    expect(retry.record).toEqual(first.record);
    expect((await ledger.balance('acme', T0)).balance).toBe(900_000);
    const effects = await ledger.outbox.read('test', { count: 100 });
    expect(effects.map((e) => [e.kind, e.callId])).toEqual([['recharge', callId]]);
    // The recharge's reference always fits the one reference limit, and tops up.
    const reference = rechargeReference('acme', effects[0]!.eventId);
    expect(reference.length).toBeLessThanOrEqual(MAX_REFERENCE_LENGTH);
    expect(await ledger.topUp('acme', reference, 5_000_000, Date.now())).toMatchObject({ applied: true, balanceAfter: 5_900_000 });
    await ledger.outbox.ack(effects[0]!);
    expect(await ledger.outbox.read('test', { count: 100, claimIdleMs: 0 })).toEqual([]);
  });
});

describe('replies lost on the wire (a TCP proxy swallows one)', () => {
  let ledger: RedisLedger | undefined;
  let proxy: TcpProxy | undefined;
  afterEach(async () => {
    await ledger?.close();
    await proxy?.close();
  });

  it('a hold and a settle whose replies were lost: the client resends, gets the first results, and the money moves once', async () => {
    proxy = await startTcpProxy(Number(new URL(inject('redisUrl')).port));
    ledger = newLedger('redis', { url: proxy.url });
    await ledger.putTenant(tenant('acme'));
    await ledger.topUp('acme', 'opening', 1_000_000, T0);
    await ledger.hold(holdRequest('acme', 'c0')); // registers the slot, so the next command a hold sends is its script
    await ledger.release('acme', 'c0', T0, 'cancelled');
    proxy.dropNextReply();
    expect(await ledger.hold(holdRequest('acme', 'c1'))).toEqual({ ok: true, fundedSeconds: 60, heldMicros: 100_000, unlimited: false });
    expect((await ledger.balance('acme', T0)).held).toBe(100_000);
    await ledger.answer('acme', 'c1', T0);
    proxy.dropNextReply();
    const settled = await ledger.settle('acme', 'c1', T0 + 30_000, 'caller_hangup', { token: 't1' });
    expect(settled).toMatchObject({ applied: true, record: { durationSeconds: 30, charge: 100_000 } });
    expect(await ledger.balance('acme', T0)).toMatchObject({ balance: 900_000, held: 0 });
    expect((await ledger.outbox.read('test', { count: 10 })).length).toBe(0);
    expect(proxy.dropped).toBe(2); // both replies really were lost, and the client resent both commands
  });
});
