/**
 * The domain vocabulary shared by every layer: tenants, users, service
 * numbers, call types, funding sources, reject codes, end reasons and usage
 * records (DOMAIN.md). Plain data and the labels derived from it; no I/O.
 */
import type { Micros } from './money.js';
import type { NumberType } from './rating/types.js';

export type UserPolicy = 'international_and_domestic' | 'domestic' | 'none';
export type DialOutPolicy = 'any' | 'same_country' | 'zone_a' | 'none';
export type Licence = 'communicationCredits' | 'audioConferencing';

/** The billed organization (DOMAIN.md rule 1). */
export interface Tenant {
  id: string;
  name: string;
  currency: string;
  /** ISO 3166 alpha-2 home country (billing address: plays no part in domestic/international). */
  country: string;
  /** How far below zero the balance may go; 0 = strict prepaid. */
  creditLimit: Micros;
  /** Auto-recharge when a debit leaves the balance below threshold; off when absent. */
  autoRecharge?: { threshold: Micros; amount: Micros };
  /** Where notices for this tenant go by e-mail, besides config.notify.smtp.to. */
  noticeEmail?: string;
  /** The tenant's own notice webhook (https, public address), besides config.notify.webhooks. */
  noticeWebhook?: { url: string; secret: string };
  limits?: CallLimits;
}

/**
 * Limits against fraud and runaway spend (rule 28), per tenant and per user,
 * every one optional. Money in micros of the tenant's currency.
 */
export interface CallLimits {
  /** Live calls at once (holds held), across every instance. */
  concurrentCalls?: number;
  /** Money charged plus held in a rolling hour / a rolling day. */
  spendPerHour?: Micros;
  spendPerDay?: Micros;
  /** The most one call may cost: its slices stop there. */
  maxCallCharge?: Micros;
  /** Call attempts per second (a token bucket; tenants only). */
  attemptsPerSecond?: number;
  /** Destinations by ISO country and by E.164 prefix (digits); a deny wins, an allow list limits calls to it. */
  allowCountries?: string[];
  denyCountries?: string[];
  allowPrefixes?: string[];
  denyPrefixes?: string[];
  /** Prefixes of the ops file rates/high-risk.csv this payer may call anyway ("*" for all). */
  allowHighRisk?: string[];
}

/**
 * The numeric limits of one hold (rule 28), tenant and user merged: tc/uc
 * live calls, th/td and uhr/udy spend per hour and day (micros), mc the most
 * the call may cost (the smaller of tenant's and user's), ar attempts per second.
 */
export interface HoldLimits {
  tc?: number;
  uc?: number;
  th?: number;
  td?: number;
  uhr?: number;
  udy?: number;
  mc?: number;
  ar?: number;
}

/** A person of a tenant (rule 2). */
export interface User {
  id: string;
  tenantId: string;
  upn: string;
  displayName: string;
  /** Where the user's licence is used: decides domestic vs international (rule 3). */
  usageCountry: string;
  /** Assigned phone number, E.164 with "+". */
  number?: string;
  /** Calling plan SKU from config.plans, or none. */
  plan?: string;
  policy: UserPolicy;
  dialOutPolicy: DialOutPolicy;
  licences: Licence[];
  limits?: CallLimits;
}

/** A tenant's inbound service number (toll-free or toll), routed to a SIP target. */
export interface ServiceNumber {
  number: string;
  tenantId: string;
  kind: 'toll-free' | 'toll';
  /** What answers: conferencing, auto attendant, call queue. */
  service: 'conferencing' | 'auto_attendant' | 'call_queue';
  target: string;
}

export type CallType = 'user_out' | 'conf_out' | 'conf_in' | 'ucap_in' | 'emergency';

/** A per-tenant monthly minute pool (rules 10, 11). */
export type PoolRef =
  | { kind: 'plan'; country: string; sku: string; scope: 'domestic' | 'international'; month: string; sizeSeconds: number }
  | { kind: 'dialout'; month: string; sizeSeconds: number };

/** One way of paying for a call, tried in the order entitlement gives (rule 9). */
export type FundingSource = { kind: 'pool'; pool: PoolRef } | { kind: 'credits' } | { kind: 'free' };

/** Stable machine-readable reasons a call is refused. */
export const RejectCode = {
  NO_FUNDS: 'NO_FUNDS',
  NO_LICENCE: 'NO_LICENCE',
  POLICY: 'POLICY',
  NO_RATE: 'NO_RATE',
  PREMIUM_BLOCKED: 'PREMIUM_BLOCKED',
  UNKNOWN_NUMBER: 'UNKNOWN_NUMBER',
  MALFORMED_NUMBER: 'MALFORMED_NUMBER',
  UNKNOWN_TENANT: 'UNKNOWN_TENANT',
  UNKNOWN_USER: 'UNKNOWN_USER',
  UNKNOWN_PEER: 'UNKNOWN_PEER',
  UNAVAILABLE: 'UNAVAILABLE',
  DRAINING: 'DRAINING',
  /** The instance is offered more calls than it can carry (calls.overload): try another or later. */
  OVERLOADED: 'OVERLOADED',
  // Rule 28: each limit has its own code.
  LIMIT_CONCURRENT: 'LIMIT_CONCURRENT',
  LIMIT_SPEND: 'LIMIT_SPEND',
  LIMIT_CALL_CHARGE: 'LIMIT_CALL_CHARGE',
  LIMIT_RATE: 'LIMIT_RATE',
  LIMIT_DESTINATION: 'LIMIT_DESTINATION',
  HIGH_RISK_DENIED: 'HIGH_RISK_DENIED',
} as const;
export type RejectCode = (typeof RejectCode)[keyof typeof RejectCode];

export type EndReason =
  | 'caller_hangup'
  | 'callee_hangup'
  | 'credit_exhausted'
  | 'cancelled'
  | 'failed'
  | 'rejected'
  | 'gateway_lost'
  | 'edge_lost'
  | 'ledger_unreachable'
  | 'limit_reached'
  | 'shutdown'
  | 'admin_hangup';

/** What paid for a call, as written in the usage record's Capability column. */
export type Capability = string; // plan SKU, "credits", "dialout_pool", "free", or "SKU+credits"

/** The label one funding source carries in the Capability column. */
export function capabilityLabel(source: FundingSource): string {
  if (source.kind === 'pool') return source.pool.kind === 'plan' ? source.pool.sku : 'dialout_pool';
  return source.kind;
}

/** One intercepted call (rule 27). Times are UTC ms; money is micros. */
export interface UsageRecord {
  usageId: string;
  tenantId: string;
  callId: string;
  conferenceId?: string;
  userLocation?: string;
  userId?: string;
  upn?: string;
  userDisplayName?: string;
  callerId?: string;
  callType: CallType;
  callDirection: 'inbound' | 'outbound';
  numberType?: NumberType;
  domestic?: 'domestic' | 'international';
  destinationDialed: string;
  destinationNumber: string;
  externalCountry?: string;
  startTime: number;
  endTime: number;
  durationSeconds: number;
  connectFee: Micros;
  charge: Micros;
  currency: string;
  capability: Capability;
  rateVersion?: string;
  endReason: EndReason;
}
