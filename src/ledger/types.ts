/**
 * The ledger's contract with the layers above it (calls, http, cli): holds,
 * settle, release, recovery, top-ups, balances, usage records and
 * provisioning data. Implemented over Redis with Lua scripts.
 */
import type { Micros } from '../money.js';
import type { RecoveryPass } from './holds.js';
import type { LedgerOutbox } from './outbox.js';
import type { RateTerms } from '../rating/types.js';
import type { EndReason, FundingSource, HoldLimits, PoolRef, ServiceNumber, Tenant, UsageRecord, User } from '../domain.js';
export type { HoldLimits } from '../domain.js';

/** Why a hold could not be taken. */
export type HoldRefusal =
  | 'NO_FUNDS' // credits were a source but the available balance cannot cover the first increment
  | 'POOL_EMPTY_NO_CREDITS' // only pool sources, all empty
  | 'BALANCE_NOT_POSITIVE' // toll-free rule 19: balance at or below its floor
  | 'DUPLICATE_CALL' // a hold for this call id already exists
  | 'LIMIT_RATE' // rule 28: the tenant's call attempts per second
  | 'LIMIT_CONCURRENT' // rule 28: live calls of the tenant or the user
  | 'LIMIT_SPEND' // rule 28: spend in the rolling hour or day
  | 'LIMIT_CALL_CHARGE' // rule 28: the most one call may cost does not cover its first increment
  | 'DIRECTORY_CHANGED'; // the tenant's provisioning changed since the decision read it (decide again on a fresh read)


/** The call's fields that go into its usage record, known at authorize time. */
export type UsageDraft = Omit<
  UsageRecord,
  'usageId' | 'startTime' | 'endTime' | 'durationSeconds' | 'connectFee' | 'charge' | 'capability' | 'endReason'
>;

export interface HoldRequest {
  tenantId: string;
  callId: string;
  /** Funding sources in order (entitlement's answer). */
  sources: FundingSource[];
  rate: RateTerms;
  /** Rule 19 (toll-free inbound): refuse when balance <= -creditLimit, whatever the pools say. */
  requirePositiveBalance: boolean;
  draft: UsageDraft;
  nowMs: number;
  /** The user the call counts against for user limits. */
  userId?: string;
  limits?: HoldLimits;
  /** The directory version the decision read (PayerSnapshot.version): the hold is refused DIRECTORY_CHANGED on another. */
  directoryVersion?: string;
}

export type HoldResult =
  | {
      ok: true;
      fundedSeconds: number;
      heldMicros: Micros;
      /** A free call (emergency, toll inbound): every extend funds more, it is never cut for money. */
      unlimited?: boolean;
    }
  | { ok: false; refusal: HoldRefusal; retryAfterMs?: number; scope?: 'tenant' | 'user' };

/** One call's lease renewal: renewed, its hold gone or already settled, or its time too far from Redis time. */
export type RenewOutcome = 'renewed' | 'unknown' | 'ended' | 'clock_skew';

export interface ExtendResult {
  /** Total seconds of answered time now funded. */
  fundedSeconds: number;
  /** True when no further slice can be funded: the call must end at fundedSeconds. */
  exhausted: boolean;
  /** A free call: never cut for money. */
  unlimited?: boolean;
  /** Money the ledger holds for the call after this extension (its whole credit slice so far); 0 once settled. */
  heldMicros?: Micros;
  /** Exhausted by a spend limit or the most one call may cost (rule 28), not by money. */
  limited?: boolean;
}

export interface SettleOptions {
  /** Names this settle: a retry with the same token is told applied = true again. Random by default. */
  token?: string;
  /** The caller's call-time clock now (default endedAtMs); checked against Redis time. */
  nowMs?: number;
}

export interface SettleResult {
  /** True for the settle that applied it (and its retries with the same token); false for anyone else's repeat. */
  applied: boolean;
  record: UsageRecord;
  balanceAfter: Micros;
  /** The debit left the balance below the tenant's auto-recharge threshold and a recharge became due (queued in the outbox). */
  crossedRechargeThreshold: boolean;
  /** The debit left the balance at or below zero (it was above before). */
  crossedZero: boolean;
  /** Pools whose use crossed 80 % or 100 % with this settle. */
  poolAlerts: Array<{ pool: PoolRef; percent: 80 | 100 }>;
  /** The wire state the answer recorded (what any instance needs to end the call on the wire). */
  wire?: string;
}

export interface PoolBalance {
  pool: PoolRef;
  usedSeconds: number;
  /** Seconds held by live calls (not yet used, not available to new calls). */
  heldSeconds?: number;
  /** sizeSeconds - usedSeconds - heldSeconds, never below 0. */
  leftSeconds: number;
}

export interface BalanceView {
  tenantId: string;
  currency: string;
  balance: Micros;
  held: Micros;
  /** balance + creditLimit - held */
  available: Micros;
  creditLimit: Micros;
  pools: PoolBalance[];
  /** Calls holding a lease now (any instance), free calls included. */
  liveCalls: number;
}

export interface TopUpResult {
  /** False when this reference was already applied: the first result is returned. */
  applied: boolean;
  reference: string;
  amount: Micros;
  balanceAfter: Micros;
}

/** Thrown when Redis cannot be reached or does not answer in time: callers fail closed. */
export class LedgerUnavailableError extends Error {
  readonly code = 'UNAVAILABLE';
}

/** Everything entitlement needs about a payer, read in one round trip. */
export interface PayerSnapshot {
  tenant: Tenant;
  user?: User;
  /** Users holding each plan, keyed "COUNTRY:SKU" (sizes the plan pools, rule 10). */
  planHolders: Record<string, number>;
  /** Audio Conferencing licences of the tenant (sizes the dial-out pool, rule 11). */
  audioConferencingLicences: number;
  /** The tenant's directory version this snapshot was read at (src/ledger/lua/lib/directory.lua). */
  version?: string;
  /** Served from this instance's directory cache: a refusal decided on it is decided again on a fresh read. */
  cached?: boolean;
}

