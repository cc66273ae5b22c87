/**
 * Overload protection of one gateway instance: when it is offered more calls
 * than it can carry, new call setups are refused at once (OVERLOADED, 503 with
 * Retry-After) so the calls it does take keep completing at about its highest
 * clean rate instead of every call slowing down until all of them time out.
 *
 * Three measures, each with its own limit (0 turns it off):
 * - event-loop lag: how late a 10 ms timer fires, smoothed (the process is out of CPU).
 *   Past its limit a share of new calls is refused that grows from none at the
 *   limit to all at 1.5 × the limit (random early refusal, as Kamailio's
 *   ratelimit RED): lag just over the limit, as a busy moment on shared cores
 *   gives, refuses a few calls rather than every call for as long as it lasts,
 *   and under a real overload the refused share settles where the admitted
 *   rate is what the process can carry;
 * - admissions in flight: call setups being decided right now (the ledger or the CPU is behind);
 * - admission latency: smoothed time to decide a call (the ledger is slow);
 * and a call-setup rate the operator sets from a measured clean rate (a
 * token bucket, one second of burst), as a SIP edge's own CPS limit: the
 * measures see only this process, the rate also protects the SIP edge and
 * the cores it shares.
 */
import { performance } from 'node:perf_hooks';

export interface OverloadLimits {
  /** Refuse a share of new calls while the smoothed event-loop lag is above this (ms), all of them from 1.5 × it; 0 = off. */
  maxEventLoopLagMs: number;
  /** Refuse while this many admissions are being decided; 0 = off. */
  maxAdmissionsInFlight: number;
  /** Refuse while the smoothed admission time is above this (ms); 0 = off. */
  maxAdmissionLatencyMs: number;
  /** Admit at most this many call setups a second (one second of burst); 0 = off. */
  maxCallsPerSecond?: number;
}

/** Past the lag limit, the refused share of calls reaches 1 at this multiple of the limit. */
export const LAG_FULL_REFUSAL = 1.5;

/**
 * The share of new calls a smoothed event-loop lag refuses: 0 up to the
 * limit (and with the limit off), rising linearly to 1 at LAG_FULL_REFUSAL ×
 * the limit.
 */
export function lagRefusalShare(lagMs: number, limitMs: number): number {
  if (limitMs <= 0 || !(lagMs > limitMs)) return 0;
  return Math.min(1, (lagMs - limitMs) / ((LAG_FULL_REFUSAL - 1) * limitMs));
}

export type OverloadReason = 'event_loop_lag' | 'admissions_in_flight' | 'admission_latency' | 'calls_per_second';

const SAMPLE_MS = 10;
/** Weight of the newest sample in the smoothed figures: reacts within a few samples, ignores one GC pause. */
const ALPHA = 0.25;

export class OverloadGuard {
  private lag = 0;
  private latency = 0;
  private inFlight = 0;
  private timer: NodeJS.Timeout | undefined;
  private expected = 0;
  /** Call setups the rate still allows now; a full second's worth at the start. */
  private tokens: number;
  private refilledAt = performance.now();

  constructor(
    private readonly limits: OverloadLimits,
    /** Uniform in [0, 1): which calls of the refused share are refused (tests pass their own). */
    private readonly random: () => number = Math.random,
  ) {
    this.tokens = limits.maxCallsPerSecond ?? 0;
    if (limits.maxEventLoopLagMs > 0 || limits.maxAdmissionLatencyMs > 0) {
      this.expected = performance.now() + SAMPLE_MS;
      this.timer = setInterval(() => this.sample(), SAMPLE_MS);
      this.timer.unref();
    }
  }

  private sample(): void {
    const now = performance.now();
    // One sample counts at most twice the limit: a single stall (a GC pause, the process descheduled for a moment),
    // however long, cannot push the smoothed lag over the limit alone; lag sustained over a few samples does.
    const late = Math.min(Math.max(0, now - this.expected), 2 * this.limits.maxEventLoopLagMs);
    this.expected = now + SAMPLE_MS;
    this.lag += ALPHA * (late - this.lag);
    // With nothing being decided the last figure says nothing of now (and calls refused for it would keep it forever).
    if (this.inFlight === 0) this.latency -= ALPHA * this.latency;
  }

  /** Why a new call must be refused now, or undefined when it may be admitted (the lag's share drawn at random). */
  overloaded(): OverloadReason | undefined {
    const { maxAdmissionsInFlight, maxAdmissionLatencyMs } = this.limits;
    if (maxAdmissionsInFlight > 0 && this.inFlight >= maxAdmissionsInFlight) return 'admissions_in_flight';
    const share = lagRefusalShare(this.lag, this.limits.maxEventLoopLagMs);
    if (share > 0 && this.random() < share) return 'event_loop_lag';
    if (maxAdmissionLatencyMs > 0 && this.latency > maxAdmissionLatencyMs) return 'admission_latency';
    return undefined;
  }

  /**
   * overloaded(), and the call-setup rate: takes a token for the call when
   * it may be admitted. Ask once per call setup.
   */
  admit(): OverloadReason | undefined {
    const over = this.overloaded();
    if (over) return over;
    const cps = this.limits.maxCallsPerSecond ?? 0;
    if (cps <= 0) return undefined;
    const now = performance.now();
    this.tokens = Math.min(cps, this.tokens + ((now - this.refilledAt) * cps) / 1000);
    this.refilledAt = now;
    if (this.tokens < 1) return 'calls_per_second';
    this.tokens -= 1;
    return undefined;
  }

  /** An admission starts; the returned function ends it with its duration. */
  begin(): () => void {
    this.inFlight++;
    const started = performance.now();
    return () => {
      this.inFlight--;
      this.latency += ALPHA * (performance.now() - started - this.latency);
    };
  }

  /** The figures behind overloaded(), for metrics and logs. */
  state(): { eventLoopLagMs: number; admissionsInFlight: number; admissionLatencyMs: number } {
    return { eventLoopLagMs: this.lag, admissionsInFlight: this.inFlight, admissionLatencyMs: this.latency };
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}
