/**
 * Carries out the effects the ledger queued with each money change: a
 * recharge request (rule 25), the balance-depleted and dial-out pool notices
 * (rule 26). Every instance runs one; the outbox's consumer group hands each
 * entry to one of them, and an entry is acknowledged only once its effect is
 * done, so an instance dying mid-way leaves it for another to claim.
 */
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics.js';
import type { LedgerOutbox, OutboxEntry } from '../ledger/outbox.js';
import type { Clock, TimerHandle } from './clock.js';
import type { CallNoticeSink, RechargeRequester } from './settle-effects.js';

export interface OutboxWorkerOptions {
  outbox: LedgerOutbox;
  /** This instance's name in the consumer group. */
  consumer: string;
  clock: Clock;
  logger: Logger;
  metrics: Metrics;
  recharge?: RechargeRequester;
  notices?: CallNoticeSink;
  /** Whether a tenant is still below its recharge threshold (a failed recharge is retried only then). */
  stillBelowThreshold?: (tenantId: string) => Promise<boolean>;
  pollMs?: number;
  /** Entries pending this long (a dead or failing consumer's) are claimed again. */
  claimIdleMs?: number;
}

export interface OutboxWorker {
  /** One pass now; resolves to the entries it finished. */
  runOnce(): Promise<number>;
  stop(): Promise<void>;
}

const BATCH = 100;
/** Claim others' pending entries every this many passes (it costs a command per slot). */
const CLAIM_EVERY = 5;
const RECHARGE_RETRY_FIRST_MS = 60_000;
const RECHARGE_RETRY_MAX_MS = 3_600_000;

export function startOutboxWorker(opts: OutboxWorkerOptions): OutboxWorker {
  const { outbox, clock, logger, metrics } = opts;
  const pollMs = opts.pollMs ?? 1000;
  const claimIdleMs = opts.claimIdleMs ?? 30_000;
  /** Failed recharges: attempts so far and when the next may run (this instance's view). */
  const retries = new Map<string, { attempts: number; nextMono: number }>();
  let timer: TimerHandle | undefined;
  let running: Promise<number> | undefined;
  let passes = 0;
  let stopped = false;

  async function recharge(entry: OutboxEntry): Promise<'done' | 'retry' | 'dropped'> {
    if (!opts.recharge) return 'dropped';
    const retry = retries.get(entry.eventId);
    if (retry) {
      if (clock.monotonic() < retry.nextMono) return 'retry';
      if (opts.stillBelowThreshold && !(await opts.stillBelowThreshold(entry.tenantId))) {
        retries.delete(entry.eventId);
        return 'dropped';
      }
    }
    const result = (await opts.recharge.requestRecharge(entry.tenantId, { eventId: entry.eventId, callId: entry.callId })) as
      | { outcome?: string }
      | undefined;
    if (result?.outcome !== 'failed') {
      retries.delete(entry.eventId);
      return 'done';
    }
    const attempts = (retry?.attempts ?? 0) + 1;
    const delay = Math.min(RECHARGE_RETRY_MAX_MS, RECHARGE_RETRY_FIRST_MS * 2 ** (attempts - 1));
    retries.set(entry.eventId, { attempts, nextMono: clock.monotonic() + delay });
    logger.warn({ tenantId: entry.tenantId, eventId: entry.eventId, attempts, retryInMs: delay }, 'recharge failed; will retry while the balance stays below the threshold');
    return 'retry';
  }

  async function handle(entry: OutboxEntry): Promise<'done' | 'retry' | 'dropped'> {
    switch (entry.kind) {
      case 'recharge':
        return recharge(entry);
      case 'depleted':
        if (!opts.notices) return 'dropped';
        await opts.notices.notify({
          kind: 'balance_depleted', tenantId: entry.tenantId, balance: entry.balance, currency: entry.currency, atMs: entry.atMs, callId: entry.callId,
        });
        return 'done';
      case 'limit':
        if (!opts.notices || entry.limit === undefined) return 'dropped';
        await opts.notices.notify({
          kind: 'limit_reached', tenantId: entry.tenantId, limit: entry.limit, eventId: entry.eventId, atMs: entry.atMs,
          ...(entry.userId ? { userId: entry.userId } : {}),
        });
        return 'done';
      case 'pool':
        if (!opts.notices || entry.pool?.kind !== 'dialout' || entry.percent === undefined) return 'dropped';
        await opts.notices.notify({
          kind: 'dialout_pool', tenantId: entry.tenantId, percent: entry.percent, pool: entry.pool, atMs: entry.atMs, callId: entry.callId,
        });
        return 'done';
    }
  }

  async function pass(): Promise<number> {
    passes++;
    const claim = passes % CLAIM_EVERY === 1;
    const entries = await outbox.read(opts.consumer, { count: BATCH, ...(claim ? { claimIdleMs } : {}) });
    let finished = 0;
    for (const entry of entries) {
      const fields = { tenantId: entry.tenantId, callId: entry.callId, kind: entry.kind, eventId: entry.eventId };
      try {
        const outcome = await handle(entry);
        metrics.effects.inc({ kind: entry.kind, outcome });
        if (outcome === 'retry') continue;
        await outbox.ack(entry);
        finished++;
      } catch (err) {
        // Left pending: claimed again after claimIdleMs, by this instance or another.
        metrics.effects.inc({ kind: entry.kind, outcome: 'retry' });
        logger.warn({ ...fields, err }, 'effect failed; it stays in the outbox');
      }
    }
    return finished;
  }

  function runOnce(): Promise<number> {
    running ??= pass()
      .catch((err: unknown) => {
        logger.warn({ err }, 'outbox pass failed; will retry');
        return 0;
      })
      .finally(() => {
        running = undefined;
      });
    return running;
  }

  function schedule(): void {
    timer = clock.setTimer(async () => {
      timer = undefined;
      await runOnce();
      if (!stopped) schedule();
    }, pollMs);
  }
  schedule();

  return {
    runOnce,
    async stop() {
      stopped = true;
      if (timer !== undefined) clock.clearTimer(timer);
      timer = undefined;
      await running;
    },
  };
}
