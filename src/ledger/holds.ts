/**
 * Holds on a call's funding: hold the first slice, answer, extend, settle or
 * release, and recovery of holds whose lease expired on Redis time. Each step
 * is one Lua script on the tenant's slot (hold.lua, answer.lua, extend.lua,
 * settle.lua), safe to run twice: a resend returns the first result.
 */
import { randomUUID } from 'node:crypto';
import { capabilityLabel, type EndReason, type FundingSource, type PoolRef, type UsageRecord } from '../domain.js';
import { microsPerMinorUnit } from '../money.js';
import { ScriptCode } from './codes.js';
import { replyCode, type LedgerContext } from './context.js';
import { clockSkewError, LedgerError, scriptFailure } from './errors.js';
import { leaseGuardMs } from '../config/lease-timing.js';
import { utcMonthOf } from './accounts.js';
import { dueMember, parseDueMember, slotKeys } from './keys.js';
import type { ExtendResult, HoldRefusal, HoldRequest, HoldResult, RenewOutcome, SettleOptions, SettleResult, UsageDraft } from './types.js';
import { checkHold, checkTenantId, checkTime } from './validate.js';
import { pricePoints } from '../rating/bands.js';
import type { RateTerms } from '../rating/types.js';
import { merged } from '../objects.js';

/**
 * Rule 29: a banded rate's price per minute from the hold on, as points on
 * the call's timeline (call time ms); the settle prices the billed seconds
 * per segment from the answer. Funding holds at the highest band price.
 */
function bandPoints(rate: RateTerms, nowMs: number): { bands?: string } {
  return rate.bands ? { bands: JSON.stringify(pricePoints(rate.bands, nowMs)) } : {};
}

const END_REASONS: ReadonlySet<string> = new Set([
  'caller_hangup', 'callee_hangup', 'credit_exhausted', 'cancelled', 'failed', 'rejected', 'gateway_lost', 'edge_lost',
  'ledger_unreachable', 'limit_reached', 'shutdown', 'admin_hangup',
]);

const REFUSALS: Partial<Record<number, HoldRefusal>> = {
  [ScriptCode.NO_FUNDS]: 'NO_FUNDS',
  [ScriptCode.POOL_EMPTY_NO_CREDITS]: 'POOL_EMPTY_NO_CREDITS',
  [ScriptCode.BALANCE_NOT_POSITIVE]: 'BALANCE_NOT_POSITIVE',
  [ScriptCode.DUPLICATE_CALL]: 'DUPLICATE_CALL',
  [ScriptCode.LIMIT_RATE]: 'LIMIT_RATE',
  [ScriptCode.LIMIT_CONCURRENT]: 'LIMIT_CONCURRENT',
  [ScriptCode.LIMIT_SPEND]: 'LIMIT_SPEND',
  [ScriptCode.LIMIT_CALL_CHARGE]: 'LIMIT_CALL_CHARGE',
  [ScriptCode.DIRECTORY_CHANGED]: 'DIRECTORY_CHANGED',
};

const DAY_MS = 86_400_000;

/** Pool hashes live until their month has ended and the usage retention has passed. */
function poolTtlMs(ctx: LedgerContext, pool: PoolRef, nowMs: number): number {
  const [y, m] = pool.month.split('-').map(Number) as [number, number];
  const monthEnd = Date.UTC(y, m, 1);
  return Math.max(DAY_MS, monthEnd + ctx.retentionMs - nowMs);
}

/** A live hold's pool keys and the pool each names; they change only at a month rollover. */
interface HoldPools {
  keys: string[];
  pools: PoolRef[];
  /** The usage draft as this instance sent it with the hold (a copy), and its text: the settle reply echoes the text. */
  sent?: SentDraft;
}

interface SentDraft {
  text: string;
  draft: UsageDraft;
}

/** The pool keys of live holds: cached so extend and settle skip a read. */
export class PoolKeyCache {
  private readonly map = new Map<string, HoldPools>();
  constructor(private readonly limit = 20_000) {}
  get(tenantId: string, callId: string): HoldPools | undefined {
    return this.map.get(`${tenantId}\n${callId}`);
  }
  set(tenantId: string, callId: string, entry: HoldPools): void {
    if (this.map.size >= this.limit) {
      const oldest = this.map.keys().next().value;
      if (oldest !== undefined) this.map.delete(oldest);
    }
    this.map.set(`${tenantId}\n${callId}`, entry);
  }
  delete(tenantId: string, callId: string): void {
    this.map.delete(`${tenantId}\n${callId}`);
  }
}

