/**
 * Tenant money outside calls: top-ups (idempotent by reference) and the
 * balance view with the current month's minute pools.
 */
import type { PoolRef } from '../domain.js';
import { ScriptCode } from './codes.js';
import { execPipeline } from './connection.js';
import { replyCode, type LedgerContext } from './context.js';
import { clockSkewError, LedgerError, scriptFailure } from './errors.js';
import type { BalanceView, PoolBalance, TopUpResult } from './types.js';
import { referenceProblem } from './references.js';
import { MAX_AMOUNT, MAX_BALANCE, checkTenantId, checkTime } from './validate.js';
import { registerLiveSlot } from './holds.js';

/** What a movement into the balance is, in the journal: recharges carry the references the recharge service makes. */
export function topUpKind(reference: string): 'top-up' | 'recharge' {
  return reference.startsWith(RECHARGE_REFERENCE_PREFIX) ? 'recharge' : 'top-up';
}

/** Reference prefix of the auto-recharge credits (payments/recharge-service.ts rechargeReference). */
export const RECHARGE_REFERENCE_PREFIX = 'recharge-';

export async function topUp(ctx: LedgerContext, tenantId: string, reference: string, amount: number, nowMs: number): Promise<TopUpResult> {
  return moveMoney(ctx, tenantId, reference, amount, nowMs, topUpKind(reference));
}

/**
 * A manual correction of the balance by an operator, once per reference like
 * a top-up (it shares their references): amount may be negative, never 0.
 */
export async function adjust(ctx: LedgerContext, tenantId: string, reference: string, amount: number, nowMs: number): Promise<TopUpResult> {
  return moveMoney(ctx, tenantId, reference, amount, nowMs, 'adjustment');
}

async function moveMoney(
  ctx: LedgerContext,
  tenantId: string,
  reference: string,
  amount: number,
  nowMs: number,
  kind: 'top-up' | 'recharge' | 'adjustment',
): Promise<TopUpResult> {
  const what = kind === 'adjustment' ? 'adjustment' : 'top-up';
  checkTenantId(tenantId);
  checkTime(nowMs, `${what} time`);
  const problem = referenceProblem(reference);
  if (problem) throw new LedgerError('BAD_INPUT', `${what}: the reference ${problem}`);
  const signed = kind === 'adjustment';
  if (!Number.isSafeInteger(amount) || amount === 0 || Math.abs(amount) > MAX_AMOUNT || (!signed && amount < 0)) {
    const range = signed ? `a whole number of micros other than 0, at most ${MAX_AMOUNT} either way` : `a positive whole number of micros up to ${MAX_AMOUNT}`;
    throw new LedgerError('BAD_INPUT', `${what} ${reference}: the amount must be ${range}, got ${amount}`);
  }
  const k = ctx.keys(tenantId);
  // The history writer reads the live slots: a tenant that only receives money must be found too.
  if (ctx.history) await registerLiveSlot(ctx, k.slot);
  const reply = await ctx.guard.run('top_up', () =>
    ctx.scripts.run('top_up', [k.account, k.topUps, k.history], [
      reference, amount, nowMs, MAX_BALANCE, ctx.skewMs, kind, ctx.history ? '1' : '0', ctx.instanceId, -MAX_BALANCE, tenantId,
    ]),
  );
  const code = replyCode(reply);
  if (code === ScriptCode.CLOCK_SKEW) throw clockSkewError(what, nowMs, Number(reply[1]), ctx.skewMs);
  if (code === ScriptCode.BAD_ARGUMENT) {
    const bound = amount > 0 ? `exceed ${MAX_BALANCE} micros` : `go below -${MAX_BALANCE} micros`;
    throw new LedgerError('BAD_INPUT', `${what} ${reference}: the balance of tenant ${tenantId} would ${bound}`);
  }
  if (code !== ScriptCode.OK) throw scriptFailure(what, code, tenantId);
  await ctx.guard.replicated('top_up', k.slot);
  return { applied: Number(reply[1]) === 1, reference, amount: Number(reply[2]), balanceAfter: Number(reply[3]) };
}

