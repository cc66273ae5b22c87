/**
 * The inputs and the answer of entitlement: the facts of one call, the
 * catalog it is judged against, and the ordered funding sources or a reject.
 */
import type { FundingSource, RejectCode } from '../domain.js';
import type { PlanConfig } from '../config/schema.js';
import type { NumberType, RateBook, RateTerms } from '../rating/types.js';

/** The call types entitlement decides; emergency is a property of the call, found here. */
export type EntitledCallType = 'user_out' | 'conf_out' | 'conf_in' | 'ucap_in';

/** What the call layer learned about a call before asking who pays. */
export interface CallFacts {
  type: EntitledCallType;
  /** The dialed string as received ("911", "0044 20…", "+4420…"); emergency numbers are matched on it. */
  dialed: string;
  /**
   * Normalized destination, E.164 with "+". Outbound: the PSTN number called.
   * Inbound: the tenant's service number. Absent only when the dialed string
   * does not normalize (an emergency short code such as "112").
   */
  destination?: string;
  /** ISO 3166 alpha-2 country of `destination` (inbound: the service number's country). */
  destinationCountry?: string;
  /** Caller number, E.164 with "+"; inbound: the origin that prices a toll-free call. */
  caller?: string;
  /** ISO 3166 alpha-2 country of `caller`, when known. */
  callerCountry?: string;
  /** Inbound only: the kind of the service number that was dialed. */
  serviceNumberKind?: 'toll-free' | 'toll';
  /** When the call is set up (UTC ms): selects rate rows and the pool month. */
  atMs: number;
}

/** The provisioned catalog a decision is made against (config plus the live rate book). */
export interface EntitlementContext {
  plans: readonly PlanConfig[];
  /** config.conferencing.dialOutMinutesPerLicence */
  dialOutMinutesPerLicence: number;
  rates: RateBook;
}

export interface EntitlementGrant {
  ok: true;
  /** Funding sources in the order they are drawn from (rule 9); never empty. */
  sources: FundingSource[];
  /** Price terms, in the tenant's currency (all zero for free calls). */
  rate: RateTerms;
  rateVersion: string;
  numberType?: NumberType;
  domestic?: 'domestic' | 'international';
  /** What pays if the first source covers the whole call (the usage record's Capability). */
  capabilityHint: string;
  /** Rule 19: the ledger refuses the call when the balance is at or below its floor. */
  requirePositiveBalance: boolean;
  /** Outbound: the destination country; inbound: the caller's origin country. */
  externalCountry?: string;
  /** Rule 8: an emergency number; never blocked, never charged. */
  emergency: boolean;
}

export interface EntitlementReject {
  ok: false;
  code: RejectCode;
  message: string;
}

export type Entitlement = EntitlementGrant | EntitlementReject;
