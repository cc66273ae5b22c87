/**
 * One live call's money lifecycle: authorizing -> ringing -> answered ->
 * ending -> ended, with lease renewal, slice extension, the cut-off timer at
 * the funded second and the cut before a lease that cannot be renewed runs out.
 *
 * Times given to the ledger are on the call's own timeline: the wall clock at
 * the call's start plus monotonic time since, so a step of the wall clock
 * during the call changes no duration. Leases are judged on Redis time.
 */
import { randomUUID } from 'node:crypto';
import type { EndReason } from '../domain.js';
import { LedgerError } from '../ledger/errors.js';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics.js';
import { LedgerUnavailableError, type HoldRequest, type HoldResult, type Ledger, type SettleResult } from '../ledger/types.js';
import type { Clock, TimerHandle } from './clock.js';
import { leaseGuardMs, renewEveryMs } from '../config/lease-timing.js';
import type { CallSession, CallTransport, LiveCall, SessionState } from './types.js';
import type { LeaseRenewer } from './lease-renewer.js';

/** Timing knobs of a session (config.calls). */
export interface SessionTiming {
  sliceSeconds: number;
  extendAheadSeconds: number;
  leaseSeconds: number;
}

/** What a session needs from the call control that owns it. */
export interface SessionContext {
  ledger: Ledger;
  clock: Clock;
  timing: SessionTiming;
  metrics: Metrics;
  /** Runs the local after-effects (metrics) of a settle or release that this session applied. */
  afterSettle(result: SettleResult): void;
  /** The session reached `ended`: drop it from the registry. */
  closed(session: Session): void;
  /** Renews leases in batches (renew.lua); without it every renewal is an extend. */
  renewer?: LeaseRenewer;
}

export interface SessionInit {
  callId: string;
  tenantId: string;
  userId?: string;
  callType: LiveCall['callType'];
  direction: LiveCall['direction'];
  destination: string;
  currency: string;
  /** Free calls (emergency, toll inbound) are never cut for lack of funds. */
  free: boolean;
  /** Let through unbilled because the ledger was unreachable (calls.failOpen). */
  unbilled: boolean;
  transport: CallTransport;
  logger: Logger;
}

/** Settle retries while Redis is away: doubling up to 30 s, for as long as the process lives. */
const SETTLE_RETRY_FIRST_MS = 1_000;
const SETTLE_RETRY_MAX_MS = 30_000;
/** Least spacing of two renewals, so a ledger that funds nothing new is not asked in a loop. */
const MIN_RENEW_GAP_MS = 1_000;
/** After a failed renewal the next one comes sooner than the regular interval. */
const RENEW_RETRY_GAP_MS = 3_000;

export class Session implements CallSession {
  readonly callId: string;
  readonly tenantId: string;
  readonly createdAtMs: number;
  private readonly createdMono: number;
  private currentState: SessionState = 'authorizing';
  private answeredAtMs: number | undefined;
  private answerRecorded = false;
  private funded = 0;
  private exhausted = false;
  /** The funding stopped at a spend limit or the most one call may cost (rule 28), not for money. */
  private limited = false;
  private held = 0;
  /** Call time of the last renewal attempt, and whether it failed. */
  private lastRenewAtMs: number;
  private lastRenewFailed = false;
  /** Monotonic time by which the lease must have been renewed again, or the call is cut. */
  private leaseSafeUntil = Number.POSITIVE_INFINITY;
  private endReason: EndReason | undefined;
  private renewTimer: TimerHandle | undefined;
  /** Cancels the renewal scheduled with the renewer (batched renewals). */
  private cancelRenew: (() => void) | undefined;
  private cutoffTimer: TimerHandle | undefined;
  private leaseTimer: TimerHandle | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private readonly log: Logger;
  /** Names this call's settle, so a retry whose first reply was lost is still known as ours. */
  private readonly settleToken = randomUUID();
  /** Recorded with the answer so any instance can end the call on the wire. */
  private wireState = '';

  constructor(
    private readonly init: SessionInit,
    private readonly ctx: SessionContext,
  ) {
    this.callId = init.callId;
    this.tenantId = init.tenantId;
    this.createdAtMs = Math.floor(ctx.clock.now());
    this.createdMono = ctx.clock.monotonic();
    this.lastRenewAtMs = this.createdAtMs;
    this.log = init.logger;
  }

  /** Now on the call's timeline: its start on the wall clock plus monotonic time since. */
  now(): number {
    return this.createdAtMs + Math.floor(this.ctx.clock.monotonic() - this.createdMono);
  }

