/**
 * The call control of one gateway instance: admission, the registry of its
 * live sessions, admin hang-up, graceful drain and the lease-recovery loop.
 */
import { performance } from 'node:perf_hooks';
import type { Config } from '../config/schema.js';
import { decideEntitlement } from '../entitlement/decide.js';
import type { Ledger } from '../ledger/types.js';
import { callLogger, type Logger } from '../log.js';
import type { Metrics } from '../metrics.js';
import type { RateBook } from '../rating/types.js';
import { authorizeCall, rejected, type EntitlementFn } from './authorize.js';
import { Session } from './call-session.js';
import { systemClock, type Clock, type TimerHandle } from './clock.js';
import { settleEffects, type CallNoticeSink, type RechargeRequester } from './settle-effects.js';
import type { AuthorizeOutcome, CallControl, CallSession, CallSetup, CallTransport, LiveCall } from './types.js';

/** Where the current rate book comes from: a RateStore (its `book`), any holder of one, or a function. */
export type RateSource = { readonly book: RateBook } | { current(): RateBook } | (() => RateBook);

export interface CallControlOptions {
  ledger: Ledger;
  rates: RateSource;
  /** Who pays; decideEntitlement from src/entitlement by default. */
  entitlement?: EntitlementFn;
  recharge?: RechargeRequester;
  notifier?: CallNoticeSink;
  config: Pick<Config, 'calls' | 'plans' | 'conferencing'> & { instanceId?: string };
  /** Wall clock by default; tests pass a fake one. */
  clock?: Clock;
  logger: Logger;
  metrics: Metrics;
}

function bookGetter(rates: RateSource): () => RateBook {
  if (typeof rates === 'function') return rates;
  if ('current' in rates) return () => rates.current();
  return () => rates.book;
}

