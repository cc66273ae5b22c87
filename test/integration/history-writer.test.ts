/**
 * DOMAIN rule 33 through the history outbox and a real PostgreSQL: every
 * usage record and every movement of a balance reaches PostgreSQL once, even
 * when a writer is killed between COMMIT and its acknowledgement, and while
 * PostgreSQL is stopped calls go on and the records wait in Redis.
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createMetrics } from '../../src/metrics.js';
import { reconcile } from '../../src/history/reconcile.js';
import { startHistoryWriter } from '../../src/history/writer.js';
import type { PgPool } from '../../src/history/pg.js';
import type { RedisLedger } from '../../src/ledger/redis-ledger.js';
import type { UsageRecord } from '../../src/domain.js';
import { T0, tenant } from '../support/ledger-fixtures.js';
import { counts, freshDatabase, historyLedger, quietLogger, runCall, waiting } from '../support/history-fixtures.js';
import { startPostgres, type RunningPostgres } from '../support/postgres-server.js';

let server: RunningPostgres;
beforeAll(async () => {
  server = await startPostgres();
});
afterAll(async () => {
  await server?.destroy();
});

async function usageIds(ledger: RedisLedger, tenantId: string): Promise<string[]> {
  const out: string[] = [];
  for await (const r of ledger.usage(tenantId, 0, Date.UTC(2100, 0, 1)) as AsyncIterable<UsageRecord>) out.push(r.usageId);
  return out;
}

describe('history writer (DOMAIN rule 33: every movement recorded once, durably)', () => {
  let ledger: RedisLedger;
  let pool: PgPool;
  let url: string;
  beforeAll(async () => {
    ({ pool, url } = await freshDatabase(server.url));
    ledger = historyLedger();
  });
  afterAll(async () => {
    await ledger?.close();
    await pool?.end();
  });

  it('rule 33: a writer killed between COMMIT and acknowledgement leaves no record lost and none twice', async () => {
    await ledger.putTenant(tenant('kill'));
    await ledger.topUp('kill', 'first-funds', 50_000_000, T0);
    const calls = [];
    for (let i = 0; i < 120; i++) calls.push(await runCall(ledger, 'kill', 30 + (i % 7) * 20, i * 1000));
    await ledger.topUp('kill', 'recharge-abc', 5_000_000, T0);
    expect(await waiting(ledger)).toBe(122);

    // The child commits one batch of 50 and is killed (SIGKILL) before it acknowledges it.
    const child = spawn(process.execPath, ['--import', 'tsx', 'test/support/history-writer-child.ts', inject('redisUrl'), ledger.keyPrefix, url, '50', 'doomed'], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const committed = await new Promise<string>((resolve, reject) => {
      let out = '';
      child.stdout!.on('data', (c: Buffer) => {
        out += c.toString();
        if (out.includes('\n')) resolve(out.trim());
      });
      child.on('exit', (code) => reject(new Error(`writer child exited with ${code} before committing: ${out}`)));
    });
    expect(committed).toBe('committed 50');
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    // Committed in PostgreSQL, still pending in Redis: the window the kill hit.
    // The batch: the first top-up and 49 calls (each call's entry holds its usage record and its charge).
    const mid = await counts(pool, 'kill');
    expect(mid.usage).toBe(49);
    expect(mid.entries).toBe(1 + calls.slice(0, 49).filter((c) => c.charge > 0).length);
    expect(await waiting(ledger)).toBe(122);

    // Another writer claims the dead one's pending batch (idle > 0 ms here) and writes the rest.
    const metrics = createMetrics();
    const writer = startHistoryWriter({ outbox: ledger.historyOutbox, pool, consumer: 'survivor', logger: quietLogger, metrics, batchSize: 40, claimIdleMs: 0 }, false);
    await writer.drain();
    await writer.stop();
    expect(await waiting(ledger)).toBe(0);

    const after = await counts(pool, 'kill');
    expect(after.usage).toBe(120);
    expect(after.usageDistinct).toBe(120);
    const charged = calls.filter((c) => c.charge > 0).length;
    expect(after.entries).toBe(charged + 2);
    const ids = await usageIds(ledger, 'kill');
    const inPg = await pool.query<{ usage_id: string }>('SELECT usage_id FROM usage_records WHERE tenant_id = $1', ['kill']);
    expect(new Set(inPg.rows.map((r) => r.usage_id))).toEqual(new Set(ids));

    const report = await reconcile(pool, ledger, 'kill');
    expect(report.checks.filter((c) => !c.ok)).toEqual([]);
    expect(report.pendingInRedis).toBe(0);
    const kinds = await pool.query<{ kind: string; n: string }>('SELECT kind, count(*) AS n FROM balance_entries WHERE tenant_id = $1 GROUP BY kind ORDER BY kind', ['kill']);
    expect(kinds.rows.map((r) => [r.kind, Number(r.n)])).toEqual([['charge', charged], ['recharge', 1], ['top-up', 1]]);
  });

  it('rule 33: refused calls and adjustments are recorded too; a repeated top-up reference is one entry', async () => {
    await ledger.putTenant(tenant('misc'));
    await ledger.topUp('misc', 'm-1', 1_000_000, T0);
    await ledger.topUp('misc', 'm-1', 1_000_000, T0);
    await ledger.adjust('misc', 'goodwill-7', -250_000, T0);
    await ledger.recordUsage({
      usageId: randomUUID(), tenantId: 'misc', callId: 'refused-1', callType: 'user_out', callDirection: 'outbound',
      destinationDialed: '+4930123', destinationNumber: '+4930123', startTime: T0, endTime: T0, durationSeconds: 0,
      connectFee: 0, charge: 0, currency: 'EUR', capability: 'none', endReason: 'rejected',
    });
    const writer = startHistoryWriter({ outbox: ledger.historyOutbox, pool, consumer: 'misc', logger: quietLogger }, false);
    await writer.drain();
    await writer.stop();
    const rows = await pool.query<{ seq: string; kind: string; amount_micros: string; balance_after_micros: string; reference: string }>(
      'SELECT seq, kind, amount_micros, balance_after_micros, reference FROM balance_entries WHERE tenant_id = $1 ORDER BY seq', ['misc'],
    );
    expect(rows.rows.map((r) => [Number(r.seq), r.kind, Number(r.amount_micros), Number(r.balance_after_micros), r.reference])).toEqual([
      [1, 'top-up', 1_000_000, 1_000_000, 'm-1'],
      [2, 'adjustment', -250_000, 750_000, 'goodwill-7'],
    ]);
    expect((await counts(pool, 'misc')).usage).toBe(1);
    expect((await reconcile(pool, ledger, 'misc')).ok).toBe(true);
  });

  it('rule 33: PostgreSQL stopped under load (8 s): calls go on, records wait in Redis, every one is written once after', async () => {
    const tenants = ['load-a', 'load-b', 'load-c'];
    for (const t of tenants) {
      await ledger.putTenant(tenant(t));
      await ledger.topUp(t, `${t}-funds`, 500_000_000, T0);
    }
    const metrics = createMetrics();
    const writer = startHistoryWriter({ outbox: ledger.historyOutbox, pool, consumer: 'steady', logger: quietLogger, metrics, pollMs: 100, maxBackoffMs: 1000 });
    let stop = false;
    let n = 0;
    let slowest = 0;
    const failures: unknown[] = [];
    const load = Promise.all(
      Array.from({ length: 6 }, async (_, lane) => {
        while (!stop) {
          const t = tenants[lane % tenants.length]!;
          const started = performance.now();
          try {
            if (n % 10 === 9) await ledger.topUp(t, `${t}-top-${n}`, 1_000_000, T0);
            else await runCall(ledger, t, 10 + (n % 50), (n % 1000) * 1000);
          } catch (err) {
            failures.push(err);
          }
          slowest = Math.max(slowest, performance.now() - started);
          n++;
        }
      }),
    );
    await new Promise((r) => setTimeout(r, 1500));
    await server.stop();
    const downAt = n;
    await new Promise((r) => setTimeout(r, 8000));
    const whileDown = n - downAt;
    const backlog = await waiting(ledger);
    const pendingGauge = (await metrics.registry.getSingleMetric('tollgate_history_pending')!.get()).values[0]?.value ?? 0;
    const errors = (await metrics.registry.getSingleMetric('tollgate_history_write_errors_total')!.get()).values[0]?.value ?? 0;
    await server.start();
    await new Promise((r) => setTimeout(r, 1500));
    stop = true;
    await load;
    await writer.stop();
    const catchUp = startHistoryWriter({ outbox: ledger.historyOutbox, pool, consumer: 'steady', logger: quietLogger, claimIdleMs: 0 }, false);
    await catchUp.drain();
    await catchUp.stop();

    expect(failures).toEqual([]);
    expect(whileDown).toBeGreaterThan(50);
    expect(slowest).toBeLessThan(1000);
    expect(backlog).toBeGreaterThan(50);
    expect(pendingGauge).toBeGreaterThan(0);
    expect(errors).toBeGreaterThan(0);
    expect(await waiting(ledger)).toBe(0);
    for (const t of tenants) {
      const ids = await usageIds(ledger, t);
      const c = await counts(pool, t);
      expect(c.usage).toBe(ids.length);
      expect(c.usageDistinct).toBe(ids.length);
      const report = await reconcile(pool, ledger, t);
      expect(report.checks.filter((x) => !x.ok)).toEqual([]);
    }
  }, 60_000);
});