/** The keys every hold, extend and settle script takes, then the call's pool hashes. */
function holdKeys(ctx: LedgerContext, tenantId: string, callId: string, poolKeys: string[]): string[] {
  const k = ctx.keys(tenantId);
  return [k.account, k.hold(callId), k.leases, k.usage, k.poolRegistry, k.due, k.outbox, k.history, k.limits, ...poolKeys];
}

/** Turns a CLOCK_SKEW reply into its error; other codes pass. */
function checkSkew(ctx: LedgerContext, op: string, reply: unknown[], sentMs: number): void {
  if (replyCode(reply) === ScriptCode.CLOCK_SKEW) throw clockSkewError(op, sentMs, Number(reply[1]), ctx.skewMs);
}

/** A slot registered this long ago is registered again by the next hold there. */
const LIVE_SLOT_REFRESH_MS = 60_000;
/** A slot with no live hold and no effect waiting leaves the live set once unregistered for this long. */
const LIVE_SLOT_IDLE_MS = 30 * 60_000;

/**
 * Registers the tenant's slot as live before its hold is written, so recovery
 * and the outbox, which look only at live slots, can never miss the hold.
 */
export async function registerLiveSlot(ctx: LedgerContext, slot: number): Promise<void> {
  const now = Date.now();
  if (now - (ctx.liveSlotsSeen.get(slot) ?? 0) < LIVE_SLOT_REFRESH_MS) return;
  await ctx.guard.run('hold', () => ctx.client.zadd(ctx.global.liveSlots, now, String(slot)));
  ctx.liveSlotsSeen.set(slot, now);
}

/** The live slots and when each was last registered. */
export async function liveSlots(ctx: LedgerContext, op: string): Promise<Array<{ slot: number; registeredMs: number }>> {
  const flat = await ctx.guard.run(op, () => ctx.client.zrange(ctx.global.liveSlots, 0, -1, 'WITHSCORES'));
  const out: Array<{ slot: number; registeredMs: number }> = [];
  for (let i = 0; i + 1 < flat.length; i += 2) out.push({ slot: Number(flat[i]), registeredMs: Number(flat[i + 1]) });
  return out;
}

