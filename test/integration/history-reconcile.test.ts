/**
 * DOMAIN rule 33 as a property: after any mix of calls (answered, unanswered,
 * refused), top-ups, recharges and adjustments, with the writer running at
 * random moments, the Redis balance equals the journal's opening plus its
 * movements, the journal is complete and its charges equal the usage
 * records' charges; the statement adds up; a tampered journal is caught,
 * and `tollgate reconcile` exits 1 on it.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { reconcile } from '../../src/history/reconcile.js';
import { statement } from '../../src/history/store.js';
import { startHistoryWriter, type HistoryWriter } from '../../src/history/writer.js';
import type { PgPool } from '../../src/history/pg.js';
import type { RedisLedger } from '../../src/ledger/redis-ledger.js';
import { T0, tenant } from '../support/ledger-fixtures.js';
import { freshDatabase, historyLedger, quietLogger, runCall } from '../support/history-fixtures.js';
import { startPostgres, type RunningPostgres } from '../support/postgres-server.js';
import { tollgateSync } from '../support/cli.js';

type Op =
  | { kind: 'call'; seconds: number }
  | { kind: 'topup'; amount: number }
  | { kind: 'recharge'; amount: number }
  | { kind: 'adjust'; amount: number }
  | { kind: 'refused' }
  | { kind: 'write' };

const cents = (min: number, max: number) => fc.integer({ min, max }).map((c) => c * 10_000);
const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('call' as const), seconds: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 600 })) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('topup' as const), amount: cents(1, 5000) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('recharge' as const), amount: cents(1, 5000) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('adjust' as const), amount: fc.oneof(cents(1, 300), cents(-300, -1)) }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'refused' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'write' as const }) },
);

let server: RunningPostgres;
let pool: PgPool;
let url: string;
let ledger: RedisLedger;
let writer: HistoryWriter;
beforeAll(async () => {
  server = await startPostgres();
  ({ pool, url } = await freshDatabase(server.url));
  ledger = historyLedger();
  writer = startHistoryWriter({ outbox: ledger.historyOutbox, pool, consumer: 'prop', logger: quietLogger, batchSize: 37 }, false);
});
afterAll(async () => {
  await writer?.stop();
  await ledger?.close();
  await pool?.end();
  await server?.destroy();
});

async function play(tenantId: string, ops: Op[]): Promise<void> {
  let i = 0;
  for (const op of ops) {
    i++;
    switch (op.kind) {
      case 'call':
        await runCall(ledger, tenantId, op.seconds, i * 1000);
        break;
      case 'topup':
        await ledger.topUp(tenantId, `top-${i}`, op.amount, T0);
        break;
      case 'recharge':
        await ledger.topUp(tenantId, `recharge-${randomUUID()}`, op.amount, T0);
        break;
      case 'adjust':
        await ledger.adjust(tenantId, `adj-${i}`, op.amount, T0).catch(() => undefined);
        break;
      case 'refused':
        await ledger.recordUsage({
          usageId: randomUUID(), tenantId, callId: `refused-${i}`, callType: 'user_out', callDirection: 'outbound', destinationDialed: '+4930',
          destinationNumber: '+4930', startTime: T0 + i * 1000, endTime: T0 + i * 1000, durationSeconds: 0, connectFee: 0, charge: 0,
          currency: 'EUR', capability: 'none', endReason: 'rejected',
        });
        break;
      case 'write':
        await writer.runOnce();
        break;
    }
  }
}

describe('reconcile (DOMAIN rule 33: balance = opening + Σ movements, to the unit)', () => {
  it('rule 33: is clean after any mix of calls, top-ups, recharges and adjustments, written or still in Redis', async () => {
    await fc.assert(
      fc.asyncProperty(cents(0, 2000), fc.array(opArb, { minLength: 5, maxLength: 60 }), fc.boolean(), async (opening, ops, writeAll) => {
        const id = `p${randomUUID().slice(0, 8)}`;
        await ledger.putTenant(tenant(id));
        if (opening > 0) await ledger.topUp(id, 'opening', opening, T0);
        await play(id, ops);
        // Half the runs reconcile with part of the history still waiting in Redis.
        if (writeAll) await writer.drain();
        const report = await reconcile(pool, ledger, id);
        expect(report.checks.filter((c) => !c.ok)).toEqual([]);
        if (writeAll) {
          expect(report.pendingInRedis).toBe(0);
          const month = new Date(Number((await ledger.client.time())[0]) * 1000).toISOString().slice(0, 7);
          const monthly = await reconcile(pool, ledger, id, month);
          expect(monthly.checks.filter((c) => !c.ok)).toEqual([]);
          const s = await statement(pool, id, month, 'EUR');
          const bal = (await ledger.balance(id, T0)).balance;
          expect(s.closing).toBe(bal);
          expect(s.opening + s.topUps.amount + s.recharges.amount + s.adjustments.amount - s.totalCharges.amount).toBe(s.closing);
          expect(s.charges.reduce((a, c) => a + c.amount, 0)).toBe(s.totalCharges.amount);
        }
      }),
      { numRuns: 40 },
    );
  }, 120_000);

  it('rule 33: a journal entry lost or altered in PostgreSQL is a difference, and tollgate reconcile exits 1', async () => {
    await ledger.putTenant(tenant('tamper'));
    await ledger.topUp('tamper', 'fund', 10_000_000, T0);
    for (let i = 0; i < 5; i++) await runCall(ledger, 'tamper', 61, i * 1000);
    await writer.drain();
    expect((await reconcile(pool, ledger, 'tamper')).ok).toBe(true);

    const dir = mkdtempSync(join(tmpdir(), 'tollgate-reconcile-'));
    const config = join(dir, 'tollgate.yaml');
    writeFileSync(config, [
      'http:', '  adminToken: "0123456789abcdef0123"',
      'redis:', `  url: "${inject('redisUrl')}"`, `  keyPrefix: "${ledger.keyPrefix}"`,
      'postgres:', `  url: "${url}"`, '',
    ].join('\n'));
    try {
      const clean = tollgateSync(['reconcile', '--tenant', 'tamper', '--config', config]);
      expect(clean.stdout + clean.stderr).toContain('no differences');
      expect(clean.code).toBe(0);

      await pool.query("DELETE FROM balance_entries WHERE tenant_id = 'tamper' AND seq = 3");
      const lost = await reconcile(pool, ledger, 'tamper');
      expect(lost.ok).toBe(false);
      expect(lost.checks.find((c) => c.name === 'journal complete')?.detail).toContain('missing 3');
      const cli = tollgateSync(['reconcile', '--tenant', 'tamper', '--config', config]);
      expect(cli.code).toBe(1);
      expect(cli.stdout).toMatch(/DIFF journal complete/);

      await pool.query("UPDATE balance_entries SET amount_micros = amount_micros - 1 WHERE tenant_id = 'tamper' AND seq = 5");
      const altered = await reconcile(pool, ledger, 'tamper');
      expect(altered.checks.find((c) => c.name === 'journal chain')?.ok).toBe(false);
      expect(altered.checks.find((c) => c.name.startsWith('Σ charge entries'))?.ok).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
