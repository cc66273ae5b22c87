/**
 * Usage records in the tenant's Redis stream. Entries are appended in the
 * order calls end, with ids from their end time (never before the previous
 * id); the account keeps the largest gap between an entry's id and its
 * start time, which bounds how far a range read must look to find every
 * record that started in the range and lets it hand them out by start time.
 */
import type { UsageRecord } from '../domain.js';
import { ScriptCode } from './codes.js';
import { replyCode, type LedgerContext } from './context.js';
import { LedgerError, scriptFailure } from './errors.js';
import type { UsageDraft } from './types.js';
import { checkTenantId, checkTime } from './validate.js';
import { registerLiveSlot } from './holds.js';
import { merged } from '../objects.js';

const PAGE = 500;

type StreamEntry = [id: string, fields: string[]];

function recordOf(fields: string[]): UsageRecord {
  const f: Record<string, string> = {};
  for (let i = 0; i + 1 < fields.length; i += 2) f[fields[i]!] = fields[i + 1]!;
  const draft = JSON.parse(f.d ?? '{}') as UsageDraft;
  return merged(draft, {
    usageId: f.u ?? '',
    startTime: Number(f.s),
    endTime: Number(f.e),
    durationSeconds: Number(f.dur),
    connectFee: Number(f.fee),
    charge: Number(f.chg),
    capability: f.cap ?? '',
    endReason: f.why as UsageRecord['endReason'],
  });
}

const byStart = (a: UsageRecord, b: UsageRecord) => a.startTime - b.startTime;

/** Records with startTime in [fromMs, toMs), oldest start first, read page by page. */
export async function* usage(ctx: LedgerContext, tenantId: string, fromMs: number, toMs: number): AsyncGenerator<UsageRecord> {
  checkTenantId(tenantId);
  checkTime(fromMs, 'usage range start');
  checkTime(toMs, 'usage range end');
  if (toMs <= fromMs) return;
  const k = ctx.keys(tenantId);
  const lag = Number((await ctx.guard.run('usage', () => ctx.client.hget(k.account, 'ulag'))) ?? 0);
  let start = String(fromMs);
  const end = String(toMs + lag);
  let pending: UsageRecord[] = [];
  for (;;) {
    const from = start;
    const page = (await ctx.guard.run('usage', () => ctx.client.xrange(k.usage, from, end, 'COUNT', PAGE))) as StreamEntry[];
    for (const [, fields] of page) {
      const record = recordOf(fields);
      if (record.startTime >= fromMs && record.startTime < toMs) pending.push(record);
    }
    const last = page[page.length - 1];
    if (page.length < PAGE || !last) break;
    // Later entries have ids >= this one, so they started at or after idMs - lag.
    const settledBefore = Number(last[0].split('-')[0]) - lag;
    pending.sort(byStart);
    const ready = pending.filter((r) => r.startTime < settledBefore);
    pending = pending.filter((r) => r.startTime >= settledBefore);
    yield* ready;
    start = `(${last[0]}`;
  }
  pending.sort(byStart);
  yield* pending;
}

/** Appends the record of a call that moved no money (refused at admission). */
export async function recordUsage(ctx: LedgerContext, record: UsageRecord): Promise<void> {
  checkTenantId(record.tenantId);
  checkTime(record.startTime, 'usage start time');
  checkTime(record.endTime, 'usage end time');
  if (record.charge !== 0 || record.connectFee !== 0 || record.durationSeconds !== 0) {
    throw new LedgerError('BAD_INPUT', `usage record of call ${record.callId}: only calls with no duration and no charge are recorded without a settle`);
  }
  const { usageId, startTime, endTime, capability, endReason } = record;
  const draft: Partial<UsageRecord> = { ...record };
  for (const field of ['usageId', 'startTime', 'endTime', 'durationSeconds', 'connectFee', 'charge', 'capability', 'endReason'] as const) {
    delete draft[field];
  }
  const k = ctx.keys(record.tenantId);
  if (ctx.history) await registerLiveSlot(ctx, k.slot);
  const reply = await ctx.guard.run('record_usage', () =>
    ctx.scripts.run('add_usage', [k.account, k.usage, k.history], [
      usageId, JSON.stringify(draft), startTime, endTime, capability, endReason, ctx.retentionMs, ctx.history ? '1' : '0', record.tenantId, ctx.instanceId,
    ]),
  );
  if (replyCode(reply) !== ScriptCode.OK) throw scriptFailure('record usage', replyCode(reply), record.tenantId);
}
