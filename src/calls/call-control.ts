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
import { authorizeCall, emergencyWithoutLedger, rejected, type Decision, type EntitlementFn } from './authorize.js';
import { OverloadGuard } from './overload.js';
import { LeaseRenewer } from './lease-renewer.js';
import { Session } from './call-session.js';
import { systemClock, type Clock, type TimerHandle } from './clock.js';
import { startOutboxWorker, type OutboxWorker } from './outbox-worker.js';
import { settleEffects, type CallNoticeSink, type RechargeRequester } from './settle-effects.js';
import type { AuthorizeOutcome, CallControl, CallSession, CallSetup, CallTransport, LiveCall, WireEnder } from './types.js';
import { merged } from '../objects.js';

/** Where the current rate book comes from: a RateStore (its `book`), any holder of one, or a function. */
export type RateSource = { readonly book: RateBook } | { current(): RateBook } | (() => RateBook);

/** How long stop() waits for settles still being retried. */
const SETTLE_WAIT_AT_STOP_MS = 10_000;

export interface CallControlOptions {
  ledger: Ledger;
  rates: RateSource;
  /** Who pays; decideEntitlement from src/entitlement by default. */
  entitlement?: EntitlementFn;
  recharge?: RechargeRequester;
  notifier?: CallNoticeSink;
  /** Ends on the wire a call another (lost) instance carried, from the wire state its answer recorded. */
  wireEnder?: WireEnder;
  /** Consume the ledger's effects outbox (recharges due, notices); on by default when the ledger has one. */
  outbox?: boolean;
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
  const afterSettle = settleEffects({ metrics });
  const overload = new OverloadGuard(config.calls.overload ?? { maxEventLoopLagMs: 0, maxAdmissionsInFlight: 0, maxAdmissionLatencyMs: 0 });
  /** Refusals for overload are logged at debug one by one, and as one warning a second while they go on. */
  let shedSince = 0;
  let shedCount = 0;
  const noteShed = (reason: string): void => {
    metrics.overloadRefusals.inc({ reason });
    shedCount++;
    const now = Date.now();
    if (now - shedSince < 1000) return;
    logger.warn({ refused: shedCount, reason, ...overload.state() }, 'overloaded: refusing new calls (503 OVERLOADED)');
    shedSince = now;
    shedCount = 0;
  };
  let outbox: OutboxWorker | undefined;

  /** Sessions by tenant and call id: two tenants' calls may share a Call-ID. */
  const sessions = new Map<string, Session>();
  const keyOf = (tenantId: string, callId: string) => `${tenantId}\n${callId}`;
  const findByCallId = (callId: string, tenantId?: string): Session[] =>
    tenantId !== undefined
      ? [sessions.get(keyOf(tenantId, callId))].filter((s): s is Session => s !== undefined)
      : [...sessions.values()].filter((s) => s.callId === callId);
  let draining = false;
  let drainWaiters: Array<() => void> = [];
  let recoveryTimer: TimerHandle | undefined;
  let recoveryRunning: Promise<number> | undefined;
  let stopped = false;

