/**
 * Writes parsed history into PostgreSQL in one transaction: usage records
 * and journal entries as multi-row inserts from arrays (unnest), idempotent
 * on their primary keys, so an entry written twice (a writer killed between
 * commit and acknowledgement) is a row once.
 */
import type pg from 'pg';
import type { BalanceRow, UsageRow } from './entries.js';
import { withClient, type PgPool } from './pg.js';

export interface RejectRow {
  slot: number;
  streamId: string;
  fields: Record<string, string>;
  problem: string;
}

/** Months (first day, 'YYYY-MM-01') each table needs a partition for. */
function monthsOf(times: number[]): string[] {
  return [...new Set(times.map((t) => `${new Date(t).toISOString().slice(0, 7)}-01`))];
}

/** Partitions already known to exist, per pool. */
const knownMonths = new WeakMap<PgPool, Set<string>>();

/** After a failed write: partitions may have been dropped by hand; ask again. */
export function forgetPartitions(pool: PgPool): void {
  knownMonths.delete(pool);
}

/** Creates the month partitions the rows need (each in its own statement, before the batch's transaction). */
export async function ensurePartitions(pool: PgPool, usage: UsageRow[], balance: BalanceRow[]): Promise<void> {
  const known = knownMonths.get(pool) ?? new Set<string>();
  knownMonths.set(pool, known);
  const wanted = [
    ...monthsOf(usage.map((u) => u.startTime)).map((m) => ['usage_records', m] as const),
    ...monthsOf(balance.map((b) => b.atMs)).map((m) => ['balance_entries', m] as const),
  ];
  for (const [table, month] of wanted) {
    const k = `${table}:${month}`;
    if (known.has(k)) continue;
    await pool.query('SELECT history_ensure_month($1::regclass, $2::date)', [table, month]);
    known.add(k);
  }
}

const opt = (v: string | undefined) => (v === undefined || v === '' ? null : v);

export async function insertUsage(client: pg.PoolClient | PgPool, rows: UsageRow[]): Promise<number> {
  if (rows.length === 0) return 0;
  const col = <T>(f: (r: UsageRow) => T) => rows.map(f);
  const res = await client.query(
    `INSERT INTO usage_records (usage_id, tenant_id, call_id, conference_id, user_location, user_id, upn, user_display_name,
       caller_id, call_type, call_direction, number_type, domestic, destination_dialed, destination_number, external_country,
       start_time, end_time, duration_seconds, connect_fee_micros, charge_micros, currency, capability, rate_version,
       end_reason, instance, ledger_at)
     SELECT u, t, c, conf, loc, uid, upn, name, cli, ct, dir, nt, dom, dd, dn, ec,
       to_timestamp(s / 1000.0), to_timestamp(e / 1000.0), dur, fee, chg, cur, cap, rv, why, inst, to_timestamp(lat / 1000.0)
     FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[],
       $9::text[], $10::text[], $11::text[], $12::text[], $13::text[], $14::text[], $15::text[], $16::text[],
       $17::bigint[], $18::bigint[], $19::integer[], $20::bigint[], $21::bigint[], $22::text[], $23::text[], $24::text[],
       $25::text[], $26::text[], $27::bigint[])
       AS x(u, t, c, conf, loc, uid, upn, name, cli, ct, dir, nt, dom, dd, dn, ec, s, e, dur, fee, chg, cur, cap, rv, why, inst, lat)
     ON CONFLICT DO NOTHING`,
    [
      col((r) => r.usageId), col((r) => r.tenantId), col((r) => r.callId), col((r) => opt(r.conferenceId)),
      col((r) => opt(r.userLocation)), col((r) => opt(r.userId)), col((r) => opt(r.upn)), col((r) => opt(r.userDisplayName)),
      col((r) => opt(r.callerId)), col((r) => r.callType), col((r) => r.callDirection), col((r) => opt(r.numberType)),
      col((r) => opt(r.domestic)), col((r) => r.destinationDialed ?? ''), col((r) => r.destinationNumber ?? ''), col((r) => opt(r.externalCountry)),
      col((r) => r.startTime), col((r) => r.endTime), col((r) => r.durationSeconds), col((r) => r.connectFee), col((r) => r.charge),
      col((r) => r.currency), col((r) => r.capability), col((r) => opt(r.rateVersion)), col((r) => r.endReason), col((r) => opt(r.instance)),
      col((r) => r.ledgerAtMs),
    ],
  );
  return res.rowCount ?? 0;
}

export async function insertBalance(client: pg.PoolClient | PgPool, rows: BalanceRow[]): Promise<number> {
  if (rows.length === 0) return 0;
  const col = <T>(f: (r: BalanceRow) => T) => rows.map(f);
  const res = await client.query(
    `INSERT INTO balance_entries (tenant_id, journal, seq, at, kind, amount_micros, balance_after_micros, currency, reference,
       usage_id, capability, call_type, instance)
     SELECT t, j, n, to_timestamp(a / 1000.0), k, amt, bal, cur, ref, u, cap, ct, inst
     FROM unnest($1::text[], $2::bigint[], $3::bigint[], $4::bigint[], $5::text[], $6::bigint[], $7::bigint[], $8::text[],
       $9::text[], $10::text[], $11::text[], $12::text[], $13::text[]) AS x(t, j, n, a, k, amt, bal, cur, ref, u, cap, ct, inst)
     ON CONFLICT DO NOTHING`,
    [
      col((r) => r.tenantId), col((r) => r.journal), col((r) => r.seq), col((r) => r.atMs), col((r) => r.kind), col((r) => r.amount),
      col((r) => r.balanceAfter), col((r) => r.currency), col((r) => r.reference), col((r) => opt(r.usageId)), col((r) => opt(r.capability)),
      col((r) => opt(r.callType)), col((r) => opt(r.instance)),
    ],
  );
  return res.rowCount ?? 0;
}

export async function insertRejects(client: pg.PoolClient | PgPool, rows: RejectRow[]): Promise<void> {
  for (const r of rows) {
    await client.query('INSERT INTO history_rejects (stream_id, slot, fields, problem) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING', [
      r.streamId, r.slot, JSON.stringify(r.fields), r.problem,
    ]);
  }
}

/** One batch in one transaction: every row or none. */
export async function writeBatch(pool: PgPool, usage: UsageRow[], balance: BalanceRow[], rejects: RejectRow[] = []): Promise<{ usage: number; balance: number }> {
  await ensurePartitions(pool, usage, balance);
  return withClient(pool, async (client) => {
    await client.query('BEGIN');
    try {
      const u = await insertUsage(client, usage);
      const b = await insertBalance(client, balance);
      await insertRejects(client, rejects);
      await client.query('COMMIT');
      return { usage: u, balance: b };
    } catch (err) {
      await client.query('ROLLBACK').catch(() => {});
      throw err;
    }
  });
}
