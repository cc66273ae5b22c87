/**
 * Batches the lease renewals of live calls: every renewal asked for in the
 * same turn of the event loop goes to the ledger as one script per tenant
 * (renew.lua), instead of one script per call. Sessions align their renewal
 * times to a one-second grid, so the renewals of thousands of calls meet in
 * a few batches a second: their renewal timers are one timer per second of
 * the monotonic clock (schedule), not one per call.
 */
import type { Ledger, RenewOutcome } from '../ledger/types.js';
import type { Clock, TimerHandle } from './clock.js';

/** Renewals are due on multiples of this (monotonic ms), never later than asked: those of many calls coincide. */
export const RENEW_GRID_MS = 1000;

interface Bucket {
  timer: TimerHandle;
  due: Set<() => Promise<unknown>>;
}

interface Pending {
  callId: string;
  nowMs: number;
  resolve(outcome: RenewOutcome): void;
  reject(err: unknown): void;
}

export class LeaseRenewer {
  private queue = new Map<string, Pending[]>();
  private scheduled = false;

  private readonly buckets = new Map<number, Bucket>();

  constructor(
    private readonly ledger: Required<Pick<Ledger, 'renewLeases'>>,
    private readonly clock: Clock,
  ) {}

  /**
   * Runs fn at the grid second at or before dueMono (monotonic ms), with every
   * other renewal due then; returns the function that cancels it.
   */
  schedule(dueMono: number, fn: () => Promise<unknown>): () => void {
    const now = this.clock.monotonic();
    const at = Math.max(Math.floor(dueMono / RENEW_GRID_MS) * RENEW_GRID_MS, Math.ceil(now));
    let bucket = this.buckets.get(at);
    if (!bucket) {
      const due = new Set<() => Promise<unknown>>();
      bucket = { due, timer: this.clock.setTimer(() => this.fire(at), at - now) };
      this.buckets.set(at, bucket);
    }
    bucket.due.add(fn);
    const entry = bucket;
    return () => {
      entry.due.delete(fn);
      if (entry.due.size === 0 && this.buckets.get(at) === entry) {
        this.clock.clearTimer(entry.timer);
        this.buckets.delete(at);
      }
    };
  }

  private async fire(at: number): Promise<void> {
    const bucket = this.buckets.get(at);
    this.buckets.delete(at);
    if (!bucket) return;
    await Promise.all([...bucket.due].map((fn) => fn()));
  }

  renew(tenantId: string, callId: string, nowMs: number): Promise<RenewOutcome> {
    return new Promise<RenewOutcome>((resolve, reject) => {
      let pending = this.queue.get(tenantId);
      if (!pending) this.queue.set(tenantId, (pending = []));
      pending.push({ callId, nowMs, resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  private flush(): void {
    this.scheduled = false;
    const batches = this.queue;
    this.queue = new Map();
    for (const [tenantId, items] of batches) {
      this.ledger.renewLeases(tenantId, items).then(
        (outcomes) => items.forEach((item, i) => item.resolve(outcomes[i] ?? 'unknown')),
        (err: unknown) => items.forEach((item) => item.reject(err)),
      );
    }
  }
}
