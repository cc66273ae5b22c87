/**
 * Redis high availability: calls and top-ups under load while the master is
 * killed (kill -9), with Redis Sentinel (master, replica, three sentinels) and
 * with a Redis Cluster that has a replica per master. Every acknowledged
 * top-up and settle is on the new master, none applied twice, balance ==
 * opening + Σ acknowledged top-ups − Σ settled charges to the micro, live
 * calls settled once, and admissions back within 10 s of the kill.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { LedgerUnavailableError } from '../../src/ledger/types.js';
import { tenantKeys } from '../../src/ledger/keys.js';
import { createMetrics } from '../../src/metrics.js';
import type { RedisLedger } from '../../src/ledger/redis-ledger.js';
import { startRedisCluster } from '../support/redis-cluster.js';
import { startRedisServer } from '../support/redis-server.js';
import { MASTER_NAME, startSentinels } from '../support/redis-sentinel.js';
import { holdRequest, newLedger, tenant, uniquePrefix } from '../support/ledger-fixtures.js';

const OPENING = 1_000_000_000_000; // 1,000,000 units: the load spends ~0.1 a call, thousands of calls a second

/** Retries an idempotent ledger step while Redis fails over; anything else is thrown. */
async function retrying<T>(step: () => Promise<T>, maxMs = 30_000): Promise<T> {
  const deadline = Date.now() + maxMs;
  for (;;) {
    try {
      return await step();
    } catch (err) {
      if (!(err instanceof LedgerUnavailableError) || Date.now() > deadline) throw err;
      await sleep(100);
    }
  }
}

interface LoadResult {
  ackedTopUps: Array<{ reference: string; amount: number }>;
  settled: Array<{ callId: string; charge: number }>;
  lostHolds: number;
  /** From the kill to the first admission after the last one refused (0: none was refused). */
  firstHoldAfterKillMs: number | undefined;
}

/** Top-ups and calls (hold, answer, settle) until `until` resolves, then a little more; kill() happens meanwhile. */
async function runLoad(ledger: RedisLedger, tenantId: string, killedAt: () => number | undefined, stopAt: () => boolean): Promise<LoadResult> {
  const out: LoadResult = { ackedTopUps: [], settled: [], lostHolds: 0, firstHoldAfterKillMs: undefined };
  let lastRefusedAt = 0;
  let firstAfterRefusal: number | undefined;
  let seq = 0;
  const topUps = (async () => {
    while (!stopAt()) {
      const reference = `load-${++seq}`;
      const r = await retrying(() => ledger.topUp(tenantId, reference, 1_000, Date.now()));
      out.ackedTopUps.push({ reference, amount: r.applied ? 1_000 : 1_000 });
    }
  })();
  const callers = Array.from({ length: 4 }, async (_, w) => {
    let n = 0;
    while (!stopAt()) {
      const callId = `w${w}-c${++n}`;
      let held;
      try {
        held = await ledger.hold(holdRequest(tenantId, callId, { nowMs: Date.now() }));
      } catch (err) {
        if (!(err instanceof LedgerUnavailableError)) throw err;
        lastRefusedAt = Date.now();
        firstAfterRefusal = undefined;
        await sleep(100); // refused 503 during the failover: the caller tries again with a new call
        continue;
      }
      if (!held.ok) throw new Error(`hold refused: ${held.refusal}`);
      if (killedAt() !== undefined && firstAfterRefusal === undefined) firstAfterRefusal = Date.now();
      const answeredAt = Date.now();
      try {
        await retrying(() => ledger.answer(tenantId, callId, answeredAt, Date.now()));
        const token = `${callId}-settle`;
        const endedAt = answeredAt + 30_000;
        const r = await retrying(() => ledger.settle(tenantId, callId, endedAt, 'caller_hangup', { token, nowMs: Math.max(Date.now(), endedAt) }));
        expect(r.applied).toBe(true);
        out.settled.push({ callId, charge: r.record.charge });
      } catch (err) {
        // A hold acknowledged just before the failover may be missing on the new master (holds are not replica-acked).
        if ((err as { code?: string }).code === 'UNKNOWN_HOLD') out.lostHolds++;
        else throw err;
      }
    }
  });
  // A probe admission every 100 ms, as a bridge would keep placing calls: when do they succeed again?
  const probe = (async () => {
    let n = 0;
    while (!stopAt()) {
      const callId = `probe-${++n}`;
      try {
        const held = await ledger.hold(holdRequest(tenantId, callId, { nowMs: Date.now() }));
        if (killedAt() !== undefined && firstAfterRefusal === undefined) firstAfterRefusal = Date.now();
        if (held.ok) await retrying(() => ledger.release(tenantId, callId, Date.now(), 'cancelled'));
      } catch (err) {
        if (!(err instanceof LedgerUnavailableError)) throw err;
        lastRefusedAt = Date.now();
        firstAfterRefusal = undefined;
      }
      await sleep(100);
    }
  })();
  await Promise.all([topUps, probe, ...callers]);
  const at = killedAt();
  if (at !== undefined) out.firstHoldAfterKillMs = lastRefusedAt > at && firstAfterRefusal !== undefined ? firstAfterRefusal - at : 0;
  return out;
}

