/**
 * Reconciliation of one tenant (DOMAIN rule 33): the Redis balance equals the
 * journal's opening plus the sum of its movements, the journal has every
 * entry once (sequence 1..N without gaps) with each balance-after following
 * from the one before, and the charges in the journal equal the charges on
 * the usage records. Entries still waiting in Redis count with what
 * PostgreSQL has, so a backlog is not a difference.
 */
import type { RedisLedger } from '../ledger/redis-ledger.js';
import { tenantKeys } from '../ledger/keys.js';
import { parseEntry, type BalanceRow, type UsageRow } from './entries.js';
import type { PgPool } from './pg.js';
import { monthRange } from './months.js';

export interface ReconcileCheck {
  name: string;
  ok: boolean;
  /** What was compared, in micros where money. */
  detail: string;
}

export interface ReconcileReport {
  tenantId: string;
  month?: string;
  ok: boolean;
  checks: ReconcileCheck[];
  /** Journal entries and usage records counted that were still in Redis. */
  pendingInRedis: number;
}

interface JournalRow {
  seq: number;
  atMs: number;
  kind: string;
  amount: number;
  balanceAfter: number;
}

const PAGE = 10_000;

async function journalRows(pool: PgPool, tenantId: string, journal: number): Promise<Map<number, JournalRow>> {
  const rows = new Map<number, JournalRow>();
  let last = 0;
  for (;;) {
    const res = await pool.query<{ seq: string; at_ms: string; kind: string; amount_micros: string; balance_after_micros: string }>(
      `SELECT seq, (extract(epoch FROM at) * 1000)::bigint AS at_ms, kind, amount_micros, balance_after_micros
       FROM balance_entries WHERE tenant_id = $1 AND journal = $2 AND seq > $3 ORDER BY seq LIMIT ${PAGE}`,
      [tenantId, journal, last],
    );
    for (const r of res.rows) {
      const seq = Number(r.seq);
      if (rows.has(seq)) throw new Error(`journal entry ${seq} of ${tenantId} is in PostgreSQL twice`);
      rows.set(seq, { seq, atMs: Number(r.at_ms), kind: r.kind, amount: Number(r.amount_micros), balanceAfter: Number(r.balance_after_micros) });
      last = seq;
    }
    if (res.rows.length < PAGE) return rows;
  }
}