/** The UTC calendar month of a time, "YYYY-MM" (pools reset on the 1st). */
export function utcMonthOf(ms: number): string {
  return new Date(ms).toISOString().slice(0, 7);
}

/**
 * The month's pools: every pool the tenant's plan holders and Audio
 * Conferencing licences entitle it to (sized from the plan catalog, as
 * entitlement sizes them), plus any other pool a call drew on that month.
 */
function entitledPools(ctx: LedgerContext, counts: Record<string, string>, month: string): PoolRef[] {
  const pools: PoolRef[] = [];
  for (const [field, value] of Object.entries(counts)) {
    if (!field.startsWith('plan:')) continue;
    const [country, ...rest] = field.slice(5).split(':');
    const sku = rest.join(':');
    const plan = ctx.plans.find((p) => p.sku === sku);
    if (!plan || !country) continue;
    const holders = Number(value);
    if (plan.domesticMinutes > 0) {
      pools.push({ kind: 'plan', country, sku, scope: 'domestic', month, sizeSeconds: plan.domesticMinutes * 60 * holders });
    }
    if (plan.internationalMinutes > 0) {
      pools.push({ kind: 'plan', country, sku, scope: 'international', month, sizeSeconds: plan.internationalMinutes * 60 * holders });
    }
  }
  const licences = Number(counts['licence:audioConferencing'] ?? 0);
  if (licences > 0 && ctx.dialOutMinutesPerLicence > 0) {
    pools.push({ kind: 'dialout', month, sizeSeconds: ctx.dialOutMinutesPerLicence * 60 * licences });
  }
  return pools;
}

export async function balance(ctx: LedgerContext, tenantId: string, nowMs: number): Promise<BalanceView> {
  checkTenantId(tenantId);
  checkTime(nowMs, 'balance time');
  const k = ctx.keys(tenantId);
  const month = utcMonthOf(nowMs);
  const first = await ctx.guard.run('balance', () =>
    execPipeline(ctx.client.pipeline().hmget(k.account, 'cur', 'bal', 'held', 'lim').hgetall(k.counts).hgetall(k.poolRegistry).zcard(k.leases)),
  );
  const [cur, bal, held, lim] = first[0] as Array<string | null>;
  if (!cur) throw scriptFailure('balance', ScriptCode.UNKNOWN_TENANT, tenantId);
  const counts = first[1] as Record<string, string>;
  const registry = first[2] as Record<string, string>;
  const liveCalls = Number(first[3] ?? 0);

  const byKey = new Map<string, PoolRef>();
  for (const [key, json] of Object.entries(registry)) {
    const ref = JSON.parse(json) as PoolRef;
    if (ref.month === month) byKey.set(key, ref);
  }
  const entitled = new Set<string>();
  for (const ref of entitledPools(ctx, counts, month)) {
    byKey.set(k.pool(ref), ref);
    entitled.add(k.pool(ref));
  }
  const keys = [...byKey.keys()];
  const stats = keys.length === 0 ? [] : await ctx.guard.run('balance', () => {
    const p = ctx.client.pipeline();
    for (const key of keys) p.hmget(key, 'size', 'used', 'held');
    return execPipeline(p);
  });
  const pools: PoolBalance[] = keys.map((key, i) => {
    const [size, used, heldSeconds] = ((stats[i] ?? []) as Array<string | null>).map((v) => Number(v ?? 0)) as [number, number, number];
    const ref = byKey.get(key)!;
    // A pool no longer entitled (plan removed) keeps the size its last call saw.
    const sizeSeconds = entitled.has(key) ? ref.sizeSeconds : size;
    return {
      pool: { ...ref, sizeSeconds },
      usedSeconds: used,
      heldSeconds,
      leftSeconds: Math.max(0, sizeSeconds - used - heldSeconds),
    };
  });
  const balanceMicros = Number(bal);
  const heldMicros = Number(held);
  const creditLimit = Number(lim);
  return {
    tenantId,
    currency: cur,
    balance: balanceMicros,
    held: heldMicros,
    available: balanceMicros + creditLimit - heldMicros,
    creditLimit,
    pools,
    liveCalls,
  };
}
