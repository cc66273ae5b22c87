/**
 * The admission pipeline of one call: payer and facts, entitlement, the first
 * hold, and the session that meters the call from then on.
 */
import { randomUUID } from 'node:crypto';
import type { CallType, RejectCode } from '../domain.js';
import { LedgerUnavailableError, type HoldRefusal, type HoldRequest, type Ledger, type UsageDraft } from '../ledger/types.js';
import type { RateBook } from '../rating/types.js';
import type { Entitlement, EntitlementContext, EntitlementGrant, CallFacts } from '../entitlement/types.js';
import type { PayerSnapshot } from '../ledger/types.js';
import type { Logger } from '../log.js';
import { dialedDigits } from '../rating/phone-number.js';
import { destinationRefusal, holdLimits } from '../entitlement/limits.js';
import { admit, normalizeInternational } from './call-facts.js';
import type { Session, SessionInit } from './call-session.js';
import type { AuthorizeOutcome, CallSetup } from './types.js';
import { merged } from '../objects.js';

export type EntitlementFn = (call: CallFacts, payer: PayerSnapshot, ctx: EntitlementContext) => Entitlement;

export interface AuthorizeDeps {
  ledger: Ledger;
  book: RateBook;
  entitlement: EntitlementFn;
  context: Omit<EntitlementContext, 'rates'>;
  failOpen: boolean;
  nowMs: number;
  logger: Logger;
  /** Creates and registers the session of an admitted call (state authorizing). */
  newSession(init: Omit<SessionInit, 'logger' | 'transport'>): Session;
}

/** The decision plus what the metrics and the decision log line need. */
export interface Decision {
  outcome: AuthorizeOutcome;
  callType: CallType | 'unknown';
  /** allow, reject, or error (the ledger could not be reached). */
  decision: 'allow' | 'reject' | 'error';
  /** Reject code, or for an allow what pays first (pool, credits, free, unbilled). */
  reason: string;
  tenantId?: string;
  userId?: string;
}

const REFUSALS: Record<HoldRefusal, [RejectCode, string]> = {
  NO_FUNDS: ['NO_FUNDS', 'the available balance does not cover the connection fee and the first billing increment'],
  POOL_EMPTY_NO_CREDITS: ['NO_FUNDS', 'the minute pool is used up and the caller may not pay with credits'],
  BALANCE_NOT_POSITIVE: ['NO_FUNDS', 'the tenant balance is at or below zero, so toll-free calls are refused'],
  DUPLICATE_CALL: ['POLICY', 'a hold for this call id already exists'],
  LIMIT_RATE: ['LIMIT_RATE', 'the tenant placed more call attempts per second than its limit allows; retry shortly'],
  LIMIT_CONCURRENT: ['LIMIT_CONCURRENT', 'the concurrent-call limit is reached'],
  LIMIT_SPEND: ['LIMIT_SPEND', 'the spend limit of the rolling hour or day is reached'],
  LIMIT_CALL_CHARGE: ['LIMIT_CALL_CHARGE', 'the most one call may cost does not cover its first billing increment'],
  DIRECTORY_CHANGED: ['UNAVAILABLE', 'the tenant\'s provisioning kept changing while the call was decided; retry'],
};

/** The decision was made on cached directory data that is not current: decide again on a fresh read. */
const STALE = Symbol('stale directory');
/** A fresh decision can meet a change landing between its read and its hold; past this many, the call is refused. */
const MAX_DECISIONS = 3;

export function rejected(
  code: RejectCode,
  message: string,
  callType: CallType | 'unknown',
  ids: Partial<Decision> = {},
  retryAfterMs?: number,
): Decision {
  return {
    outcome: { allowed: false, code, message, ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) },
    callType,
    decision: code === 'UNAVAILABLE' ? 'error' : 'reject',
    reason: code,
    ...ids,
  };
}

function usageDraft(setup: CallSetup, facts: CallFacts, payer: PayerSnapshot, grant: EntitlementGrant | undefined, callType: CallType): UsageDraft {
  const user = payer.user;
  return {
    tenantId: payer.tenant.id,
    callId: setup.callId,
    ...(setup.conferenceId !== undefined ? { conferenceId: setup.conferenceId } : {}),
    ...(user ? { userLocation: user.usageCountry, userId: user.id, upn: user.upn, userDisplayName: user.displayName } : {}),
    ...(setup.callerNumber !== undefined ? { callerId: facts.caller ?? setup.callerNumber } : {}),
    callType,
    callDirection: setup.direction,
    ...(grant?.numberType !== undefined ? { numberType: grant.numberType } : {}),
    ...(grant?.domestic !== undefined ? { domestic: grant.domestic } : {}),
    destinationDialed: setup.dialed,
    destinationNumber: facts.destination ?? dialedDigits(setup.dialed),
    ...(grant?.externalCountry !== undefined ? { externalCountry: grant.externalCountry } : {}),
    currency: payer.tenant.currency,
    ...(grant ? { rateVersion: grant.rateVersion } : {}),
  };
}

