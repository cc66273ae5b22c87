/**
 * Who pays for outbound calls: a user's own call (user_out, rules 9-14) and a
 * meeting's dial-out billed to its organizer (conf_out, rules 5, 11, 15).
 */
import type { FundingSource, PoolRef, Tenant, User } from '../domain.js';
import type { PayerSnapshot } from '../ledger/types.js';
import type { OutboundRate } from '../rating/types.js';
import { capabilityOf, currencyMismatch, emergencyGrant, reject, termsOf } from './common.js';
import { isDomestic, utcMonth } from './geography.js';
import type { CallFacts, Entitlement, EntitlementContext, EntitlementReject } from './types.js';

type Destination = { number: string; country: string };

function destinationOf(call: CallFacts): Destination | EntitlementReject {
  if (!call.destination || !call.destinationCountry) {
    return reject('MALFORMED_NUMBER', `"${call.dialed}" is not a dialable number (no E.164 destination and country)`);
  }
  return { number: call.destination, country: call.destinationCountry };
}

function payerUser(payer: PayerSnapshot, role: string): User | EntitlementReject {
  const user = payer.user;
  if (!user) return reject('UNKNOWN_USER', `no ${role} is provisioned for this call in tenant ${payer.tenant.id}`);
  if (user.tenantId !== payer.tenant.id) {
    return reject('UNKNOWN_USER', `${role} ${user.id} belongs to tenant ${user.tenantId}, not ${payer.tenant.id}`);
  }
  return user;
}

/** Rules 16, 17: a priced, non-blocked rate row in the tenant's currency. */
function rateFor(call: CallFacts, dest: Destination, tenant: Tenant, ctx: EntitlementContext): OutboundRate | EntitlementReject {
  const row = ctx.rates.outbound(dest.number, call.atMs);
  if (!row) return reject('NO_RATE', `no rate for ${dest.number} (${dest.country}) in rate table ${ctx.rates.version}`);
  const mismatch = currencyMismatch(row, tenant);
  if (mismatch) return mismatch;
  if (row.numberType === 'premium' && !row.premiumAllowed) {
    return reject('PREMIUM_BLOCKED', `${dest.number} is a premium-rate number (${row.destination}); premium calls are blocked`);
  }
  return row;
}

function isReject<T>(v: T | EntitlementReject): v is EntitlementReject {
  return typeof v === 'object' && v !== null && 'ok' in v && v.ok === false;
}

function grant(
  sources: FundingSource[],
  row: OutboundRate,
  ctx: EntitlementContext,
  domestic: boolean,
  dest: Destination,
): Entitlement {
  return {
    ok: true,
    sources,
    rate: termsOf(row),
    rateVersion: ctx.rates.version,
    numberType: row.numberType,
    domestic: domestic ? 'domestic' : 'international',
    capabilityHint: capabilityOf(sources.slice(0, 1)),
    requirePositiveBalance: false,
    externalCountry: dest.country,
    emergency: false,
  };
}

const hasCredits = (u: User) => u.licences.includes('communicationCredits');

/** user_out: policy, then the user's plan pool, then credits (rules 9, 10, 13, 14, 16). */
export function decideUserOut(call: CallFacts, payer: PayerSnapshot, ctx: EntitlementContext): Entitlement {
  const emergency = emergencyGrant(call, payer.tenant, payer.user?.usageCountry, ctx.rates);
  if (emergency) return emergency;
  const user = payerUser(payer, 'user');
  if (isReject(user)) return user;
  const credits = hasCredits(user);
  if (!user.plan && !credits) {
    return reject('NO_LICENCE', `user ${user.id} has no calling plan and no communicationCredits licence, so cannot call out`);
  }
  const dest = destinationOf(call);
  if (isReject(dest)) return dest;
  const domestic = isDomestic(user.usageCountry, dest.country);
  const scope = domestic ? 'domestic' : 'international';
  if (user.policy === 'none') return reject('POLICY', `user ${user.id}'s outbound policy allows no PSTN calls`);
  if (user.policy === 'domestic' && !domestic) {
    return reject('POLICY', `user ${user.id}'s outbound policy is domestic only; ${dest.number} is international from ${user.usageCountry}`);
  }
  const row = rateFor(call, dest, payer.tenant, ctx);
  if (isReject(row)) return row;

  const sources: FundingSource[] = [];
  const plan = user.plan ? ctx.plans.find((p) => p.sku === user.plan) : undefined;
  // Premium minutes are never drawn from a pool (rule 16).
  if (plan && row.numberType !== 'premium') {
    const minutes = domestic ? plan.domesticMinutes : plan.internationalMinutes;
    if (minutes > 0) {
      // The caller holds the plan, so its pool is at least one allowance even if the snapshot lags.
      const holders = Math.max(1, payer.planHolders[`${user.usageCountry}:${plan.sku}`] ?? 0);
      const pool: PoolRef = {
        kind: 'plan',
        country: user.usageCountry,
        sku: plan.sku,
        scope,
        month: utcMonth(call.atMs),
        sizeSeconds: minutes * 60 * holders,
      };
      sources.push({ kind: 'pool', pool });
    }
  }
  if (credits) sources.push({ kind: 'credits' });
  if (sources.length === 0) {
    const why = user.plan && !plan
      ? `plan "${user.plan}" is not in the plan catalog (config plans)`
      : row.numberType === 'premium'
        ? 'premium-rate calls are paid with credits only'
        : `plan ${user.plan} includes no ${scope} minutes`;
    return reject('NO_LICENCE', `user ${user.id} cannot call ${dest.number}: ${why}, and holds no communicationCredits licence`);
  }
  return grant(sources, row, ctx, domestic, dest);
}