  const renewLeases = ledger.renewLeases?.bind(ledger);
  const sessionContext = {
    ledger,
    ...(renewLeases ? { renewer: new LeaseRenewer({ renewLeases }, clock) } : {}),
    clock,
    timing: config.calls,
    metrics,
    afterSettle,
    closed(session: Session): void {
      const key = keyOf(session.tenantId, session.callId);
      if (sessions.get(key) !== session) return;
      sessions.delete(key);
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
    let decision: Decision;
    const over = draining || stopped ? undefined : overload.admit();
    if (over && !emergencyWithoutLedger(setup, currentBook())) {
      noteShed(over);
      decision = rejected('OVERLOADED', `this gateway instance is overloaded (${over.replaceAll('_', ' ')}); retry on another or later`, setup.callType ?? 'unknown', {
        tenantId: setup.tenantId,
      });
    } else if (draining || stopped) {
      decision = rejected('DRAINING', 'this gateway instance is shutting down; retry on another', setup.callType ?? 'unknown', { tenantId: setup.tenantId });
    } else if (setup.tenantId !== undefined && sessions.has(keyOf(setup.tenantId, setup.callId))) {
      decision = rejected('POLICY', `call ${setup.callId} is already in progress here`, setup.callType ?? 'unknown', { tenantId: setup.tenantId });
    } else {
      const done = overload.begin();
      metrics.admissionsInFlight.inc();
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
            merged(init, { transport, logger: callLogger(logger, init.callId, { tenantId: init.tenantId }) }),
            sessionContext,
          );
          const key = keyOf(init.tenantId, init.callId);
          if (sessions.has(key)) throw new Error(`call ${init.callId} of tenant ${init.tenantId} is already in progress here`);
          sessions.set(key, session);
          metrics.activeCalls.inc();
          return session;
        },
      }).finally(() => {
        done();
        metrics.admissionsInFlight.dec();
      });
    }
    metrics.authorizeDuration.observe((performance.now() - started) / 1000);
    const labels: Record<string, string> = { decision: decision.decision, reason: decision.reason, call_type: decision.callType };
    if (metrics.tenantLabels) labels.tenant = decision.tenantId ?? 'unknown';
    metrics.callDecisions.inc(labels);
    const { outcome } = decision;
    log[outcome.allowed === false && outcome.code === 'OVERLOADED' ? 'debug' : 'info'](
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
        const pass = await ledger.recoveryPass();
        for (const failure of pass.failures) logger.error(failure, 'could not recover an expired hold; the pass went on');
        metrics.recoveryFailures.inc(pass.failures.length);
        metrics.expiredHolds.set(pass.expired);
        metrics.outboxEntries.set(pass.outboxEntries);
        metrics.outboxOldestAge.set(pass.outboxOldestAgeMs / 1000);
        let settled = 0;
        for (const result of pass.settled) {
          if (!result.applied) continue;
          settled++;
          metrics.recoveredCalls.inc();
          const { callId, tenantId } = result.record;
          logger.warn(
            { callId, tenantId, charge: result.record.charge, durationSeconds: result.record.durationSeconds, endReason: result.record.endReason },
            'settled a call whose hold lease expired',
          );
          afterSettle(result);
          const own = sessions.get(keyOf(tenantId, callId));
          if (own) {
            // Our own call can only lose its lease if Redis was out of reach for that long.
            await own.settledByRecovery();
          } else if (result.wire && opts.wireEnder) {
            // A lost instance's call: end both legs on the wire too, not only its money.
            opts.wireEnder.endRemote(result.wire, 'gateway_lost', { callId, tenantId }).catch((err: unknown) =>
              logger.warn({ callId, tenantId, err }, 'could not end a recovered call on the wire'),
            );
          }
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
    session: (callId: string, tenantId?: string): CallSession | undefined => findByCallId(callId, tenantId)[0],
    liveCalls: (): LiveCall[] => [...sessions.values()].map((s) => s.snapshot()),
    async hangUp(callId: string, tenantId?: string): Promise<boolean> {
      const found = findByCallId(callId, tenantId);
      if (found.length === 0) return false;
      for (const session of found) {
        logger.info({ callId, tenantId: session.tenantId }, 'admin hang-up');
        await session.terminate('admin_hangup');
      }
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
      if (opts.outbox !== false && ledger.outbox && !outbox) {
        outbox = startOutboxWorker({
          outbox: ledger.outbox,
          consumer: instanceId,
          clock,
          logger: logger.child({ component: 'outbox' }),
          metrics,
          ...(opts.recharge ? { recharge: opts.recharge } : {}),
          ...(opts.notifier ? { notices: opts.notifier } : {}),
          ...(config.calls.effectsPollMs !== undefined ? { pollMs: config.calls.effectsPollMs } : {}),
          async stillBelowThreshold(tenantId) {
            const tenant = await ledger.getTenant(tenantId);
            if (!tenant?.autoRecharge) return false;
            return (await ledger.balance(tenantId, clock.now())).balance < tenant.autoRecharge.threshold;
          },
        });
      }
    },
    recoverNow,
    async stop(): Promise<void> {
      stopped = true;
      overload.stop();
      if (recoveryTimer !== undefined) clock.clearTimer(recoveryTimer);
      recoveryTimer = undefined;
      await recoveryRunning;
      await outbox?.stop();
      // Calls that ended but whose settle is still retrying get a while to land (the SIGTERM drain waits for them).
      const settleDeadline = Date.now() + SETTLE_WAIT_AT_STOP_MS;
      while (Date.now() < settleDeadline && [...sessions.values()].some((s) => s.state === 'ending')) {
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      // Settles still retrying give up after their current attempt; the rest is left to lease recovery.
      for (const session of [...sessions.values()]) {
        session.stop();
        session.abandon();
      }
    },
  };
}
