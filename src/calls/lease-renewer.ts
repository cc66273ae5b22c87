/**
 * Batches the lease renewals of live calls: every renewal asked for in the
 * same turn of the event loop goes to the ledger as one script per tenant
 * (renew.lua), instead of one script per call. Sessions align their renewal
 * times to a one-second grid, so the renewals of thousands of calls meet in
 * a few batches a second.
 */
import type { Ledger, RenewOutcome } from '../ledger/types.js';

/** Sessions schedule lease renewals on multiples of this (call time, ms): renewals of many calls coincide. */
export const RENEW_GRID_MS = 1000;

interface Pending {
  callId: string;
  nowMs: number;
  resolve(outcome: RenewOutcome): void;
  reject(err: unknown): void;
}

export class LeaseRenewer {
  private queue = new Map<string, Pending[]>();
  private scheduled = false;
  /** Scripts sent and calls renewed, for the benchmarks. */
  readonly stats = { batches: 0, calls: 0 };

  constructor(private readonly ledger: Required<Pick<Ledger, 'renewLeases'>>) {}

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
      this.stats.batches++;
      this.stats.calls += items.length;
      this.ledger.renewLeases(tenantId, items).then(
        (outcomes) => items.forEach((item, i) => item.resolve(outcomes[i] ?? 'unknown')),
        (err: unknown) => items.forEach((item) => item.reject(err)),
      );
    }
  }
}