export async function reconcile(pool: PgPool, ledger: RedisLedger, tenantId: string, month?: string): Promise<ReconcileReport> {
  await ledger.ready();
  const account = tenantKeys(ledger.keyPrefix, tenantId).account;
  const [bal, jep, jseq, cur] = await ledger.client.hmget(account, 'bal', 'jep', 'jseq', 'cur');
  if (!cur) throw new Error(`tenant "${tenantId}" does not exist in Redis`);
  const checks: ReconcileCheck[] = [];
  const check = (name: string, ok: boolean, detail: string) => checks.push({ name, ok, detail });
  const balance = Number(bal ?? 0);
  const journal = jep ? Number(jep) : undefined;
  const last = Number(jseq ?? 0);

  // What Redis still holds for PostgreSQL: counted as if written.
  const pendingUsage: UsageRow[] = [];
  const pendingBalance: BalanceRow[] = [];
  for (const e of await ledger.historyOutbox.pendingOf(tenantId)) {
    const parsed = parseEntry(e.fields);
    if (parsed.usage) pendingUsage.push(parsed.usage);
    if (parsed.balance) pendingBalance.push(parsed.balance);
  }

  const rows = journal === undefined ? new Map<number, JournalRow>() : await journalRows(pool, tenantId, journal);
  for (const p of pendingBalance) {
    if (p.journal !== journal) continue;
    const have = rows.get(p.seq);
    // Written and not yet acknowledged: the same entry twice, once in each place.
    if (have && (have.amount !== p.amount || have.balanceAfter !== p.balanceAfter)) {
      check(`journal entry ${p.seq}`, false, `PostgreSQL has ${have.amount} → ${have.balanceAfter}, Redis ${p.amount} → ${p.balanceAfter}`);
    }
    rows.set(p.seq, { seq: p.seq, atMs: p.atMs, kind: p.kind, amount: p.amount, balanceAfter: p.balanceAfter });
  }

  // Every entry once, 1..N without gaps.
  const missing: number[] = [];
  for (let s = 1; s <= last; s++) if (!rows.has(s)) missing.push(s);
  const extra = [...rows.keys()].filter((s) => s < 1 || s > last);
  check('journal complete', missing.length === 0 && extra.length === 0,
    `${rows.size} entries, sequence 1..${last}` +
      (missing.length ? `; missing ${missing.slice(0, 10).join(', ')}${missing.length > 10 ? ` and ${missing.length - 10} more` : ''}` : '') +
      (extra.length ? `; beyond the sequence: ${extra.slice(0, 10).join(', ')}` : ''));

  // Each balance-after follows from the one before.
  const ordered = [...rows.values()].sort((a, b) => a.seq - b.seq);
  const breaks: string[] = [];
  for (let i = 1; i < ordered.length; i++) {
    const prev = ordered[i - 1]!;
    const e = ordered[i]!;
    if (e.seq === prev.seq + 1 && prev.balanceAfter + e.amount !== e.balanceAfter) breaks.push(`${e.seq}: ${prev.balanceAfter} + ${e.amount} ≠ ${e.balanceAfter}`);
  }
  check('journal chain', breaks.length === 0, breaks.length ? breaks.slice(0, 10).join('; ') : `${ordered.length} balance-after values each follow from the one before`);

  const first = ordered[0];
  const opening = first ? first.balanceAfter - first.amount : balance;
  const sum = ordered.reduce((s, e) => s + e.amount, 0);
  check('Redis balance = opening + Σ journal', balance === opening + sum, `Redis ${balance}; opening ${opening} + Σ ${sum} = ${opening + sum}`);

  // Charges in the journal equal the charges on the usage records (this journal: records settled since it began).
  const range = month ? monthRange(month) : undefined;
  const inRange = (ms: number) => !range || (ms >= range.fromMs && ms < range.toMs);
  const charges = ordered.filter((e) => e.kind === 'charge' && inRange(e.atMs));
  const chargeSum = charges.reduce((s, e) => s - e.amount, 0);
  const since = journal ?? Number.MAX_SAFE_INTEGER;
  const usage = await pool.query<{ n: string; total: string | null }>(
    `SELECT count(*) AS n, sum(charge_micros) AS total FROM usage_records
     WHERE tenant_id = $1 AND charge_micros > 0 AND ledger_at >= to_timestamp($2 / 1000.0)
       AND ($3::bigint IS NULL OR (ledger_at >= to_timestamp($3 / 1000.0) AND ledger_at < to_timestamp($4 / 1000.0)))`,
    [tenantId, since, range?.fromMs ?? null, range?.toMs ?? null],
  );
  const written = new Set<string>();
  let usageCount = Number(usage.rows[0]?.n ?? 0);
  let usageSum = Number(usage.rows[0]?.total ?? 0);
  const pendingIds = pendingUsage.filter((u) => u.charge > 0 && u.ledgerAtMs >= since && inRange(u.ledgerAtMs)).map((u) => u.usageId);
  if (pendingIds.length > 0) {
    const res = await pool.query<{ usage_id: string }>('SELECT usage_id FROM usage_records WHERE tenant_id = $1 AND usage_id = ANY($2::text[])', [tenantId, pendingIds]);
    for (const r of res.rows) written.add(r.usage_id);
  }
  for (const u of pendingUsage) {
    if (u.charge > 0 && u.ledgerAtMs >= since && inRange(u.ledgerAtMs) && !written.has(u.usageId)) {
      usageCount++;
      usageSum += u.charge;
    }
  }
  check(`Σ charge entries = Σ usage charges${month ? ` (${month})` : ''}`, chargeSum === usageSum && charges.length === usageCount,
    `journal ${charges.length} charges, ${chargeSum}; usage records ${usageCount} charged, ${usageSum}`);

  if (range) {
    const before = ordered.filter((e) => e.atMs < range.fromMs);
    const inMonth = ordered.filter((e) => inRange(e.atMs));
    const monthOpening = before.length ? before[before.length - 1]!.balanceAfter : inMonth.length ? inMonth[0]!.balanceAfter - inMonth[0]!.amount : opening;
    const monthSum = inMonth.reduce((s, e) => s + e.amount, 0);
    const closing = inMonth.length ? inMonth[inMonth.length - 1]!.balanceAfter : monthOpening;
    check(`closing = opening + Σ movements (${month})`, closing === monthOpening + monthSum, `opening ${monthOpening} + Σ ${monthSum} = ${monthOpening + monthSum}; closing ${closing}`);
  }

  return { tenantId, ...(month ? { month } : {}), ok: checks.every((c) => c.ok), checks, pendingInRedis: pendingUsage.length + pendingBalance.length };
}
