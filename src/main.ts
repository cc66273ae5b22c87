/**
 * Process wiring: builds every layer from the validated config, starts SIP,
 * HTTP and the recovery loop, and shuts them down in reverse order.
 */
import { createCallControl } from './calls/call-control.js';
import { redisTarget } from './cli/redis-target.js';
import type { CallControl } from './calls/types.js';
import type { Config } from './config/schema.js';
import { startHttp } from './http/app.js';
import type { RunningHistory } from './history/index.js';
import { pingRedis } from './ledger/connection.js';
import { createLedger, ledgerOptionsFromConfig, type RedisLedger } from './ledger/index.js';
import type { Logger } from './log.js';
import { createMetrics, type Metrics } from './metrics.js';
import { createCallNoticeSink } from './notify/call-notices.js';
import { createRedisClaim } from './notify/claim.js';
import { createNotifier } from './notify/notifier.js';
import type { Notifier } from './notify/types.js';
import { createRechargeService } from './payments/recharge-service.js';
import { createRedisRechargeLock } from './payments/tenant-lock.js';
import { RateStore } from './rating/rate-store.js';
import { createSipGateway, type SipGateway } from './sip/index.js';
import { controlApiPlugin, createControlFront, startEvapiFront, wireKind, type ControlFront } from './kamailio/index.js';

export interface Gateway {
  config: Config;
  metrics: Metrics;
  ledger: RedisLedger;
  /** The history store and its writer, when postgres.url is set. */
  history?: RunningHistory;
  rates: RateStore;
  calls: CallControl;
  /** The drachtio-srf B2BUA front; absent with drachtio.enabled false. */
  sip?: SipGateway;
  /** The Kamailio front (call-control API); present when kamailio.controlToken is set. */
  control?: ControlFront;
  /** Address the HTTP API listens on. */
  httpAddress: string;
  /** Re-reads the rate files (SIGHUP). */
  reloadRates(): Promise<void>;
  /** Stops admitting, drains live calls up to sip.drainSeconds, then closes everything. */
  stop(): Promise<void>;
}

/** Readiness PING bound: under the 2 s probe limit, so a hung Redis reads "not ready" within 2 s. */
const READINESS_PING_MS = 1500;