export function createCallControl(opts: CallControlOptions): CallControl {
  const { ledger, metrics, config } = opts;
  const clock = opts.clock ?? systemClock;
  const instanceId = config.instanceId ?? 'tollgate';
  const logger = opts.logger.child({ instanceId });
  const currentBook = bookGetter(opts.rates);
  const entitlement = opts.entitlement ?? decideEntitlement;
  const afterSettle = settleEffects({
    metrics,
    logger,
    ...(opts.recharge ? { recharge: opts.recharge } : {}),
    ...(opts.notifier ? { notices: opts.notifier } : {}),
  });

  const sessions = new Map<string, Session>();
  let draining = false;
  let drainWaiters: Array<() => void> = [];
  let recoveryTimer: TimerHandle | undefined;
  let recoveryRunning: Promise<number> | undefined;
  let stopped = false;

  const sessionContext = {
    ledger,
    clock,
    timing: config.calls,
    metrics,
    afterSettle,
    closed(session: Session): void {
      if (sessions.get(session.callId) !== session) return;
      sessions.delete(session.callId);
      metrics.activeCalls.dec();
      if (sessions.size === 0) {
        const waiters = drainWaiters;
        drainWaiters = [];
        for (const resolve of waiters) resolve();
      }
    },
  };

  async function authorize(setup: CallSetup, transport: CallTransport): Promise<AuthorizeOutcome> {
    const started = performance.now();
    const log = callLogger(logger, setup.callId);
    let decision;
    if (draining || stopped) {
      decision = rejected('DRAINING', 'this gateway instance is shutting down; retry on another', setup.callType ?? 'unknown', { tenantId: setup.tenantId });
    } else if (sessions.has(setup.callId)) {
      decision = rejected('POLICY', `call ${setup.callId} is already in progress here`, setup.callType ?? 'unknown', { tenantId: setup.tenantId });
    } else {
      decision = await authorizeCall(setup, {
        ledger,
        book: currentBook(),
        entitlement,
        context: { plans: config.plans, dialOutMinutesPerLicence: config.conferencing.dialOutMinutesPerLicence },
        failOpen: config.calls.failOpen,
        nowMs: clock.now(),
        logger: log,
        newSession(init) {
          const session = new Session(
            { ...init, transport, logger: callLogger(logger, init.callId, { tenantId: init.tenantId }) },
            sessionContext,
          );
          sessions.set(init.callId, session);
          metrics.activeCalls.inc();
          return session;
        },
      });
    }
    metrics.authorizeDuration.observe((performance.now() - started) / 1000);
    const labels: Record<string, string> = { decision: decision.decision, reason: decision.reason, call_type: decision.callType };
    if (metrics.tenantLabels) labels.tenant = decision.tenantId ?? 'unknown';
    metrics.callDecisions.inc(labels);
    const { outcome } = decision;
    log.info(
      {
        decision: decision.decision,
        reason: decision.reason,
        callType: decision.callType,
        tenantId: decision.tenantId,
        userId: decision.userId,
        direction: setup.direction,
        dialed: setup.dialed,
        ...(outcome.allowed
          ? { destination: outcome.destination, fundedSeconds: outcome.fundedSeconds }
          : { code: outcome.code, message: outcome.message }),
      },
      outcome.allowed ? 'call admitted' : 'call refused',
    );
    return outcome;
  }

  async function recoverNow(): Promise<number> {
    if (recoveryRunning) return recoveryRunning;
    const run = (async () => {
      try {
        const results = await ledger.recoverExpired(clock.now());
        let settled = 0;
        for (const result of results) {
          if (!result.applied) continue;
          settled++;
          metrics.recoveredCalls.inc();
          logger.warn(
            { callId: result.record.callId, tenantId: result.record.tenantId, charge: result.record.charge, endReason: result.record.endReason },
            'settled a call whose hold lease expired',
          );
          afterSettle(result);
          // Our own call can only lose its lease if Redis was out of reach for that long.
          await sessions.get(result.record.callId)?.settledByRecovery();
        }
        return settled;
      } catch (err) {
        logger.warn({ err }, 'lease recovery pass failed; will retry');
        return 0;
      } finally {
        recoveryRunning = undefined;
      }
    })();
    recoveryRunning = run;
    return run;
  }

  function scheduleRecovery(): void {
    recoveryTimer = clock.setTimer(async () => {
      recoveryTimer = undefined;
      await recoverNow();
      if (!stopped) scheduleRecovery();
    }, config.calls.recoveryIntervalMs);
  }

  return {
    authorize,
    session: (callId: string): CallSession | undefined => sessions.get(callId),
    liveCalls: (): LiveCall[] => [...sessions.values()].map((s) => s.snapshot()),
    async hangUp(callId: string): Promise<boolean> {
      const session = sessions.get(callId);
      if (!session) return false;
      logger.info({ callId }, 'admin hang-up');
      await session.terminate('admin_hangup');
      return true;
    },
    activeCount: () => sessions.size,
    get draining() {
      return draining;
    },
    drain(graceMs?: number): Promise<void> {
      draining = true;
      logger.info({ liveCalls: sessions.size, graceMs }, 'draining: admitting no new calls');
      if (sessions.size === 0) return Promise.resolve();
      const done = new Promise<void>((resolve) => drainWaiters.push(resolve));
      if (graceMs !== undefined) {
        const timer = clock.setTimer(async () => {
          if (sessions.size === 0) return;
          logger.warn({ liveCalls: sessions.size }, 'drain grace over; hanging up the remaining calls');
          await Promise.all([...sessions.values()].map((s) => s.terminate('shutdown')));
        }, graceMs);
        void done.then(() => clock.clearTimer(timer));
      }
      return done;
    },
    startRecovery(): void {
      if (recoveryTimer !== undefined || stopped) return;
      scheduleRecovery();
    },
    recoverNow,
    async stop(): Promise<void> {
      stopped = true;
      if (recoveryTimer !== undefined) clock.clearTimer(recoveryTimer);
      recoveryTimer = undefined;
      await recoveryRunning;
      for (const session of [...sessions.values()]) session.abandon();
    },
  };
}