/** How a payer is read: `fresh` skips this instance's directory cache. */
export interface PayerReadOptions {
  fresh?: boolean;
}

/** How far a tenant deletion may go (DELETE /v1/tenants/{id} without force sets both). */
export interface DeleteTenantOptions {
  /** Refuse while the balance is not 0 or usage records remain. */
  ifUnused?: boolean;
  /** Keep the top-up references, so a re-created tenant never takes an old reference twice. */
  keepTopUps?: boolean;
}

/**
 * The ledger. Every method takes the caller's clock (nowMs/atMs) so sessions
 * run on a fake clock in tests; every multi-key change is one Lua script.
 * Methods throw LedgerUnavailableError when Redis cannot answer in time.
 */
export interface Ledger {
  // provisioning
  putTenant(tenant: Tenant): Promise<void>;
  getTenant(tenantId: string): Promise<Tenant | null>;
  /** False when there was no such tenant; TENANT_BUSY while live calls (or, with ifUnused, money or usage) remain. */
  deleteTenant(tenantId: string, opts?: DeleteTenantOptions): Promise<boolean>;
  listTenants(): Promise<string[]>;
  /** Tenants in one batched read, in the order asked; ids with no tenant are left out. */
  getTenants(tenantIds: readonly string[]): Promise<Tenant[]>;
  putUser(user: User): Promise<void>;
  getUser(tenantId: string, userId: string): Promise<User | null>;
  deleteUser(tenantId: string, userId: string): Promise<boolean>;
  listUsers(tenantId: string): Promise<User[]>;
  findUserByNumber(e164: string): Promise<User | null>;
  putServiceNumber(number: ServiceNumber): Promise<void>;
  getServiceNumber(e164: string): Promise<ServiceNumber | null>;
  deleteServiceNumber(e164: string): Promise<boolean>;
  listServiceNumbers(tenantId: string): Promise<ServiceNumber[]>;
  loadPayer(tenantId: string, userId?: string, opts?: PayerReadOptions): Promise<PayerSnapshot | null>;
  /** findUserByNumber and loadPayer in two round trips: the user holding the number, with its payer snapshot. */
  findPayerByNumber(e164: string, opts?: PayerReadOptions): Promise<(PayerSnapshot & { user: User }) | null>;
  /** getServiceNumber and loadPayer in two round trips; payer is null when the owning tenant is gone. */
  findServicePayer(e164: string, opts?: PayerReadOptions): Promise<{ service: ServiceNumber; payer: PayerSnapshot | null } | null>;

  // money
  hold(req: HoldRequest): Promise<HoldResult>;
  /**
   * Marks the call answered; metering of funded seconds starts at answeredAtMs.
   * Times of a call are on the caller's call-time clock (a monotonic clock
   * anchored at the call's start); nowMs is that clock now (default answeredAtMs).
   * wire: what any instance needs to end the call on the wire (kept with the hold).
   */
  answer(tenantId: string, callId: string, answeredAtMs: number, nowMs?: number, wire?: string): Promise<void>;
  /** Records what any instance needs to end the call on the wire, with its live hold; false when the hold is gone. */
  setWire?(tenantId: string, callId: string, wire: string): Promise<boolean>;
  /** Renews the lease (on Redis time), confirms time used so far, and funds the next slice when it can. */
  extend(tenantId: string, callId: string, nowMs: number): Promise<ExtendResult>;
  /**
   * Renews the leases of many live calls of one tenant in one step (and
   * confirms the answered ones' time used, never past their funded end);
   * funds nothing. One outcome per call, in order.
   */
  renewLeases?(tenantId: string, calls: ReadonlyArray<{ callId: string; nowMs: number }>): Promise<RenewOutcome[]>;
  /** Answered call ended: debit the exact charge, write the usage record. Idempotent. */
  settle(tenantId: string, callId: string, endedAtMs: number, reason: EndReason, opts?: SettleOptions): Promise<SettleResult>;
  /** Call never answered: release the hold, charge nothing, write the usage record. Idempotent. */
  release(tenantId: string, callId: string, endedAtMs: number, reason: EndReason, opts?: SettleOptions): Promise<SettleResult>;
  /**
   * Settle every hold whose lease expired on Redis time, from its last
   * confirmed time (gateway_lost). nowMs is ignored: Redis time decides.
   */
  recoverExpired(nowMs?: number): Promise<SettleResult[]>;
  topUp(tenantId: string, reference: string, amount: Micros, nowMs: number): Promise<TopUpResult>;
  /** An operator's correction of the balance (amount may be negative), once per reference like a top-up. */
  adjust?(tenantId: string, reference: string, amount: Micros, nowMs: number): Promise<TopUpResult>;
  balance(tenantId: string, nowMs: number): Promise<BalanceView>;
  /** Usage records with startTime in [fromMs, toMs), oldest first. */
  usage(tenantId: string, fromMs: number, toMs: number): AsyncIterable<UsageRecord>;
  /** The effects outbox the settle script writes (recharges due, notices); consumed by any instance. */
  readonly outbox?: LedgerOutbox;
  /** One recovery pass with its figures (slots asked, expired leases, failures). */
  recoveryPass(): Promise<RecoveryPass>;
  /**
   * Writes the usage record of a call that moved no money (refused at
   * admission, rule 27); charge and connectFee must be 0.
   */
  recordUsage?(record: UsageRecord): Promise<void>;
  close(): Promise<void>;
}
