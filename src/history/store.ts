/**
 * Reads of the store of record: the usage report streamed through a
 * server-side cursor (constant memory whatever the row count), a tenant's
 * monthly statement from its balance journal, and daily spend.
 */
import type { UsageRecord } from '../domain.js';
import { monthRange } from './months.js';
import type { PgPool } from './pg.js';

const FETCH = 2000;

type UsageDbRow = Record<string, string | null>;

function recordOf(r: UsageDbRow): UsageRecord {
  const opt = <K extends keyof UsageRecord>(key: K, v: string | null) => (v === null ? {} : ({ [key]: v } as Partial<UsageRecord>));
  return {
    usageId: r.usage_id!,
    tenantId: r.tenant_id!,
    callId: r.call_id!,
    ...opt('conferenceId', r.conference_id!),
    ...opt('userLocation', r.user_location!),
    ...opt('userId', r.user_id!),
    ...opt('upn', r.upn!),
    ...opt('userDisplayName', r.user_display_name!),
    ...opt('callerId', r.caller_id!),
    callType: r.call_type as UsageRecord['callType'],
    callDirection: r.call_direction as UsageRecord['callDirection'],
    ...opt('numberType', r.number_type!),
    ...opt('domestic', r.domestic!),
    destinationDialed: r.destination_dialed!,
    destinationNumber: r.destination_number!,
    ...opt('externalCountry', r.external_country!),
    startTime: Number(r.s),
    endTime: Number(r.e),
    durationSeconds: Number(r.duration_seconds),
    connectFee: Number(r.connect_fee_micros),
    charge: Number(r.charge_micros),
    currency: r.currency!,
    capability: r.capability!,
    ...opt('rateVersion', r.rate_version!),
    endReason: r.end_reason as UsageRecord['endReason'],
  } as UsageRecord;
}

/** Records with start time in [fromMs, toMs), oldest start first, FETCH rows at a time from one cursor. */
export async function* usageFromPostgres(pool: PgPool, tenantId: string, fromMs: number, toMs: number): AsyncGenerator<UsageRecord> {
  const client = await pool.connect();
  let broken: Error | undefined;
  const onError = (err: Error) => {
    broken = err;
  };
  client.on('error', onError);
  let done = false;
  try {
    await client.query('BEGIN READ ONLY');
    await client.query(
      `DECLARE usage_export NO SCROLL CURSOR FOR
       SELECT usage_id, tenant_id, call_id, conference_id, user_location, user_id, upn, user_display_name, caller_id,
         call_type, call_direction, number_type, domestic, destination_dialed, destination_number, external_country,
         (extract(epoch FROM start_time) * 1000)::bigint AS s, (extract(epoch FROM end_time) * 1000)::bigint AS e,
         duration_seconds, connect_fee_micros, charge_micros, currency, capability, rate_version, end_reason
       FROM usage_records
       WHERE tenant_id = $1 AND start_time >= to_timestamp($2 / 1000.0) AND start_time < to_timestamp($3 / 1000.0)
       ORDER BY start_time, usage_id`,
      [tenantId, fromMs, toMs],
    );
    for (;;) {
      const page = await client.query<UsageDbRow>(`FETCH ${FETCH} FROM usage_export`);
      for (const row of page.rows) yield recordOf(row);
      if (page.rows.length < FETCH) break;
    }
    await client.query('COMMIT');
    done = true;
  } finally {
    // A reader that stopped early (client gone) or an error: the transaction and its cursor end with the connection.
    client.off('error', onError);
    client.release(done && !broken ? undefined : (broken ?? true));
  }
}

export interface StatementLine {
  count: number;
  /** Micros (charges as positive amounts). */
  amount: number;
}

export interface Statement {
  tenantId: string;
  month: string;
  currency: string;
  /** Balance before the month's first movement (micros). */
  opening: number;
  topUps: StatementLine;
  recharges: StatementLine;
  adjustments: StatementLine;
  /** Charges by what paid (capability) and call type. */
  charges: Array<StatementLine & { capability: string; callType: string }>;
  totalCharges: StatementLine;
  /** Balance after the month's last movement (micros); opening + top-ups + recharges + adjustments − charges. */
  closing: number;
}