async function checkMoney(ledger: RedisLedger, prefix: string, tenantId: string, load: LoadResult): Promise<void> {
  const view = await retrying(() => ledger.balance(tenantId, Date.now()));
  const toppedUp = load.ackedTopUps.reduce((sum, t) => sum + t.amount, 0);
  const charged = load.settled.reduce((sum, s) => sum + s.charge, 0);
  // Held money belongs to holds refused in transit during the failover (released by lease recovery).
  expect(view.balance).toBe(OPENING + toppedUp - charged);
  const refs = await ledger.client.hgetall(tenantKeys(prefix, tenantId).topUps);
  for (const t of load.ackedTopUps) expect(refs[t.reference], `top-up ${t.reference} acknowledged`).toBeDefined();
  const records = [];
  for await (const r of ledger.usage(tenantId, 0, Date.now() + 86_400_000)) records.push(r);
  const byCall = new Map<string, number>();
  for (const r of records) byCall.set(r.callId, (byCall.get(r.callId) ?? 0) + 1);
  for (const s of load.settled) expect(byCall.get(s.callId), `usage record of ${s.callId}`).toBe(1);
  expect(load.settled.length).toBeGreaterThan(10);
  expect(load.ackedTopUps.length).toBeGreaterThan(10);
  expect(load.firstHoldAfterKillMs).toBeDefined();
  expect(load.firstHoldAfterKillMs!).toBeLessThanOrEqual(10_000);
}

describe('Redis high availability', () => {
  it('acknowledges a top-up only once a replica has it: with the replica frozen it fails (retryable), then the retry answers the first result', async () => {
    const master = await startRedisServer();
    const replica = await startRedisServer(['--replicaof', '127.0.0.1', String(master.port)]);
    const prefix = uniquePrefix();
    const ledger = newLedger('redis', { url: master.url, keyPrefix: prefix, replicaAckTimeoutMs: 300 });
    try {
      await ledger.ready();
      const sync = Date.now() + 20_000;
      while (!(await ledger.client.info('replication')).includes('connected_slaves:1') && Date.now() < sync) await sleep(100);
      await sleep(500); // the replica's first sync
      await ledger.putTenant(tenant('acme'));
      await retrying(() => ledger.topUp('acme', 'opening', 1_000_000, Date.now()));
      replica.pause();
      await expect(ledger.topUp('acme', 't1', 5_000, Date.now())).rejects.toThrow(/0 of 1 replica\(s\) confirmed the change within 300 ms.*retry/);
      replica.resume();
      const again = await retrying(() => ledger.topUp('acme', 't1', 5_000, Date.now()));
      expect(again).toMatchObject({ applied: false, balanceAfter: 1_005_000 });
    } finally {
      replica.resume();
      await ledger.close();
      await replica.stop();
      await master.stop();
    }
  });

  it('Sentinel: the master killed under load; the replica takes over and nothing acknowledged is lost or doubled', async () => {
    const group = await startSentinels();
    const prefix = uniquePrefix();
    const metrics = createMetrics();
    const ledger = newLedger('redis', {
      keyPrefix: prefix, sentinels: group.sentinels, masterName: MASTER_NAME, connectTimeoutMs: 1000, commandTimeoutMs: 1000, metrics,
    });
    try {
      await ledger.putTenant(tenant('acme'));
      await ledger.topUp('acme', 'opening', OPENING, Date.now());
      let killedAt: number | undefined;
      let stop = false;
      const load = runLoad(ledger, 'acme', () => killedAt, () => stop);
      await sleep(1500);
      const before = await group.currentMaster();
      group.master.kill();
      killedAt = Date.now();
      // Load goes on through the failover and a while after it.
      const deadline = Date.now() + 30_000;
      while ((await group.currentMaster().catch(() => before)) === before && Date.now() < deadline) await sleep(200);
      const failoverMs = Date.now() - killedAt;
      await sleep(2000);
      stop = true;
      const result = await load;
      expect(await group.currentMaster()).toBe(`127.0.0.1:${group.replica.port}`);
      await checkMoney(ledger, prefix, 'acme', result);
      const acks = (await metrics.replicaAcks.get()).values;
      expect(acks.find((v) => v.labels.outcome === 'acked')?.value ?? 0).toBeGreaterThan(0);
      console.log(
        `sentinel failover: promoted after ${failoverMs} ms; admissions back ${result.firstHoldAfterKillMs} ms after the kill; ` +
          `${result.ackedTopUps.length} top-ups and ${result.settled.length} settles acknowledged, ${result.lostHolds} holds lost in the failover`,
      );
    } finally {
      await ledger.close();
      await group.stop();
    }
  }, 90_000);

  it('Cluster with a replica per master: the master of the tenant\'s slot killed under load; nothing acknowledged is lost or doubled', async () => {
    const cluster = await startRedisCluster(3, { replicas: 1, nodeTimeoutMs: 1000 });
    const prefix = uniquePrefix();
    const ledger = newLedger('redis', { keyPrefix: prefix, clusterNodes: cluster.nodes, connectTimeoutMs: 1000, commandTimeoutMs: 1000 });
    try {
      await ledger.putTenant(tenant('acme'));
      await ledger.topUp('acme', 'opening', OPENING, Date.now());
      const slot = tenantKeys(prefix, 'acme').slot;
      const slots = (await (ledger.client as unknown as { cluster(...a: string[]): Promise<Array<[number, number, [string, number]]>> }).cluster('SLOTS'));
      const range = slots.find(([from, to]) => slot >= from && slot <= to)!;
      const master = `${range[2][0]}:${range[2][1]}`;
      let killedAt: number | undefined;
      let stop = false;
      const load = runLoad(ledger, 'acme', () => killedAt, () => stop);
      await sleep(1500);
      cluster.kill(master);
      killedAt = Date.now();
      await sleep(8000);
      stop = true;
      const result = await load;
      await checkMoney(ledger, prefix, 'acme', result);
      console.log(
        `cluster failover: admissions back ${result.firstHoldAfterKillMs} ms after the kill; ` +
          `${result.ackedTopUps.length} top-ups and ${result.settled.length} settles acknowledged, ${result.lostHolds} holds lost in the failover`,
      );
    } finally {
      await ledger.close();
      await cluster.stop();
    }
  }, 120_000);
});
