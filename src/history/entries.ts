/**
 * What one history outbox entry holds, as rows of usage_records and
 * balance_entries. Entries are flat text fields written by settle.lua,
 * add_usage.lua and top_up.lua (see lib/history.lua).
 */
import type { UsageRecord } from '../domain.js';

export type JournalKind = 'charge' | 'top-up' | 'recharge' | 'adjustment';

export interface UsageRow extends UsageRecord {
  instance: string;
  /** Redis time of the settle (ms). */
  ledgerAtMs: number;
}

export interface BalanceRow {
  tenantId: string;
  journal: number;
  seq: number;
  atMs: number;
  kind: JournalKind;
  amount: number;
  balanceAfter: number;
  currency: string;
  reference: string;
  usageId?: string;
  capability?: string;
  callType?: string;
  instance: string;
}

export interface ParsedEntry {
  usage?: UsageRow;
  balance?: BalanceRow;
}

const KINDS: ReadonlySet<string> = new Set(['charge', 'top-up', 'recharge', 'adjustment']);

function int(f: Record<string, string>, name: string): number {
  const v = Number(f[name]);
  if (f[name] === undefined || !Number.isSafeInteger(v)) throw new Error(`field ${name} is not a whole number: ${f[name]}`);
  return v;
}

/** The rows an entry stands for; throws naming the field when it cannot be read. */
export function parseEntry(f: Record<string, string>): ParsedEntry {
  if (f.v !== '1') throw new Error(`unknown entry version ${f.v}`);
  const out: ParsedEntry = {};
  const atMs = int(f, 'at');
  const instance = f.inst ?? '';
  let callType: string | undefined;
  if (f.u !== undefined && f.d !== undefined) {
    const draft = JSON.parse(f.d) as Omit<UsageRecord, 'usageId' | 'startTime' | 'endTime' | 'durationSeconds' | 'connectFee' | 'charge' | 'capability' | 'endReason'>;
    callType = draft.callType;
    out.usage = {
      ...draft,
      tenantId: draft.tenantId || f.t || '',
      currency: draft.currency || f.cur || '',
      usageId: f.u,
      startTime: int(f, 's'),
      endTime: int(f, 'e'),
      durationSeconds: int(f, 'dur'),
      connectFee: int(f, 'fee'),
      charge: int(f, 'chg'),
      capability: f.cap ?? '',
      endReason: (f.why ?? '') as UsageRecord['endReason'],
      instance,
      ledgerAtMs: atMs,
    };
  }
  if (f.jk !== undefined) {
    if (!KINDS.has(f.jk)) throw new Error(`unknown journal kind ${f.jk}`);
    out.balance = {
      tenantId: f.t ?? '',
      journal: int(f, 'jep'),
      seq: int(f, 'jn'),
      atMs,
      kind: f.jk as JournalKind,
      amount: int(f, 'ja'),
      balanceAfter: int(f, 'jb'),
      currency: f.cur ?? '',
      reference: f.jr ?? '',
      ...(f.jk === 'charge' && f.u ? { usageId: f.u } : {}),
      ...(f.jk === 'charge' && f.cap ? { capability: f.cap } : {}),
      ...(f.jk === 'charge' && callType ? { callType } : {}),
      instance,
    };
  }
  if (!out.usage && !out.balance) throw new Error('the entry holds neither a usage record nor a journal entry');
  return out;
}