export async function statement(pool: PgPool, tenantId: string, month: string, currency: string): Promise<Statement> {
  const { fromMs, toMs } = monthRange(month);
  const args = [tenantId, fromMs, toMs];
  const range = 'tenant_id = $1 AND at >= to_timestamp($2 / 1000.0) AND at < to_timestamp($3 / 1000.0)';
  // The newest journal is the tenant's (a tenant deleted and made again starts a new one).
  const before = await pool.query<{ balance_after_micros: string }>(
    'SELECT balance_after_micros FROM balance_entries WHERE tenant_id = $1 AND at < to_timestamp($2 / 1000.0) ORDER BY journal DESC, seq DESC LIMIT 1',
    [tenantId, fromMs],
  );
  const firstIn = await pool.query<{ before: string }>(
    `SELECT balance_after_micros - amount_micros AS before FROM balance_entries WHERE ${range} ORDER BY journal DESC, seq ASC LIMIT 1`,
    args,
  );
  const lastIn = await pool.query<{ balance_after_micros: string }>(
    `SELECT balance_after_micros FROM balance_entries WHERE ${range} ORDER BY journal DESC, seq DESC LIMIT 1`,
    args,
  );
  const kinds = await pool.query<{ kind: string; n: string; total: string }>(
    `SELECT kind, count(*) AS n, sum(amount_micros) AS total FROM balance_entries WHERE ${range} GROUP BY kind`,
    args,
  );
  const byCap = await pool.query<{ capability: string | null; call_type: string | null; n: string; total: string }>(
    `SELECT capability, call_type, count(*) AS n, -sum(amount_micros) AS total FROM balance_entries
     WHERE ${range} AND kind = 'charge' GROUP BY capability, call_type ORDER BY capability, call_type`,
    args,
  );
  const line = (kind: string, sign = 1): StatementLine => {
    const r = kinds.rows.find((k) => k.kind === kind);
    return { count: Number(r?.n ?? 0), amount: sign * Number(r?.total ?? 0) || 0 };
  };
  const opening = before.rows[0] ? Number(before.rows[0].balance_after_micros) : firstIn.rows[0] ? Number(firstIn.rows[0].before) : 0;
  const closing = lastIn.rows[0] ? Number(lastIn.rows[0].balance_after_micros) : opening;
  return {
    tenantId,
    month,
    currency,
    opening,
    topUps: line('top-up'),
    recharges: line('recharge'),
    adjustments: line('adjustment'),
    charges: byCap.rows.map((r) => ({ capability: r.capability ?? '', callType: r.call_type ?? '', count: Number(r.n), amount: Number(r.total) })),
    totalCharges: line('charge', -1),
    closing,
  };
}

export interface DailySpend {
  /** UTC date, YYYY-MM-DD. */
  day: string;
  calls: number;
  chargedCalls: number;
  durationSeconds: number;
  /** Micros. */
  charge: number;
}

/** Per UTC day of [fromMs, toMs): calls by start time, their talk time and charges. */
export async function dailySpend(pool: PgPool, tenantId: string, fromMs: number, toMs: number): Promise<DailySpend[]> {
  const res = await pool.query<{ day: string; calls: string; charged: string; dur: string; charge: string }>(
    `SELECT to_char(date_trunc('day', start_time AT TIME ZONE 'UTC'), 'YYYY-MM-DD') AS day, count(*) AS calls,
       count(*) FILTER (WHERE charge_micros > 0) AS charged, sum(duration_seconds) AS dur, sum(charge_micros) AS charge
     FROM usage_records WHERE tenant_id = $1 AND start_time >= to_timestamp($2 / 1000.0) AND start_time < to_timestamp($3 / 1000.0)
     GROUP BY 1 ORDER BY 1`,
    [tenantId, fromMs, toMs],
  );
  return res.rows.map((r) => ({ day: r.day, calls: Number(r.calls), chargedCalls: Number(r.charged), durationSeconds: Number(r.dur), charge: Number(r.charge) }));
}