export async function hold(ctx: LedgerContext, cache: PoolKeyCache, req: HoldRequest): Promise<HoldResult> {
  checkHold(req);
  await registerLiveSlot(ctx, ctx.keys(req.tenantId).slot);
  const pools = req.sources.flatMap((s) => (s.kind === 'pool' ? [s.pool] : []));
  const poolKeys = pools.map((p) => ctx.keys(req.tenantId).pool(p));
  const perSource = req.sources.map((s) =>
    s.kind === 'pool'
      ? { k: 'p', lab: capabilityLabel(s), size: s.pool.sizeSeconds, ref: JSON.stringify(s.pool) }
      : { k: s.kind === 'credits' ? 'c' : 'f', lab: capabilityLabel(s), size: 0, ref: '' },
  );
  const ttl = pools.reduce((max, p) => Math.max(max, poolTtlMs(ctx, p, req.nowMs)), DAY_MS);
  const { rate } = req;
  // One request id for the request and any resend of it: a resend gets the first result.
  // The figures the hold keeps go as decimal text: the script writes them as they are (printing a
  // number in Lua costs more than the rest of its handling) and reads each as a number once.
  const request = {
    cid: req.callId, tid: req.tenantId, rid: randomUUID(), now: String(req.nowMs), skew: ctx.skewMs, lease: ctx.leaseMs,
    lg: String(leaseGuardMs(ctx.leaseMs / 1000)),
    slice: ctx.sliceSeconds, cur: rate.currency, step: String(microsPerMinorUnit(rate.currency)), pr: String(rate.pricePerMinute),
    fee: String(rate.connectFee), ini: String(rate.initialIncrement), sub: String(rate.subsequentIncrement), pos: req.requirePositiveBalance ? 1 : 0,
    uid: randomUUID(), dm: dueMember(req.tenantId, req.callId), ttl: String(ttl), ...bandPoints(rate, req.nowMs),
    usr: req.userId ?? '', ...(req.limits ? { lm: req.limits } : {}),
    ...(req.directoryVersion !== undefined ? { dv: req.directoryVersion } : {}),
  };
  const args = [JSON.stringify(request), JSON.stringify(req.draft), JSON.stringify(req.sources), JSON.stringify(poolKeys), JSON.stringify(perSource)];
  const reply = await ctx.guard.run('hold', () => ctx.scripts.run('hold', holdKeys(ctx, req.tenantId, req.callId, poolKeys), args));
  checkSkew(ctx, 'hold', reply, req.nowMs);
  const code = replyCode(reply);
  if (code === ScriptCode.OK) {
    cache.set(req.tenantId, req.callId, { keys: poolKeys, pools, sent: { text: args[1]!, draft: { ...req.draft } } });
    return { ok: true, fundedSeconds: Number(reply[1]), heldMicros: Number(reply[2]), unlimited: Number(reply[3]) === 1 };
  }
  const refusal = REFUSALS[code];
  if (code === ScriptCode.DIRECTORY_CHANGED) ctx.directory.dropTenant(req.tenantId);
  if (refusal) return { ok: false, refusal, ...(code === ScriptCode.LIMIT_RATE ? { retryAfterMs: Number(reply[1]) } : {}), ...(code === ScriptCode.LIMIT_CONCURRENT ? { scope: reply[1] === 'u' ? 'user' : 'tenant' } : {}) };
  throw scriptFailure('hold', code, code === ScriptCode.CURRENCY_MISMATCH ? req.tenantId : `${req.tenantId} (call ${req.callId})`);
}

/**
 * Marks the call answered at answeredAtMs, both on the instance's call time;
 * nowMs (default answeredAtMs) is that clock now, checked against Redis time.
 * wire is what any instance needs to end the call on the wire (opaque here).
 */
export async function answer(
  ctx: LedgerContext,
  tenantId: string,
  callId: string,
  answeredAtMs: number,
  nowMs: number = answeredAtMs,
  wire = '',
): Promise<void> {
  checkTenantId(tenantId);
  checkTime(answeredAtMs, 'answer time');
  checkTime(nowMs, 'answer request time');
  const k = ctx.keys(tenantId);
  const reply = await ctx.guard.run('answer', () =>
    ctx.scripts.run('answer', [k.hold(callId), k.leases, k.due], [callId, answeredAtMs, ctx.leaseMs, nowMs, ctx.skewMs, wire]),
  );
  checkSkew(ctx, 'answer', reply, nowMs);
  if (replyCode(reply) === ScriptCode.BAD_ARGUMENT) throw new LedgerError('BAD_INPUT', `answer: call ${callId} cannot be answered after the time the request was sent`);
  if (replyCode(reply) !== ScriptCode.OK) throw scriptFailure('answer', replyCode(reply), callId);
}

/** Records the call's wire state with its live hold (false when the hold is gone or settled). */
export async function setWire(ctx: LedgerContext, tenantId: string, callId: string, wire: string): Promise<boolean> {
  checkTenantId(tenantId);
  const reply = await ctx.guard.run('set_wire', () => ctx.scripts.run('set_wire', [ctx.keys(tenantId).hold(callId)], [wire]));
  return replyCode(reply) === ScriptCode.OK;
}

/** The hold's pools: from the cache, or read from the hold itself.*/
async function holdPools(ctx: LedgerContext, cache: PoolKeyCache, op: string, tenantId: string, callId: string): Promise<HoldPools> {
  const cached = cache.get(tenantId, callId);
  if (cached) return cached;
  const k = ctx.keys(tenantId);
  const [pks, srcj] = await ctx.guard.run(op, () => ctx.client.hmget(k.hold(callId), 'pks', 'srcj'));
  const keys = pks ? (JSON.parse(pks) as string[]) : [];
  const refs = srcj ? (JSON.parse(srcj) as FundingSource[]).flatMap((s) => (s.kind === 'pool' ? [s.pool] : [])) : [];
  const pools = keys.map((key) => refs.find((r) => k.pool(r) === key)).filter((r): r is PoolRef => r !== undefined);
  return { keys, pools: pools.length === keys.length ? pools : [] };
}