  get state(): SessionState {
    return this.currentState;
  }

  get fundedSeconds(): number {
    return this.funded;
  }

  /** Call time at which the funded time of an answered call ends; undefined before answer or for free calls. */
  get fundedUntilMs(): number | undefined {
    if (this.answeredAtMs === undefined || this.init.free || this.init.unbilled) return undefined;
    return this.answeredAtMs + this.funded * 1000;
  }

  /** What another instance needs to end this call on the wire (the transport's dialog state). */
  setWireState(state: string): void {
    this.wireState = state;
    this.wireSaved = false;
    void this.guarded(() => this.saveWire());
  }

  private wireSaved = false;

  /** Writes the wire state with the hold once the answer is recorded (the answer carries it when it comes later). */
  private async saveWire(): Promise<void> {
    if (this.wireSaved || !this.wireState || !this.answerRecorded || !this.ctx.ledger.setWire) return;
    if (this.currentState !== 'answered') return;
    try {
      await this.ctx.ledger.setWire(this.tenantId, this.callId, this.wireState);
      this.wireSaved = true;
    } catch (err) {
      this.log.warn({ err }, 'could not record the wire state; will retry at the next renewal');
    }
  }

  snapshot(): LiveCall {
    return {
      callId: this.callId,
      tenantId: this.tenantId,
      userId: this.init.userId,
      callType: this.init.callType,
      direction: this.init.direction,
      state: this.currentState,
      destination: this.init.destination,
      currency: this.init.currency,
      createdAtMs: this.createdAtMs,
      answeredAtMs: this.answeredAtMs,
      fundedSeconds: this.funded,
      fundedUntilMs: this.fundedUntilMs,
      heldMicros: this.held,
      free: this.init.free,
      unbilled: this.init.unbilled,
      endReason: this.endReason,
    };
  }

  /**
   * Takes the first hold. On a refusal the session ends without touching the
   * ledger again; LedgerUnavailableError propagates to the caller, and the
   * hold the ledger may have taken anyway is released in the background.
   */
  open(req: HoldRequest): Promise<HoldResult> {
    return this.serialize(async () => {
      let result: HoldResult;
      const sentMono = this.ctx.clock.monotonic();
      try {
        result = await this.ctx.ledger.hold({ ...req, nowMs: this.now() });
      } catch (err) {
        this.close();
        if (err instanceof LedgerUnavailableError) this.releaseInBackground();
        throw err;
      }
      if (!result.ok) {
        this.close();
        return result;
      }
      this.funded = result.fundedSeconds;
      this.setHeld(result.heldMicros);
      this.currentState = 'ringing';
      this.lastRenewAtMs = this.now();
      this.leaseRenewed(sentMono);
      this.arm();
      return result;
    });
  }

  /** A call let through without a hold (fail-open): no ledger work at all. */
  openUnbilled(): void {
    this.currentState = 'ringing';
  }

  answered(atMs?: number): Promise<void> {
    const at = atMs ?? this.now();
    return this.guarded(async () => {
      if (this.currentState !== 'ringing') {
        this.log.debug({ state: this.currentState }, 'answer ignored: call is not ringing');
        return;
      }
      this.currentState = 'answered';
      this.answeredAtMs = at;
      this.log.debug({ fundedSeconds: this.funded }, 'call answered');
      if (this.init.unbilled) return;
      await this.recordAnswer();
      this.arm();
    });
  }

  end(reason: EndReason, atMs?: number): Promise<void> {
    const at = atMs ?? this.now();
    return this.guarded(async () => {
      if (this.currentState !== 'ringing' && this.currentState !== 'answered') return;
      await this.finish(reason, at);
    });
  }

  /**
   * Ends the call from this side (admin hang-up, shutdown): asks the
   * transport to hang up, then settles. Resolves once settled.
   */
  terminate(reason: EndReason): Promise<void> {
    return this.guarded(async () => {
      if (this.currentState !== 'ringing' && this.currentState !== 'answered') return;
      const at = this.now();
      this.hangUpTransport(reason);
      await this.finish(reason, at);
    });
  }

  /** Another instance's recovery (or ours) already settled this call's hold: stop the call. */
  settledByRecovery(): Promise<void> {
    return this.guarded(async () => {
      if (this.currentState === 'ending' || this.currentState === 'ended') return;
      this.log.warn('hold was settled by lease recovery; hanging up');
      this.endReason = 'gateway_lost';
      this.hangUpTransport('gateway_lost');
      this.close();
    });
  }

