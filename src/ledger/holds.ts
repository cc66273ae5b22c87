/**
 * Holds on a call's funding: hold the first slice, answer, extend, settle or
 * release, and recovery of holds whose lease expired. Each step is one Lua
 * script on the tenant's slot (hold.lua, answer.lua, extend.lua, settle.lua).
 */
import { randomUUID } from 'node:crypto';
import { capabilityLabel, type EndReason, type FundingSource, type PoolRef, type UsageRecord } from '../domain.js';
import { microsPerMinorUnit } from '../money.js';
import { ScriptCode } from './codes.js';
import { replyCode, type LedgerContext } from './context.js';
import { LedgerError, scriptFailure } from './errors.js';
import type { ExtendResult, HoldRefusal, HoldRequest, HoldResult, SettleResult, UsageDraft } from './types.js';
import { checkHold, checkTenantId, checkTime } from './validate.js';

const END_REASONS: ReadonlySet<string> = new Set([
  'caller_hangup', 'callee_hangup', 'credit_exhausted', 'cancelled', 'failed', 'rejected', 'gateway_lost', 'shutdown', 'admin_hangup',
]);

const REFUSALS: Partial<Record<number, HoldRefusal>> = {
  [ScriptCode.NO_FUNDS]: 'NO_FUNDS',
  [ScriptCode.POOL_EMPTY_NO_CREDITS]: 'POOL_EMPTY_NO_CREDITS',
  [ScriptCode.BALANCE_NOT_POSITIVE]: 'BALANCE_NOT_POSITIVE',
  [ScriptCode.DUPLICATE_CALL]: 'DUPLICATE_CALL',
};

const DAY_MS = 86_400_000;

/** Pool hashes live until their month has ended and the usage retention has passed. */
function poolTtlMs(ctx: LedgerContext, pool: PoolRef, nowMs: number): number {
  const [y, m] = pool.month.split('-').map(Number) as [number, number];
  const monthEnd = Date.UTC(y, m, 1);
  return Math.max(DAY_MS, monthEnd + ctx.retentionMs - nowMs);
}

/** The pool keys of live holds never change: cache them so extend and settle skip a read. */
export class PoolKeyCache {
  private readonly map = new Map<string, string[]>();
  constructor(private readonly limit = 20_000) {}
  get(tenantId: string, callId: string): string[] | undefined {
    return this.map.get(`${tenantId}\n${callId}`);
  }
  set(tenantId: string, callId: string, keys: string[]): void {
    if (this.map.size >= this.limit) {
      const oldest = this.map.keys().next().value;
      if (oldest !== undefined) this.map.delete(oldest);
    }
    this.map.set(`${tenantId}\n${callId}`, keys);
  }
  delete(tenantId: string, callId: string): void {
    this.map.delete(`${tenantId}\n${callId}`);
  }
}

export async function hold(ctx: LedgerContext, cache: PoolKeyCache, req: HoldRequest): Promise<HoldResult> {
  checkHold(req);
  const k = ctx.keys(req.tenantId);
  const pools = req.sources.flatMap((s) => (s.kind === 'pool' ? [s.pool] : []));
  const poolKeys = pools.map((p) => k.pool(p));
  const perSource = req.sources.flatMap((s) =>
    s.kind === 'pool'
      ? ['p', capabilityLabel(s), s.pool.sizeSeconds, JSON.stringify(s.pool)]
      : [s.kind === 'credits' ? 'c' : 'f', capabilityLabel(s), 0, ''],
  );
  const ttl = pools.reduce((max, p) => Math.max(max, poolTtlMs(ctx, p, req.nowMs)), DAY_MS);
  const { rate } = req;
  const reply = await ctx.guard.run('hold', () =>
    ctx.scripts.run('hold', [k.account, k.hold(req.callId), k.leases, k.usage, k.poolRegistry, ...poolKeys], [
      req.callId, req.nowMs, ctx.leaseMs, ctx.sliceSeconds,
      rate.currency, microsPerMinorUnit(rate.currency), rate.pricePerMinute, rate.connectFee,
      rate.initialIncrement, rate.subsequentIncrement, req.requirePositiveBalance ? 1 : 0,
      randomUUID(), JSON.stringify(req.draft), JSON.stringify(req.sources), JSON.stringify(poolKeys), ttl,
      req.sources.length, ...perSource,
    ]),
  );
  const code = replyCode(reply);
  if (code === ScriptCode.OK) {
    cache.set(req.tenantId, req.callId, poolKeys);
    return { ok: true, fundedSeconds: Number(reply[1]), heldMicros: Number(reply[2]), unlimited: Number(reply[3]) === 1 };
  }
  const refusal = REFUSALS[code];
  if (refusal) return { ok: false, refusal };
  throw scriptFailure('hold', code, code === ScriptCode.CURRENCY_MISMATCH ? req.tenantId : `${req.tenantId} (call ${req.callId})`);
}

export async function answer(ctx: LedgerContext, tenantId: string, callId: string, answeredAtMs: number): Promise<void> {
  checkTenantId(tenantId);
  checkTime(answeredAtMs, 'answer time');
  const k = ctx.keys(tenantId);
  const reply = await ctx.guard.run('answer', () =>
    ctx.scripts.run('answer', [k.hold(callId), k.leases], [callId, answeredAtMs, ctx.leaseMs]),
  );
  if (replyCode(reply) !== ScriptCode.OK) throw scriptFailure('answer', replyCode(reply), callId);
}

