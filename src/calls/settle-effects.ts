/**
 * What follows a settled call: metrics, the auto-recharge request (rule 25)
 * and notices (rule 26). Fire and forget: nothing here delays a call's end.
 */
import type { PoolRef } from '../domain.js';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics.js';
import type { SettleResult } from '../ledger/types.js';

/** The payments side: asks the provider for one recharge of the tenant's configured amount. */
export interface RechargeRequester {
  /** trigger.callId makes the recharge reference deterministic, so a repeated settle pays once. */
  requestRecharge(tenantId: string, trigger?: { callId: string }): unknown;
}

/** Notices raised by calls; the notifier delivers them (webhook, e-mail). */
export type CallNotice =
  | { kind: 'balance_depleted'; tenantId: string; balance: number; currency: string; atMs: number; callId: string }
  | { kind: 'dialout_pool'; tenantId: string; percent: 80 | 100; pool: PoolRef; atMs: number; callId: string };

export interface CallNoticeSink {
  notify(notice: CallNotice): unknown;
}

export interface SettleEffectsDeps {
  metrics: Metrics;
  logger: Logger;
  recharge?: RechargeRequester;
  notices?: CallNoticeSink;
}

function background(logger: Logger, what: string, fields: Record<string, unknown>, work: () => unknown): void {
  Promise.resolve()
    .then(work)
    .catch((err: unknown) => logger.error({ ...fields, err }, `${what} failed`));
}

/** Returns the handler run once per applied settle or release (including recovered calls). */
export function settleEffects(deps: SettleEffectsDeps): (result: SettleResult) => void {
  const { metrics, logger } = deps;
  return (result) => {
    const { record } = result;
    const fields = { callId: record.callId, tenantId: record.tenantId };
    metrics.callsEnded.inc({ end_reason: record.endReason });
    if (record.charge > 0) {
      const labels = metrics.tenantLabels
        ? { currency: record.currency, tenant: record.tenantId }
        : { currency: record.currency };
      metrics.chargedMicros.inc(labels, record.charge);
    }
    if (result.crossedRechargeThreshold && deps.recharge) {
      const recharge = deps.recharge;
      logger.info({ ...fields, balanceAfter: result.balanceAfter }, 'balance below the recharge threshold; requesting a recharge');
      background(logger, 'recharge request', fields, () => recharge.requestRecharge(record.tenantId, { callId: record.callId }));
    }
    const notices = deps.notices;
    if (!notices) return;
    if (result.crossedZero) {
      const notice: CallNotice = {
        kind: 'balance_depleted',
        tenantId: record.tenantId,
        balance: result.balanceAfter,
        currency: record.currency,
        atMs: record.endTime,
        callId: record.callId,
      };
      background(logger, 'balance notice', fields, () => notices.notify(notice));
    }
    for (const alert of result.poolAlerts) {
      if (alert.pool.kind !== 'dialout') continue;
      const notice: CallNotice = {
        kind: 'dialout_pool',
        tenantId: record.tenantId,
        percent: alert.percent,
        pool: alert.pool,
        atMs: record.endTime,
        callId: record.callId,
      };
      background(logger, 'dial-out pool notice', fields, () => notices.notify(notice));
    }
  };
}