/**
 * Runs a script over the hold's keys (plus `extra` keys built from its
 * pools); the pool keys come from the cache or the hold itself.
 */
async function withHoldKeys(
  ctx: LedgerContext,
  cache: PoolKeyCache,
  op: 'extend' | 'settle',
  tenantId: string,
  callId: string,
  args: (held: HoldPools) => { extra: string[]; args: Array<string | number> },
): Promise<unknown[]> {
  for (let attempt = 0; attempt < 2; attempt++) {
    const held = await holdPools(ctx, cache, op, tenantId, callId);
    const built = args(held);
    const keys = [...holdKeys(ctx, tenantId, callId, held.keys), ...built.extra];
    const reply = await ctx.guard.run(op, () => ctx.scripts.run(op, keys, built.args));
    if (replyCode(reply) !== ScriptCode.KEYS_MISMATCH) return reply;
    cache.delete(tenantId, callId);
  }
  throw new LedgerError('SCRIPT_FAILED', `${op}: the pool keys of call ${callId} could not be matched`);
}

/** The new month's pools when the call time has passed into a month after every pool the hold draws on (rule 10). */
function rollover(ctx: LedgerContext, tenantId: string, held: HoldPools, nowMs: number): { extra: string[]; arg: string } {
  if (held.pools.length === 0) return { extra: [], arg: '' };
  const month = utcMonthOf(nowMs);
  if (held.pools.every((p) => p.month >= month)) return { extra: [], arg: '' };
  const refs = held.pools.map((p) => ({ ...p, month }));
  const ttl = refs.reduce((max, p) => Math.max(max, poolTtlMs(ctx, p, nowMs)), DAY_MS);
  return { extra: refs.map((r) => ctx.keys(tenantId).pool(r)), arg: JSON.stringify({ refs: refs.map((r) => JSON.stringify(r)), ttl }) };
}

export async function extend(ctx: LedgerContext, cache: PoolKeyCache, tenantId: string, callId: string, nowMs: number): Promise<ExtendResult> {
  checkTenantId(tenantId);
  checkTime(nowMs, 'extend time');
  const reply = await withHoldKeys(ctx, cache, 'extend', tenantId, callId, (held) => {
    const roll = rollover(ctx, tenantId, held, nowMs);
    return { extra: roll.extra, args: [nowMs, ctx.leaseMs, ctx.sliceSeconds, ctx.skewMs, roll.arg] };
  });
  checkSkew(ctx, 'extend', reply, nowMs);
  const code = replyCode(reply);
  // Rolled over into the new month's pool: the hold's pool keys changed.
  if (code === ScriptCode.OK && Number(reply[5]) === 1) cache.delete(tenantId, callId);
  if (code === ScriptCode.OK) {
    return {
      fundedSeconds: Number(reply[1]),
      exhausted: Number(reply[2]) === 1,
      unlimited: Number(reply[3]) === 1,
      heldMicros: Number(reply[4]),
      ...(Number(reply[6]) === 1 ? { limited: true } : {}),
    };
  }
  // Settled meanwhile (recovered, or ended elsewhere): nothing more is funded, nothing is held.
  if (code === ScriptCode.HOLD_ENDED) return { fundedSeconds: Number(reply[1]), exhausted: true, heldMicros: 0 };
  throw scriptFailure('extend', code, callId);
}

const RENEW_OUTCOMES: Record<number, RenewOutcome> = { 0: 'renewed', 2: 'unknown', 8: 'ended', 14: 'clock_skew' };
/** Calls renewed by one script: bounds the time Redis spends in it. */
export const RENEW_BATCH = 500;