/** Runs a script over the hold's keys; the pool keys come from the cache or the hold itself. */
async function withHoldKeys(
  ctx: LedgerContext,
  cache: PoolKeyCache,
  op: 'extend' | 'settle',
  tenantId: string,
  callId: string,
  args: Array<string | number>,
): Promise<unknown[]> {
  const k = ctx.keys(tenantId);
  let poolKeys = cache.get(tenantId, callId);
  for (let attempt = 0; attempt < 2; attempt++) {
    if (!poolKeys) {
      const stored = await ctx.guard.run(op, () => ctx.client.hget(k.hold(callId), 'pks'));
      poolKeys = stored ? (JSON.parse(stored) as string[]) : [];
    }
    const keys = poolKeys;
    const reply = await ctx.guard.run(op, () =>
      ctx.scripts.run(op, [k.account, k.hold(callId), k.leases, k.usage, k.poolRegistry, ...keys], args),
    );
    if (replyCode(reply) !== ScriptCode.KEYS_MISMATCH) return reply;
    poolKeys = undefined;
  }
  throw new LedgerError('SCRIPT_FAILED', `${op}: the pool keys of call ${callId} could not be matched`);
}

export async function extend(ctx: LedgerContext, cache: PoolKeyCache, tenantId: string, callId: string, nowMs: number): Promise<ExtendResult> {
  checkTenantId(tenantId);
  checkTime(nowMs, 'extend time');
  const reply = await withHoldKeys(ctx, cache, 'extend', tenantId, callId, [nowMs, ctx.leaseMs, ctx.sliceSeconds]);
  const code = replyCode(reply);
  if (code === ScriptCode.OK) {
    return {
      fundedSeconds: Number(reply[1]),
      exhausted: Number(reply[2]) === 1,
      unlimited: Number(reply[3]) === 1,
      heldMicros: Number(reply[4]),
    };
  }
  // Settled meanwhile (recovered, or ended elsewhere): nothing more is funded, nothing is held.
  if (code === ScriptCode.HOLD_ENDED) return { fundedSeconds: Number(reply[1]), exhausted: true, heldMicros: 0 };
  throw scriptFailure('extend', code, callId);
}

export async function settle(
  ctx: LedgerContext,
  cache: PoolKeyCache,
  tenantId: string,
  callId: string,
  endedAtMs: number,
  reason: EndReason,
): Promise<SettleResult> {
  checkTenantId(tenantId);
  checkTime(endedAtMs, 'end time');
  if (!END_REASONS.has(reason)) throw new LedgerError('BAD_INPUT', `settle: "${reason}" is not an end reason`);
  const reply = await withHoldKeys(ctx, cache, 'settle', tenantId, callId, ['end', endedAtMs, reason, 0, ctx.retentionMs, ctx.settledTtlMs]);
  if (replyCode(reply) !== ScriptCode.OK) throw scriptFailure('settle', replyCode(reply), callId);
  cache.delete(tenantId, callId);
  return settleResult(reply);
}

/** Settles one expired hold from its last confirmed time; null when its lease is alive again. */
async function recoverOne(ctx: LedgerContext, cache: PoolKeyCache, tenantId: string, callId: string, nowMs: number): Promise<SettleResult | null> {
  const reply = await withHoldKeys(ctx, cache, 'settle', tenantId, callId, ['recover', 0, 'gateway_lost', nowMs, ctx.retentionMs, ctx.settledTtlMs]);
  const code = replyCode(reply);
  if (code === ScriptCode.NOT_EXPIRED) return null;
  if (code === ScriptCode.UNKNOWN_HOLD) {
    // A lease without a hold can only be debris; drop it so recovery does not loop on it.
    await ctx.guard.run('recover', () => ctx.client.zrem(ctx.keys(tenantId).leases, callId));
    return null;
  }
  if (code !== ScriptCode.OK) throw scriptFailure('recover', code, callId);
  cache.delete(tenantId, callId);
  return settleResult(reply);
}

export async function recoverExpired(ctx: LedgerContext, cache: PoolKeyCache, tenantIds: string[], nowMs: number): Promise<SettleResult[]> {
  checkTime(nowMs, 'recovery time');
  const out: SettleResult[] = [];
  for (const tenantId of tenantIds) {
    const leases = ctx.keys(tenantId).leases;
    const expired = await ctx.guard.run('recover', () => ctx.client.zrangebyscore(leases, '-inf', nowMs, 'LIMIT', 0, 500));
    for (const callId of expired) {
      const result = await recoverOne(ctx, cache, tenantId, callId, nowMs);
      // Another instance, or a late settle, may have ended it first: only this instance's settles count.
      if (result?.applied) out.push(result);
    }
  }
  return out;
}

function settleResult(reply: unknown[]): SettleResult {
  const text = (i: number) => String(reply[i] ?? '');
  const int = (i: number) => Number(reply[i]);
  const draft = JSON.parse(text(14)) as UsageDraft;
  const sources = JSON.parse(text(15)) as FundingSource[];
  const record: UsageRecord = {
    ...draft,
    usageId: text(2),
    startTime: int(3),
    endTime: int(4),
    durationSeconds: int(5),
    connectFee: int(6),
    charge: int(7),
    capability: text(8),
    endReason: text(9) as EndReason,
  };
  const poolAlerts: SettleResult['poolAlerts'] = [];
  for (const alert of text(13).split(' ').filter(Boolean)) {
    const [index, percent] = alert.split(':').map(Number) as [number, number];
    const source = sources[index - 1];
    if (source?.kind === 'pool') poolAlerts.push({ pool: source.pool, percent: percent === 100 ? 100 : 80 });
  }
  return {
    applied: int(1) === 1,
    record,
    balanceAfter: int(10),
    crossedRechargeThreshold: int(11) === 1,
    crossedZero: int(12) === 1,
    poolAlerts,
  };
}
