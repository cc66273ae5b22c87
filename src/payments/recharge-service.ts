/**
 * Auto-recharge (DOMAIN.md rule 25): one recharge per tenant at a time, paid
 * through the configured provider, credited by an idempotent top-up, announced by notice.
 */
import { createHash, randomUUID } from 'node:crypto';
import type { Config } from '../config/schema.js';
import type { Tenant } from '../domain.js';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics.js';
import { formatMoney, type Micros } from '../money.js';
import { rechargeFailedNotice, rechargeRequestedNotice, rechargeSucceededNotice } from '../notify/notices.js';
import { DEFAULT_BACKOFF, errorReason, withRetries, type Backoff } from '../notify/retry.js';
import type { Notifier } from '../notify/types.js';
import { postRecharge } from './http-provider.js';

/** Credits a tenant once per reference (the ledger's topUp, without the clock). */
export type TopUpFn = (tenantId: string, reference: string, amount: Micros) => Promise<{ applied: boolean; balanceAfter: Micros }>;

/**
 * Optional cross-instance lock: resolves to a release function when this
 * instance may recharge the tenant, or null when another instance holds it.
 */
export type AcquireTenantLock = (tenantId: string, reference: string) => Promise<(() => Promise<void>) | null>;

export interface RechargeServiceOptions {
  config: Config['payments'];
  loadTenant: (tenantId: string) => Promise<Tenant | null>;
  topUp: TopUpFn;
  notifier: Pick<Notifier, 'notify'>;
  logger: Logger;
  metrics: Metrics;
  acquireTenantLock?: AcquireTenantLock;
  backoff?: Backoff;
  /** Wall clock by default (ms). */
  now?: () => number;
}

/** What became of one recharge request. */
export type RechargeOutcome =
  | { outcome: 'succeeded'; reference: string; amount: Micros; balanceAfter: Micros }
  | { outcome: 'failed'; reference: string; reason: string }
  | { outcome: 'requested'; reference: string } // manual provider: notice sent, someone tops up by hand
  | { outcome: 'skipped'; reason: string };

export interface RechargeService {
  /**
   * Asks for one recharge of the tenant's configured amount. `trigger.eventId`
   * names the ledger effect that asked (the settle that left the balance below
   * the threshold); it makes the reference deterministic so racing instances
   * and a redelivered effect pay once. Never rejects.
   */
  requestRecharge(tenantId: string, trigger?: { eventId: string; callId?: string }): Promise<RechargeOutcome>;
  /** Resolves when no recharge is in progress. */
  flush(): Promise<void>;
  /** Refuses new requests, cuts retry waits short, waits for those in progress. */
  close(): Promise<void>;
}

/**
 * The top-up reference of a recharge: a digest of tenant and trigger, so it
 * is the same for every retry of one trigger and always fits the reference
 * limit (MAX_REFERENCE_LENGTH) whatever the length of the call id behind it.
 */
export function rechargeReference(tenantId: string, eventId?: string): string {
  const digest = createHash('sha256').update(`${tenantId}\n${eventId ?? randomUUID()}`).digest('base64url').slice(0, 32);
  return `recharge-${digest}`;
}

