/**
 * Rule 28 limits that need no shared state: which destinations a payer may
 * call (country and prefix allow/deny lists, high-risk prefixes), and the
 * numeric limits of a call, tenant's and user's merged, for the ledger's hold.
 */
import type { CallLimits, HoldLimits, Tenant, User } from '../domain.js';

export interface DestinationRefusal {
  code: 'LIMIT_DESTINATION' | 'HIGH_RISK_DENIED';
  message: string;
}

function matchesPrefix(digits: string, prefixes: readonly string[] | undefined): string | undefined {
  return prefixes?.filter((p) => digits.startsWith(p)).sort((a, b) => b.length - a.length)[0];
}

/** Why one scope's lists refuse the destination, or undefined. */
function scopeRefusal(limits: CallLimits | undefined, who: string, digits: string, country: string | undefined): DestinationRefusal | undefined {
  if (!limits) return undefined;
  const denied = matchesPrefix(digits, limits.denyPrefixes);
  if (denied) return { code: 'LIMIT_DESTINATION', message: `${who} denies calls to prefix ${denied}` };
  if (country && limits.denyCountries?.includes(country)) return { code: 'LIMIT_DESTINATION', message: `${who} denies calls to ${country}` };
  const allowLists = limits.allowCountries !== undefined || limits.allowPrefixes !== undefined;
  if (allowLists) {
    const byCountry = country !== undefined && (limits.allowCountries?.includes(country) ?? false);
    if (!byCountry && !matchesPrefix(digits, limits.allowPrefixes)) {
      return { code: 'LIMIT_DESTINATION', message: `${who} allows calls only to ${[...(limits.allowCountries ?? []), ...(limits.allowPrefixes ?? []).map((p) => `+${p}`)].join(', ')}` };
    }
  }
  return undefined;
}

function allowsHighRisk(limits: CallLimits | undefined, prefix: string): boolean {
  return limits?.allowHighRisk?.some((p) => p === '*' || prefix.startsWith(p) || p.startsWith(prefix)) ?? false;
}

/**
 * A tenant's and a user's destination rules: a deny in either wins, an allow
 * list in either limits the calls to it; a high-risk prefix needs an explicit
 * allow from the tenant or the user.
 */
export function destinationRefusal(
  tenant: Tenant,
  user: User | undefined,
  e164: string,
  country: string | undefined,
  highRisk: string | undefined,
): DestinationRefusal | undefined {
  const digits = e164.startsWith('+') ? e164.slice(1) : e164;
  const refused = scopeRefusal(tenant.limits, `tenant ${tenant.id}`, digits, country) ?? scopeRefusal(user?.limits, `user ${user?.id}`, digits, country);
  if (refused) return refused;
  if (highRisk && !allowsHighRisk(tenant.limits, highRisk) && !allowsHighRisk(user?.limits, highRisk)) {
    return { code: 'HIGH_RISK_DENIED', message: `+${highRisk} is a high-risk destination (rates/high-risk.csv); allow it in the tenant's or user's limits (allowHighRisk)` };
  }
  return undefined;
}

/** The numeric limits of a call for the ledger's hold, or undefined when neither tenant nor user sets any. */
export function holdLimits(tenant: Tenant, user: User | undefined): HoldLimits | undefined {
  const t = tenant.limits ?? {};
  const u = user?.limits ?? {};
  const mc = [t.maxCallCharge, u.maxCallCharge].filter((v): v is number => v !== undefined);
  const out: HoldLimits = {
    ...(t.concurrentCalls !== undefined ? { tc: t.concurrentCalls } : {}),
    ...(u.concurrentCalls !== undefined ? { uc: u.concurrentCalls } : {}),
    ...(t.spendPerHour !== undefined ? { th: t.spendPerHour } : {}),
    ...(t.spendPerDay !== undefined ? { td: t.spendPerDay } : {}),
    ...(u.spendPerHour !== undefined ? { uhr: u.spendPerHour } : {}),
    ...(u.spendPerDay !== undefined ? { udy: u.spendPerDay } : {}),
    ...(mc.length > 0 ? { mc: Math.min(...mc) } : {}),
    ...(t.attemptsPerSecond !== undefined ? { ar: t.attemptsPerSecond } : {}),
  };
  return Object.keys(out).length > 0 ? out : undefined;
}