/**
 * Rule 27: a refused call of a known tenant still leaves a usage record
 * (charge 0, end reason "rejected"). Losing it never changes the decision.
 */
async function recordRefusal(deps: AuthorizeDeps, draft: UsageDraft, code: RejectCode): Promise<void> {
  if (!deps.ledger.recordUsage) return;
  try {
    await deps.ledger.recordUsage(merged(draft, {
      usageId: randomUUID(),
      startTime: deps.nowMs,
      endTime: deps.nowMs,
      durationSeconds: 0,
      connectFee: 0,
      charge: 0,
      capability: 'none',
      endReason: 'rejected' as const,
    }));
  } catch (err) {
    deps.logger.warn({ err, code }, 'could not write the usage record of a refused call');
  }
}

/** Fail-open admission while the ledger is unreachable: the call goes through, unmetered. */
function unbilled(setup: CallSetup, deps: AuthorizeDeps, transportType: CallType | 'unknown'): Decision {
  const norm = normalizeInternational(setup.dialed);
  const destination = norm.ok ? norm.e164 : dialedDigits(setup.dialed);
  const callType: CallType = transportType === 'unknown' ? (setup.direction === 'inbound' ? 'ucap_in' : 'user_out') : transportType;
  const session = deps.newSession({
    callId: setup.callId,
    tenantId: setup.tenantId ?? 'unknown',
    ...(setup.userId !== undefined ? { userId: setup.userId } : {}),
    callType,
    direction: setup.direction,
    destination,
    currency: 'XXX',
    free: true,
    unbilled: true,
  });
  session.openUnbilled();
  return {
    outcome: { allowed: true, session, destination, callType },
    callType,
    decision: 'allow',
    reason: 'unbilled',
    ...(setup.tenantId !== undefined ? { tenantId: setup.tenantId } : {}),
  };
}

async function decide(setup: CallSetup, deps: AuthorizeDeps, seen: { callType: CallType | 'unknown' }, fresh: boolean): Promise<Decision | typeof STALE> {
  const admission = await admit(setup, deps.ledger, deps.book, { fresh });
  if (!admission.ok && admission.cached) return STALE;
  if (!admission.ok) return rejected(admission.code, admission.message, admission.callType ?? 'unknown', { tenantId: setup.tenantId });
  const { payer, facts } = admission;
  seen.callType = facts.type;
  const ids = { tenantId: payer.tenant.id, ...(payer.user ? { userId: payer.user.id } : {}) };
  const entitled = deps.entitlement(facts, payer, merged(deps.context, { rates: deps.book }));
  if (!entitled.ok) {
    // A refusal is final only when decided on current data; an allow is checked by the hold script itself.
    if (payer.cached) return STALE;
    const message = entitled.code === 'MALFORMED_NUMBER' && admission.malformedReason ? admission.malformedReason : entitled.message;
    await recordRefusal(deps, usageDraft(setup, facts, payer, undefined, facts.type), entitled.code);
    return rejected(entitled.code, message, facts.type, ids);
  }
  const callType: CallType = entitled.emergency ? 'emergency' : facts.type;
  seen.callType = callType;
  // Rule 28 destination rules and high-risk prefixes; never for an emergency call (rule 8).
  if (!entitled.emergency && setup.direction === 'outbound' && facts.destination !== undefined) {
    const refused = destinationRefusal(payer.tenant, payer.user, facts.destination, facts.destinationCountry, deps.book.highRisk?.(facts.destination));
    if (refused) {
      if (payer.cached) return STALE;
      await recordRefusal(deps, usageDraft(setup, facts, payer, entitled, callType), refused.code);
      return rejected(refused.code, refused.message, callType, ids);
    }
  }
  const destination = facts.destination ?? dialedDigits(setup.dialed);
  const free = entitled.sources.every((s) => s.kind === 'free');
  const session = deps.newSession({
    callId: setup.callId,
    tenantId: payer.tenant.id,
    ...(payer.user ? { userId: payer.user.id } : {}),
    callType,
    direction: setup.direction,
    destination,
    currency: payer.tenant.currency,
    free,
    unbilled: false,
  });
  const draft = usageDraft(setup, facts, payer, entitled, callType);
  const req: HoldRequest = {
    tenantId: payer.tenant.id,
    callId: setup.callId,
    sources: entitled.sources,
    rate: entitled.rate,
    requirePositiveBalance: entitled.requirePositiveBalance,
    draft,
    nowMs: deps.nowMs,
    ...(payer.user ? { userId: payer.user.id } : {}),
    ...(payer.version !== undefined ? { directoryVersion: payer.version } : {}),
  };
  const limits = entitled.emergency ? undefined : holdLimits(payer.tenant, payer.user);
  if (limits) req.limits = limits;
  let hold;
  try {
    hold = await session.open(req);
  } catch (err) {
    // Rule 8: an emergency call goes through even when its usage cannot be recorded.
    if (entitled.emergency && err instanceof LedgerUnavailableError) {
      deps.logger.error({ err }, 'ledger unreachable; emergency call let through unbilled');
      return unbilled(setup, deps, 'emergency');
    }
    throw err;
  }
  if (!hold.ok && hold.refusal === 'DIRECTORY_CHANGED') return STALE;
  if (!hold.ok) {
    const [code, why] = REFUSALS[hold.refusal];
    if (entitled.emergency) {
      deps.logger.error({ refusal: hold.refusal }, 'ledger refused the hold of an emergency call; let through unbilled');
      return unbilled(setup, deps, 'emergency');
    }
    // A duplicate call id already has its record, written by the call that holds it.
    if (hold.refusal !== 'DUPLICATE_CALL') await recordRefusal(deps, draft, code);
    const scope = hold.scope === 'user' ? ` (user ${payer.user?.id})` : ` (tenant ${payer.tenant.id})`;
    return rejected(code, `${why}${scope}`, callType, ids, hold.retryAfterMs);
  }
  const first = entitled.sources[0];
  return {
    outcome: {
      allowed: true,
      session,
      destination,
      callType,
      fundedSeconds: hold.fundedSeconds,
      ...(admission.service ? { target: admission.service.target } : {}),
    },
    callType,
    decision: 'allow',
    reason: entitled.emergency ? 'emergency' : (first?.kind ?? 'free'),
    ...ids,
  };
}