export function createRechargeService(opts: RechargeServiceOptions): RechargeService {
  const { config, metrics } = opts;
  const backoff = opts.backoff ?? DEFAULT_BACKOFF;
  const now = opts.now ?? Date.now;
  const inFlight = new Map<string, Promise<RechargeOutcome>>();
  const shutdown = new AbortController();
  let closed = false;

  function skipped(reason: string, log: Logger): RechargeOutcome {
    metrics.recharges.inc({ outcome: 'skipped' });
    log.info({ reason }, 'recharge skipped');
    return { outcome: 'skipped', reason };
  }

  async function credit(tenant: Tenant, reference: string, amount: Micros, log: Logger) {
    return withRetries(
      async () => {
        try {
          return { ok: true as const, value: await opts.topUp(tenant.id, reference, amount) };
        } catch (err) {
          return { ok: false as const, permanent: false, reason: errorReason(err) };
        }
      },
      config.retries,
      backoff,
      shutdown.signal,
      (n, reason) => log.warn({ attempt: n, reason }, 'top-up after payment failed; retrying'),
    );
  }

  async function pay(tenant: Tenant, reference: string, log: Logger): Promise<RechargeOutcome> {
    const amount = tenant.autoRecharge!.amount;
    const facts = { reference, amount, atMs: now() };
    if (config.provider === 'manual') {
      opts.notifier.notify(rechargeRequestedNotice(tenant, { ...facts, threshold: tenant.autoRecharge!.threshold }));
      metrics.recharges.inc({ outcome: 'requested' });
      log.info('recharge needed; manual provider, notice sent');
      return { outcome: 'requested', reference };
    }
    const request = { tenantId: tenant.id, amount: formatMoney(amount, tenant.currency), currency: tenant.currency, reference };
    const endpoint = { url: config.url!, timeoutMs: config.timeoutMs, ...(config.token ? { token: config.token } : {}) };
    const paid = await withRetries(() => postRecharge(endpoint, request, shutdown.signal), config.retries, backoff, shutdown.signal, (n, reason, delayMs) =>
      log.warn({ attempt: n, reason, delayMs }, 'recharge request failed; retrying'),
    );
    let reason: string;
    if (paid.ok) {
      const credited = await credit(tenant, reference, amount, log);
      if (credited.ok) {
        metrics.recharges.inc({ outcome: 'succeeded' });
        log.info({ paymentId: paid.value.paymentId, balanceAfter: credited.value.balanceAfter, applied: credited.value.applied }, 'recharge succeeded');
        opts.notifier.notify(rechargeSucceededNotice(tenant, { ...facts, atMs: now(), balanceAfter: credited.value.balanceAfter }));
        return { outcome: 'succeeded', reference, amount, balanceAfter: credited.value.balanceAfter };
      }
      // The provider took the money: the same reference credits it exactly once when replayed.
      reason = `payment taken but the balance could not be credited (${credited.reason}); top up with reference ${reference}`;
    } else {
      reason = paid.reason;
    }
    metrics.recharges.inc({ outcome: 'failed' });
    log.error({ reason }, 'recharge failed');
    opts.notifier.notify(rechargeFailedNotice(tenant, { ...facts, atMs: now(), reason }));
    return { outcome: 'failed', reference, reason };
  }

  async function run(tenantId: string, reference: string, log: Logger): Promise<RechargeOutcome> {
    const tenant = await opts.loadTenant(tenantId);
    if (!tenant) return skipped(`tenant ${tenantId} does not exist`, log);
    if (!tenant.autoRecharge || tenant.autoRecharge.amount <= 0) return skipped('auto-recharge is off for this tenant', log);
    const release = opts.acquireTenantLock ? await opts.acquireTenantLock(tenantId, reference) : async () => {};
    if (!release) return skipped('another instance is recharging this tenant', log);
    try {
      return await pay(tenant, reference, log);
    } finally {
      await release().catch((err: unknown) => log.warn({ err }, 'cannot release the recharge lock'));
    }
  }

  function requestRecharge(tenantId: string, trigger?: { eventId: string; callId?: string }): Promise<RechargeOutcome> {
    const reference = rechargeReference(tenantId, trigger?.eventId);
    const log = opts.logger.child({ tenantId, reference, ...(trigger?.callId ? { callId: trigger.callId } : {}) });
    if (closed) return Promise.resolve(skipped('shutting down', log));
    if (inFlight.has(tenantId)) return Promise.resolve(skipped('a recharge of this tenant is already in progress', log));
    const job = run(tenantId, reference, log)
      .catch((err: unknown): RechargeOutcome => {
        metrics.recharges.inc({ outcome: 'failed' });
        log.error({ err }, 'recharge crashed');
        return { outcome: 'failed', reference, reason: errorReason(err) };
      })
      .finally(() => inFlight.delete(tenantId));
    inFlight.set(tenantId, job);
    return job;
  }

  async function flush(): Promise<void> {
    while (inFlight.size > 0) await Promise.all([...inFlight.values()]);
  }

  return {
    requestRecharge,
    flush,
    async close() {
      closed = true;
      shutdown.abort();
      await flush();
    },
  };
}
