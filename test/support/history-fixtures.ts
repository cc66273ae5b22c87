/**
 * Builders for history tests: a ledger with history on over the test Redis,
 * a PostgreSQL pool with the schema migrated, calls run through hold, answer
 * and settle, and counts of what PostgreSQL holds.
 */
import { randomUUID } from 'node:crypto';
import pino from 'pino';
import type { RedisLedger } from '../../src/ledger/redis-ledger.js';
import type { LedgerOptions } from '../../src/ledger/redis-ledger.js';
import { createPgPool, type PgPool } from '../../src/history/pg.js';
import { migrate } from '../../src/history/migrate.js';
import { T0, holdRequest, newLedger } from './ledger-fixtures.js';

export const quietLogger = pino({ level: 'silent' });

export function historyLedger(overrides: Partial<LedgerOptions> = {}): RedisLedger {
  return newLedger('redis', { history: true, instanceId: 'test-gw', ...overrides });
}

/** A fresh database on the server, migrated: each test file (or test) its own. */
export async function freshDatabase(serverUrl: string): Promise<{ pool: PgPool; url: string }> {
  const name = `h_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
  const admin = createPgPool({ url: serverUrl, poolSize: 1 });
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = serverUrl.replace(/\/[^/]*$/, `/${name}`);
  const pool = createPgPool({ url, poolSize: 4, statementTimeoutMs: 5000, connectTimeoutMs: 2000 });
  await migrate(pool);
  return { pool, url };
}

/** One credit-funded call of `seconds` answered seconds (0: never answered), started at T0 + offsetMs. */
export async function runCall(ledger: RedisLedger, tenantId: string, seconds: number, offsetMs = 0, callId = randomUUID()): Promise<{ callId: string; charge: number; ok: boolean }> {
  const start = T0 + offsetMs;
  const held = await ledger.hold(holdRequest(tenantId, callId, { nowMs: start }));
  if (!held.ok) return { callId, charge: 0, ok: false };
  if (seconds === 0) {
    const r = await ledger.release(tenantId, callId, start + 1000, 'cancelled');
    return { callId, charge: r.record.charge, ok: true };
  }
  await ledger.answer(tenantId, callId, start);
  const end = start + Math.min(seconds, held.fundedSeconds) * 1000;
  const r = await ledger.settle(tenantId, callId, end, 'caller_hangup');
  return { callId, charge: r.record.charge, ok: true };
}

export async function counts(pool: PgPool, tenantId?: string): Promise<{ usage: number; usageDistinct: number; entries: number }> {
  const where = tenantId ? 'WHERE tenant_id = $1' : '';
  const args = tenantId ? [tenantId] : [];
  const u = await pool.query<{ n: string; d: string }>(`SELECT count(*) AS n, count(DISTINCT usage_id) AS d FROM usage_records ${where}`, args);
  const b = await pool.query<{ n: string }>(`SELECT count(*) AS n FROM balance_entries ${where}`, args);
  return { usage: Number(u.rows[0]!.n), usageDistinct: Number(u.rows[0]!.d), entries: Number(b.rows[0]!.n) };
}

/** Entries still waiting in the ledger's history streams. */
export async function waiting(ledger: RedisLedger): Promise<number> {
  return (await ledger.historyOutbox.backlog()).entries;
}