/**
 * Rule 8 while the ledger is unreachable: without the user's usage country,
 * the caller number's country and the every-country list (112) decide.
 */
export function emergencyWithoutLedger(setup: CallSetup, book: RateBook): boolean {
  if (setup.direction !== 'outbound') return false;
  // Nearly every call: no country has the number, so the caller's country (libphonenumber's parse) is not needed.
  if (!book.isEmergencyAnywhere(setup.dialed)) return false;
  const digits = dialedDigits(setup.dialed);
  const caller = setup.callerNumber ? normalizeInternational(setup.callerNumber) : undefined;
  const countries = [...(caller?.ok && caller.country ? [caller.country] : []), '*'];
  return countries.some((country) => book.isEmergency(country, digits));
}

/**
 * Runs the pipeline. Never throws: an unreachable ledger gives UNAVAILABLE
 * (or an unbilled call with failOpen); an unexpected fault fails closed.
 */
export async function authorizeCall(setup: CallSetup, deps: AuthorizeDeps): Promise<Decision> {
  const seen: { callType: CallType | 'unknown' } = { callType: setup.callType ?? 'unknown' };
  try {
    for (let attempt = 0; ; attempt++) {
      const decision = await decide(setup, deps, seen, attempt > 0);
      if (decision !== STALE) return decision;
      if (attempt + 1 >= MAX_DECISIONS) {
        const [code, why] = REFUSALS.DIRECTORY_CHANGED;
        return rejected(code, why, seen.callType, { tenantId: setup.tenantId });
      }
    }
  } catch (err) {
    if (err instanceof LedgerUnavailableError) {
      if (emergencyWithoutLedger(setup, deps.book)) {
        deps.logger.error({ err }, 'ledger unreachable; emergency call let through unbilled');
        return unbilled(setup, deps, 'emergency');
      }
      if (deps.failOpen) {
        deps.logger.warn({ err }, 'ledger unreachable; call let through unbilled (calls.failOpen)');
        return unbilled(setup, deps, seen.callType);
      }
      deps.logger.warn({ err }, 'ledger unreachable; call refused (fail closed)');
      return rejected('UNAVAILABLE', `the balance store cannot be reached: ${err.message}; retry later`, seen.callType, {
        tenantId: setup.tenantId,
      });
    }
    deps.logger.error({ err }, 'admission failed unexpectedly; call refused');
    return rejected('UNAVAILABLE', `admission failed: ${err instanceof Error ? err.message : String(err)}`, seen.callType, {
      tenantId: setup.tenantId,
    });
  }
}