/** Renews many calls' leases of one tenant: one renew.lua per RENEW_BATCH calls. */
export async function renewLeases(
  ctx: LedgerContext,
  tenantId: string,
  calls: ReadonlyArray<{ callId: string; nowMs: number }>,
): Promise<RenewOutcome[]> {
  checkTenantId(tenantId);
  const k = ctx.keys(tenantId);
  const out: RenewOutcome[] = [];
  for (let i = 0; i < calls.length; i += RENEW_BATCH) {
    const batch = calls.slice(i, i + RENEW_BATCH);
    for (const c of batch) checkTime(c.nowMs, 'renewal time');
    const reply = await ctx.guard.run('renew', () =>
      ctx.scripts.run('renew', [k.leases, k.due, ...batch.map((c) => k.hold(c.callId))], [ctx.leaseMs, ctx.skewMs, ...batch.map((c) => c.nowMs)]),
    );
    if (replyCode(reply) !== ScriptCode.OK) throw scriptFailure('renew', replyCode(reply), tenantId);
    for (const code of reply[1] as number[]) out.push(RENEW_OUTCOMES[Number(code)] ?? 'unknown');
  }
  return out;
}

/**
 * Ends the call at endedAtMs (the instance's call time). opts.token names this
 * settle: a retry with the same token gets applied = true again, so a lost
 * reply never makes the caller think someone else settled it.
 */
export async function settle(
  ctx: LedgerContext,
  cache: PoolKeyCache,
  tenantId: string,
  callId: string,
  endedAtMs: number,
  reason: EndReason,
  opts: SettleOptions = {},
): Promise<SettleResult> {
  checkTenantId(tenantId);
  checkTime(endedAtMs, 'end time');
  const nowMs = opts.nowMs ?? endedAtMs;
  checkTime(nowMs, 'settle request time');
  if (!END_REASONS.has(reason)) throw new LedgerError('BAD_INPUT', `settle: "${reason}" is not an end reason`);
  const token = opts.token ?? randomUUID();
  const sent = cache.get(tenantId, callId)?.sent;
  const reply = await withHoldKeys(ctx, cache, 'settle', tenantId, callId, () => ({
    extra: [],
    args: ['end', endedAtMs, reason, nowMs, ctx.skewMs, ctx.retentionMs, ctx.settledTtlMs, token, ctx.rechargePendingMs, '', ctx.history ? '1' : '0', ctx.instanceId],
  }));
  checkSkew(ctx, 'settle', reply, nowMs);
  if (replyCode(reply) === ScriptCode.BAD_ARGUMENT) throw new LedgerError('BAD_INPUT', `settle: call ${callId} cannot end after the time the request was sent`);
  if (replyCode(reply) !== ScriptCode.OK) throw scriptFailure('settle', replyCode(reply), callId);
  await ctx.guard.replicated('settle', ctx.keys(tenantId).slot);
  cache.delete(tenantId, callId);
  return settleResult(reply, sent);
}

/** Settles one expired hold from its last confirmed time; null when its lease is alive again or it is gone. */
async function recoverOne(ctx: LedgerContext, cache: PoolKeyCache, tenantId: string, callId: string): Promise<SettleResult | null> {
  const reply = await withHoldKeys(ctx, cache, 'settle', tenantId, callId, () => ({
    extra: [],
    args: ['recover', 0, 'gateway_lost', 0, ctx.skewMs, ctx.retentionMs, ctx.settledTtlMs, '', ctx.rechargePendingMs, leaseGuardMs(ctx.leaseMs / 1000), ctx.history ? '1' : '0', ctx.instanceId],
  }));
  const code = replyCode(reply);
  if (code === ScriptCode.NOT_EXPIRED) return null;
  if (code === ScriptCode.UNKNOWN_HOLD) {
    // An index entry without a hold can only be debris; drop it so recovery does not loop on it.
    const k = ctx.keys(tenantId);
    await ctx.guard.run('recover', () => ctx.client.zrem(k.due, dueMember(tenantId, callId)));
    await ctx.guard.run('recover', () => ctx.client.zrem(k.leases, callId));
    return null;
  }
  if (code !== ScriptCode.OK) throw scriptFailure('recover', code, callId);
  await ctx.guard.replicated('recover', ctx.keys(tenantId).slot);
  cache.delete(tenantId, callId);
  return settleResult(reply);
}

/** How many expired leases one pass takes from each slot, and how many slots it asks at once. */
const EXPIRED_PER_SLOT = 200;
const SLOTS_IN_FLIGHT = 256;