  /**
   * Forgets the call without ledger work (process stopping): its hold's lease
   * runs out and any instance's recovery settles it from its last renewal.
   */
  abandon(): void {
    if (this.currentState === 'ended') return;
    this.log.warn({ state: this.currentState }, 'call abandoned at stop; lease recovery will settle it');
    this.close();
  }

  private serialize<T>(op: () => Promise<T>): Promise<T> {
    const run = this.queue.then(op);
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** Queued work whose failures are logged, never thrown at the transport or a timer. */
  private guarded(op: () => Promise<void>): Promise<void> {
    return this.serialize(op).catch((err: unknown) => {
      this.log.error({ err }, 'call session step failed');
    });
  }

  /** A hold that failed in transit may exist anyway: release it (for nothing) so its money is not held until lease recovery. */
  private releaseInBackground(): void {
    const at = this.now();
    const attempt = (n: number): void => {
      this.ctx.ledger.release(this.tenantId, this.callId, at, 'failed', { token: this.settleToken, nowMs: this.now() }).then(
        () => undefined,
        (err: unknown) => {
          if (err instanceof LedgerError && err.code === 'UNKNOWN_HOLD') return;
          if (n >= 5) return this.log.warn({ err }, 'could not release a hold that failed in transit; lease recovery will');
          this.ctx.clock.setTimer(() => attempt(n + 1), SETTLE_RETRY_FIRST_MS * 2 ** n);
        },
      );
    };
    attempt(0);
  }

  private async recordAnswer(): Promise<void> {
    try {
      await this.recordAnswerOrThrow();
    } catch (err) {
      // Retried at the next renewal and before the settle; until then the funded first slice still bounds the call.
      this.log.warn({ err }, 'could not record the answer time; will retry');
    }
  }

  private async recordAnswerOrThrow(): Promise<void> {
    const sentMono = this.ctx.clock.monotonic();
    try {
      // An event the transport dated is never after the request that reports it.
      await this.ctx.ledger.answer(this.tenantId, this.callId, this.answeredAtMs!, Math.max(this.now(), this.answeredAtMs!), this.wireState);
      this.leaseRenewed(sentMono);
      if (this.wireState) this.wireSaved = true;
    } catch (err) {
      // Already settled (recovered elsewhere): the settle returns that result, nothing is left to mark.
      if (!(err instanceof LedgerError && err.code === 'HOLD_ENDED')) throw err;
    }
    this.answerRecorded = true;
  }

  /** Keeps the held-money gauge equal to what the ledger holds for this call. */
  private setHeld(micros: number): void {
    const delta = micros - this.held;
    if (delta > 0) this.ctx.metrics.heldMicros.inc({ currency: this.init.currency }, delta);
    if (delta < 0) this.ctx.metrics.heldMicros.dec({ currency: this.init.currency }, -delta);
    this.held = micros;
  }

  /**
   * The ledger renewed the lease for leaseSeconds from some moment after
   * sentMono: the call is safe until then, less a guard for the hang-up.
   */
  private leaseRenewed(sentMono: number): void {
    const { leaseSeconds } = this.ctx.timing;
    this.leaseSafeUntil = sentMono + leaseSeconds * 1000 - leaseGuardMs(leaseSeconds);
  }

  /** (Re)sets the renewal, cut-off and lease timers from the current funding. */
  private arm(): void {
    this.disarm();
    if (this.currentState !== 'ringing' && this.currentState !== 'answered') return;
    const { clock, timing } = this.ctx;
    const now = this.now();
    if (!this.init.unbilled && Number.isFinite(this.leaseSafeUntil)) {
      this.leaseTimer = clock.setTimer(() => this.onLeaseAtRisk(), Math.max(0, this.leaseSafeUntil - clock.monotonic()));
    }
    // A hold not renewed within leaseSeconds is taken for a lost instance's: renew well inside it, sooner after a failure.
    const every = this.lastRenewFailed ? RENEW_RETRY_GAP_MS : renewEveryMs(timing.leaseSeconds);
    let renewAt = this.lastRenewAtMs + Math.max(MIN_RENEW_GAP_MS, every);
    const fundedUntil = this.fundedUntilMs;
    if (this.currentState === 'answered' && this.answeredAtMs !== undefined && !this.exhausted) {
      const fundedEnd = this.answeredAtMs + this.funded * 1000;
      renewAt = Math.min(renewAt, fundedEnd - timing.extendAheadSeconds * 1000);
    }
    renewAt = Math.max(renewAt, this.lastRenewAtMs + MIN_RENEW_GAP_MS, now);
    if (fundedUntil !== undefined) {
      this.cutoffTimer = clock.setTimer(() => this.onCutoff(), Math.max(0, fundedUntil - now));
      // The cut-off makes its own last funding attempt; a renewal at or after it is moot.
      if (renewAt >= fundedUntil) return;
    }
    if (this.ctx.renewer) {
      // With every other renewal due in that second (the renewer's one timer): their leases go in one batch.
      this.cancelRenew = this.ctx.renewer.schedule(clock.monotonic() + (renewAt - now), () => this.onRenew());
    } else {
      this.renewTimer = clock.setTimer(() => this.onRenew(), renewAt - now);
    }
  }

  private disarm(): void {
    for (const timer of [this.renewTimer, this.cutoffTimer, this.leaseTimer]) {
      if (timer !== undefined) this.ctx.clock.clearTimer(timer);
    }
    this.renewTimer = undefined;
    this.cutoffTimer = undefined;
    this.leaseTimer = undefined;
    this.cancelRenew?.();
    this.cancelRenew = undefined;
  }

  private onRenew(): Promise<void> {
    return this.guarded(async () => {
      if (this.currentState !== 'ringing' && this.currentState !== 'answered') return;
      await this.renew();
      this.arm();
    });
  }

  /**
   * The lease could not be renewed in time (Redis out of reach): end the call
   * now, before the lease can expire and a peer's recovery release money this
   * call would still be spending (DOMAIN rule 32).
   */
  private onLeaseAtRisk(): Promise<void> {
    return this.guarded(async () => {
      if (this.currentState !== 'ringing' && this.currentState !== 'answered') return;
      if (this.ctx.clock.monotonic() < this.leaseSafeUntil) return this.arm();
      this.ctx.metrics.cutoffs.inc({ reason: 'ledger_unreachable' });
      this.log.warn({ fundedSeconds: this.funded }, 'the hold lease could not be renewed; cutting the call before it expires');
      const at = this.now();
      this.hangUpTransport('ledger_unreachable');
      await this.finish('ledger_unreachable', at);
    });
  }

  /** Renews the lease and, for an answered call, funds the next slice when the ledger can. */
  private async renew(): Promise<boolean> {
    const now = this.now();
    const sentMono = this.ctx.clock.monotonic();
    this.lastRenewAtMs = now;
    if (this.currentState === 'answered' && !this.answerRecorded) await this.recordAnswer();
    await this.saveWire();
    try {
      if (this.leaseOnly(now)) {
        const outcome = await this.ctx.renewer!.renew(this.tenantId, this.callId, now);
        if (outcome === 'renewed') {
          this.lastRenewFailed = false;
          this.leaseRenewed(sentMono);
          return false;
        }
        // Settled elsewhere, gone, or refused for the clock: the extend below says which, as it always has.
      }
      const r = await this.ctx.ledger.extend(this.tenantId, this.callId, now);
      this.lastRenewFailed = false;
      this.leaseRenewed(sentMono);
      const grew = r.fundedSeconds > this.funded;
      if (this.currentState === 'answered') {
        if (grew) this.log.debug({ fundedSeconds: r.fundedSeconds }, 'next slice funded');
        if (r.exhausted && !this.exhausted) this.log.info({ fundedSeconds: r.fundedSeconds }, 'no further slice can be funded');
      }
      this.funded = r.fundedSeconds;
      this.exhausted = r.exhausted;
      this.limited = r.limited === true;
      if (r.heldMicros !== undefined) this.setHeld(r.heldMicros);
      return grew;
    } catch (err) {
      // Fail closed on money: the call keeps only the time already funded, and only while its lease holds.
      this.lastRenewFailed = true;
      this.log.warn({ err }, 'could not extend the hold; the call keeps its funded time only');
      return false;
    }
  }

  /**
   * A renewal that only needs the lease (and the answered time confirmed): a
   * ringing call, or an answered one whose next slice is not due yet. Free
   * calls always extend (their funded time grows with every renewal).
   */
  private leaseOnly(now: number): boolean {
    if (!this.ctx.renewer || this.init.free || this.lastRenewFailed) return false;
    if (this.currentState === 'ringing') return true;
    const fundedUntil = this.fundedUntilMs;
    if (this.currentState !== 'answered' || fundedUntil === undefined) return false;
    return fundedUntil - now > this.ctx.timing.extendAheadSeconds * 1000;
  }

  private onCutoff(): Promise<void> {
    return this.guarded(async () => {
      const fundedUntil = this.fundedUntilMs;
      if (this.currentState !== 'answered' || fundedUntil === undefined) return;
      if (this.now() < fundedUntil) return this.arm();
      // A top-up may have landed since the last renewal: one last try before cutting. A call stopped by a
      // limit (rule 28: the most one call may cost, spend per hour or day) is cut on its second: no top-up lifts it.
      if (!this.limited && (await this.renew())) return this.arm();
      const reason: EndReason = this.limited ? 'limit_reached' : 'credit_exhausted';
      this.ctx.metrics.cutoffs.inc({ reason });
      this.log.info({ fundedSeconds: this.funded, cutAtMs: fundedUntil, reason }, 'funded time ended; cutting the call');
      this.hangUpTransport(reason);
      await this.finish(reason, fundedUntil);
    });
  }

  private hangUpTransport(reason: EndReason): void {
    // Not awaited: the transport may report the end back to this session, which is queued behind us.
    Promise.resolve()
      .then(() => this.init.transport.hangUp(reason))
      .catch((err: unknown) => this.log.error({ err, reason }, 'transport failed to hang up the call'));
  }

  /**
   * Exactly one settle (answered) or release (never answered). Retried while
   * Redis is away for as long as the process lives: what the session knows
   * (answer and end on its monotonic timeline) is never thrown away.
   */
  private async finish(reason: EndReason, atMs: number): Promise<void> {
    const wasAnswered = this.currentState === 'answered';
    this.currentState = 'ending';
    this.endReason = reason;
    this.disarm();
    if (this.init.unbilled) {
      this.log.info({ reason }, 'unbilled call ended');
      this.close();
      return;
    }
    let endAt = atMs;
    if (wasAnswered && this.answeredAtMs !== undefined) {
      endAt = Math.max(endAt, this.answeredAtMs);
      // Never bill past what was funded, even if the end is reported late.
      const fundedUntil = this.fundedUntilMs;
      if (fundedUntil !== undefined) endAt = Math.min(endAt, fundedUntil);
    }
    await this.trySettle(wasAnswered, endAt, reason, 0);
  }

  /**
   * One settle attempt; on a failure the next is scheduled on a timer (never
   * awaited inside one), doubling up to 30 s, until the ledger takes it.
   */
  private async trySettle(wasAnswered: boolean, endAt: number, reason: EndReason, attempt: number): Promise<void> {
    const { ledger } = this.ctx;
    try {
      // A hold never marked answered settles as unanswered, for nothing: record the answer first.
      if (wasAnswered && !this.answerRecorded) await this.recordAnswerOrThrow();
      const opts = { token: this.settleToken, nowMs: Math.max(this.now(), endAt) };
      const result = wasAnswered
        ? await ledger.settle(this.tenantId, this.callId, endAt, reason, opts)
        : await ledger.release(this.tenantId, this.callId, endAt, reason, opts);
      this.log.info(
        {
          reason,
          applied: result.applied,
          durationSeconds: result.record.durationSeconds,
          charge: result.record.charge,
          currency: result.record.currency,
          balanceAfter: result.balanceAfter,
        },
        wasAnswered ? 'call settled' : 'hold released',
      );
      if (result.applied) this.ctx.afterSettle(result);
    } catch (err) {
      if (err instanceof LedgerError && (err.code === 'UNKNOWN_HOLD' || err.code === 'BAD_INPUT' || err.code === 'UNKNOWN_TENANT')) {
        // Nothing a retry could change: the hold is gone (settled and expired) or the request can never be taken.
        this.log.error({ err, reason }, 'the ledger cannot settle this call; giving up');
      } else if (this.stopped) {
        this.log.error({ err, reason }, 'process stopping with the call unsettled; lease recovery will settle it (gateway_lost)');
      } else {
        const delay = Math.min(SETTLE_RETRY_MAX_MS, SETTLE_RETRY_FIRST_MS * 2 ** Math.min(attempt, 10));
        this.log.warn({ err, attempt: attempt + 1, retryInMs: delay }, 'settle failed; retrying');
        this.ctx.clock.setTimer(() => this.guarded(() => this.trySettle(wasAnswered, endAt, reason, attempt + 1)), delay);
        return;
      }
    }
    this.close();
  }

  private stopped = false;

  /** The process is stopping: a settle still retrying gives up after its current attempt. */
  stop(): void {
    this.stopped = true;
  }

  private close(): void {
    if (this.currentState === 'ended') return;
    this.disarm();
    this.setHeld(0);
    this.currentState = 'ended';
    this.ctx.closed(this);
  }
}