/** Rule 15: the organizer's dial-out policy. */
function dialOutPolicyReject(organizer: User, dest: Destination, ctx: EntitlementContext): EntitlementReject | undefined {
  switch (organizer.dialOutPolicy) {
    case 'any':
      return undefined;
    case 'none':
      return reject('POLICY', `organizer ${organizer.id}'s dial-out policy allows no dial-out`);
    case 'same_country':
      return isDomestic(organizer.usageCountry, dest.country)
        ? undefined
        : reject('POLICY', `organizer ${organizer.id} may dial out only within ${organizer.usageCountry}; ${dest.number} is in ${dest.country}`);
    case 'zone_a':
      return ctx.rates.isZoneA(dest.country)
        ? undefined
        : reject('POLICY', `organizer ${organizer.id} may dial out only to Zone A countries; ${dest.country} is not one`);
  }
}

/**
 * conf_out: billed to the organizer (rule 5). Requires the organizer's
 * audioConferencing licence (rule 2); the tenant's dial-out pool pays for
 * non-premium Zone A destinations (rule 11), then the organizer's credits,
 * which need the communicationCredits licence like every credit payment (rule 9).
 */
export function decideDialOut(call: CallFacts, payer: PayerSnapshot, ctx: EntitlementContext): Entitlement {
  const emergency = emergencyGrant(call, payer.tenant, payer.user?.usageCountry, ctx.rates);
  if (emergency) return emergency;
  const organizer = payerUser(payer, 'organizer');
  if (isReject(organizer)) return organizer;
  if (!organizer.licences.includes('audioConferencing')) {
    return reject('NO_LICENCE', `organizer ${organizer.id} has no audioConferencing licence, so their meetings cannot dial out`);
  }
  const dest = destinationOf(call);
  if (isReject(dest)) return dest;
  const policy = dialOutPolicyReject(organizer, dest, ctx);
  if (policy) return policy;
  const row = rateFor(call, dest, payer.tenant, ctx);
  if (isReject(row)) return row;

  const sources: FundingSource[] = [];
  const poolSeconds = ctx.dialOutMinutesPerLicence * 60 * payer.audioConferencingLicences;
  if (row.numberType !== 'premium' && ctx.rates.isZoneA(dest.country) && poolSeconds > 0) {
    sources.push({ kind: 'pool', pool: { kind: 'dialout', month: utcMonth(call.atMs), sizeSeconds: poolSeconds } });
  }
  if (hasCredits(organizer)) sources.push({ kind: 'credits' });
  if (sources.length === 0) {
    const why = row.numberType === 'premium'
      ? 'premium-rate dial-outs are paid with credits only'
      : ctx.rates.isZoneA(dest.country)
        ? 'the tenant has no dial-out minutes (no Audio Conferencing licences)'
        : `${dest.country} is outside the Zone A dial-out pool`;
    return reject('NO_LICENCE', `dial-out to ${dest.number}: ${why}, and organizer ${organizer.id} holds no communicationCredits licence`);
  }
  return grant(sources, row, ctx, isDomestic(organizer.usageCountry, dest.country), dest);
}
