/**
 * What this instance does itself after a settle it applied: the call metrics.
 * Recharges (rule 25) and notices (rule 26) are not here: the settle script
 * queues them in the ledger's outbox, and the outbox worker carries them out,
 * so a lost reply or a crash right after a settle can neither lose nor double them.
 */
import type { PoolRef } from '../domain.js';
import type { Metrics } from '../metrics.js';
import type { SettleResult } from '../ledger/types.js';

/** The payments side: asks the provider for one recharge of the tenant's configured amount. */
export interface RechargeRequester {
  /** trigger.eventId makes the recharge reference deterministic, so a repeated effect pays once. */
  requestRecharge(tenantId: string, trigger?: { eventId: string; callId?: string }): Promise<{ outcome: string }> | unknown;
}

/** Notices raised by calls; the notifier delivers them (webhook, e-mail). */
export type CallNotice =
  | { kind: 'balance_depleted'; tenantId: string; balance: number; currency: string; atMs: number; callId: string }
  | { kind: 'dialout_pool'; tenantId: string; percent: 80 | 100; pool: PoolRef; atMs: number; callId: string }
  | { kind: 'limit_reached'; tenantId: string; limit: string; userId?: string; eventId: string; atMs: number };

export interface CallNoticeSink {
  notify(notice: CallNotice): unknown;
}

/** Returns the handler run once per applied settle or release (including recovered calls). */
export function settleEffects(deps: { metrics: Metrics }): (result: SettleResult) => void {
  const { metrics } = deps;
  return (result) => {
    const { record } = result;
    metrics.callsEnded.inc({ end_reason: record.endReason });
    if (record.charge > 0) {
      const labels = metrics.tenantLabels ? { currency: record.currency, tenant: record.tenantId } : { currency: record.currency };
      metrics.chargedMicros.inc(labels, record.charge);
    }
  };
}