export interface RecoveryPass {
  /** Calls this pass settled (another instance, or a late settle, may have ended others first). */
  settled: SettleResult[];
  /** Live slots asked (those with holds or effects lately) and expired leases found. */
  slots: number;
  expired: number;
  /** Records that could not be recovered (logged by the caller; the rest of the pass went on). */
  failures: Array<{ member: string; error: string }>;
  /** Effects waiting in the outboxes of the live slots, and the age of the oldest (ms, Redis time). */
  outboxEntries: number;
  outboxOldestAgeMs: number;
}

/**
 * One pass over the due-indexes of the live slots (those where calls were
 * held lately): the work grows with the slots in use and the expired leases,
 * not with the tenants.
 */
export async function recoverExpiredPass(ctx: LedgerContext, cache: PoolKeyCache): Promise<RecoveryPass> {
  const slots = await liveSlots(ctx, 'recover');
  const pass: RecoveryPass = { settled: [], slots: slots.length, expired: 0, failures: [], outboxEntries: 0, outboxOldestAgeMs: 0 };
  const idleBefore = Date.now() - LIVE_SLOT_IDLE_MS;
  for (let i = 0; i < slots.length; i += SLOTS_IN_FLIGHT) {
    const chunk = slots.slice(i, i + SLOTS_IN_FLIGHT);
    const found = await Promise.all(
      chunk.map(async ({ slot, registeredMs }) => {
        const { due, outbox, history } = slotKeys(ctx.prefix, slot);
        const reply = await ctx.guard.run('recover', () => ctx.scripts.run('expired_leases', [due, outbox, history], [EXPIRED_PER_SLOT]));
        pass.outboxEntries += Number(reply[3]);
        pass.outboxOldestAgeMs = Math.max(pass.outboxOldestAgeMs, Number(reply[4] ?? 0));
        // No live hold, no effect or history waiting, nobody registered it lately: the slot leaves the live set.
        if (Number(reply[2]) === 0 && Number(reply[3]) === 0 && Number(reply[5] ?? 0) === 0 && registeredMs < idleBefore) {
          await ctx.guard.run('recover', () => ctx.scripts.run('zrem_if_older', [ctx.global.liveSlots], [String(slot), registeredMs]));
        }
        return (reply[1] as string[] | undefined) ?? [];
      }),
    );
    for (const member of found.flat()) {
      pass.expired++;
      const id = parseDueMember(member);
      try {
        if (!id) throw new LedgerError('BAD_INPUT', `due-index member "${member}" names no tenant and call`);
        const result = await recoverOne(ctx, cache, id.tenantId, id.callId);
        if (result?.applied) pass.settled.push(result);
      } catch (err) {
        // One bad record must not stop the recovery of every other lost call.
        pass.failures.push({ member, error: err instanceof Error ? err.message : String(err) });
      }
    }
  }
  return pass;
}

export async function recoverExpired(ctx: LedgerContext, cache: PoolKeyCache): Promise<SettleResult[]> {
  return (await recoverExpiredPass(ctx, cache)).settled;
}

/**
 * The settle reply as a result. It echoes the hold's usage draft and sources
 * as text: where the draft is the very text this instance sent with the
 * hold, the copy kept of it is taken instead of parsing it again; the sources
 * are parsed only to name the pools of alerts.
 */
function settleResult(reply: unknown[], sent?: SentDraft): SettleResult {
  const text = (i: number) => String(reply[i] ?? '');
  const int = (i: number) => Number(reply[i]);
  const draftText = text(14);
  const draft = sent && draftText === sent.text ? sent.draft : (JSON.parse(draftText) as UsageDraft);
  const record: UsageRecord = merged(draft, {
    usageId: text(2),
    startTime: int(3),
    endTime: int(4),
    durationSeconds: int(5),
    connectFee: int(6),
    charge: int(7),
    capability: text(8),
    endReason: text(9) as EndReason,
  });
  const poolAlerts: SettleResult['poolAlerts'] = [];
  const alerts = text(13).split(' ').filter(Boolean);
  const sources = alerts.length > 0 ? (JSON.parse(text(15)) as FundingSource[]) : [];
  for (const alert of alerts) {
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
    ...(text(18) ? { wire: text(18) } : {}),
  };
}