export async function startGateway(config: Config, logger: Logger): Promise<Gateway> {
  const metrics = createMetrics({ tenantLabels: config.metrics.tenantLabels, defaultMetrics: true });
  const rates = await RateStore.open({ dir: config.rates.dir, logger, metrics });
  if (config.rates.watch) rates.watch();

  const ledger = createLedger(ledgerOptionsFromConfig(config, { metrics, logger }));
  try {
    await ledger.ready();
  } catch (err) {
    // Calls fail closed (503) until Redis answers; the gateway still starts so /readyz can say why.
    logger.error({ err, redis: redisTarget(config.redis) }, 'Redis is not reachable yet; calls are refused until it is');
  }

  // Usage records and balance movements into PostgreSQL (postgres.url); never in a call's way. The store (and
  // PostgreSQL's client library, some 3 MB of heap) is loaded only where it is configured.
  const history = config.postgres.url
    ? await (await import('./history/index.js')).startHistory(config, ledger, logger, metrics)
    : undefined;

  const notifier: Notifier = createNotifier({
    webhooks: config.notify.webhooks,
    ...(config.notify.smtp ? { smtp: config.notify.smtp } : {}),
    retries: config.notify.retries,
    logger: logger.child({ component: 'notify' }),
    metrics,
    claim: createRedisClaim(ledger.client, config.redis.keyPrefix),
  });
  const recharge = createRechargeService({
    config: config.payments,
    loadTenant: (id) => ledger.getTenant(id),
    topUp: (tenantId, reference, amount) => ledger.topUp(tenantId, reference, amount, Date.now()),
    notifier,
    logger: logger.child({ component: 'payments' }),
    metrics,
    // The lease outlives the slowest request with all its retries, so one recharge is never doubled.
    acquireTenantLock: createRedisRechargeLock(
      ledger.client,
      config.redis.keyPrefix,
      config.payments.timeoutMs * (config.payments.retries + 1) * 2 + 60_000,
    ),
  });
  // Lease recovery ends a lost instance's calls on the wire: a Kamailio call through the JSON-RPC it
  // recorded, a drachtio call ({edge, legs}) through this instance's drachtio-servers.
  let sipRef: SipGateway | undefined;
  let controlRef: ControlFront | undefined;
  const calls = createCallControl({
    wireEnder: {
      endRemote: async (wire, reason, ids) =>
        wireKind(wire) === 'kamailio' ? controlRef?.wireEnder.endRemote(wire, reason, ids) : sipRef?.wireEnder.endRemote(wire, reason, ids),
    },
    ledger,
    rates,
    recharge,
    notifier: createCallNoticeSink({ notifier, loadTenant: (id) => ledger.getTenant(id), logger }),
    config,
    logger,
    metrics,
  });
  const sip = config.drachtio.enabled ? createSipGateway({ config, calls, metrics, logger }) : undefined;
  sipRef = sip;
  sip?.start();
  const control = config.kamailio.controlToken ? createControlFront({ config, calls, metrics, logger }) : undefined;
  controlRef = control;
  // Kamailios that ask over evapi (Tollgate connects to each); the HTTP control API stays on.
  const evapi =
    control && config.kamailio.evapi.length > 0
      ? startEvapiFront({ config, front: control, logger, instanceId: config.instanceId ?? `tollgate-${process.pid}` })
      : undefined;
  calls.startRecovery();

  let http: Awaited<ReturnType<typeof startHttp>>;
  try {
    http = await startHttp({
      config,
      ledger,
      rates,
      calls,
      metrics,
      logger,
      readiness: {
        redis: async () => {
          await ledger.ready();
          await pingRedis(ledger.client, READINESS_PING_MS);
          return true;
        },
        ...(sip ? { drachtio: () => sip.isConnected() } : {}),
        rates: () => rates.book.version.length > 0,
      },
      closeResources: false,
      ...(history ? { history } : {}),
      ...(control && config.kamailio.controlToken ? { controlApi: controlApiPlugin(control, config.kamailio.controlToken) } : {}),
    });
  } catch (err) {
    // No API means no readiness or metrics: stop what already runs so the process can exit non-zero.
    await sip?.stop();
    await evapi?.stop();
    await calls.stop();
    await notifier.close();
    rates.close();
    await history?.close();
    await ledger.close();
    throw err;
  }
  const { app, address } = http;
  logger.info({ http: address, instanceId: config.instanceId, rateVersion: rates.book.version }, 'tollgate started');

  let stopping: Promise<void> | undefined;
  return {
    config,
    metrics,
    ledger,
    rates,
    calls,
    ...(history ? { history } : {}),
    ...(sip ? { sip } : {}),
    ...(control ? { control } : {}),
    httpAddress: address,
    async reloadRates() {
      await rates.onSighup();
    },
    stop() {
      stopping ??= (async () => {
        const drainMs = config.sip.drainSeconds * 1000;
        evapi?.draining();
        const left = await Promise.all([sip?.drain(drainMs) ?? 0, control?.drain(drainMs) ?? 0]);
        const stillLive = left[0] + left[1];
        if (stillLive > 0) logger.warn({ stillLive }, 'drain time over; hanging up the remaining calls');
        await Promise.all([sip?.stop(), control?.stop()]);
        await evapi?.stop();
        await calls.stop();
        await app.close();
        await notifier.close();
        rates.close();
        // What the writer has not written yet waits in Redis for the next writer.
        await history?.close();
        await ledger.close();
        logger.info('tollgate stopped');
      })();
      return stopping;
    },
  };
}
