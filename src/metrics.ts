/**
 * The one prom-client registry of a Tollgate process and every domain metric.
 * Modules receive a Metrics object; they never create metrics of their own.
 * Money metrics are integer micro-units (see money.ts) labelled by currency.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export interface MetricsOptions {
  /** Add a `tenant` label to per-call metrics; only for deployments with few tenants. */
  tenantLabels?: boolean;
  /** Collect process/Node.js default metrics (off in most tests). */
  defaultMetrics?: boolean;
}

export function createMetrics(opts: MetricsOptions = {}) {
  const registry = new Registry();
  // Standard names (process_*, nodejs_*), so common Node.js dashboards and alerts work as they are.
  if (opts.defaultMetrics) collectDefaultMetrics({ register: registry });
  const tenant = opts.tenantLabels ? (['tenant'] as const) : ([] as const);
  const r = [registry];
  return {
    registry,
    tenantLabels: opts.tenantLabels === true,
    callDecisions: new Counter({
      name: 'tollgate_call_decisions_total',
      help: 'Call admission decisions by decision (allow/reject/error) and reason code',
      labelNames: ['decision', 'reason', 'call_type', ...tenant],
      registers: r,
    }),
    activeCalls: new Gauge({
      name: 'tollgate_active_calls',
      help: 'Calls this instance is currently tracking (authorized, ringing or answered)',
      registers: r,
    }),
    heldMicros: new Gauge({
      name: 'tollgate_held_micros',
      help: 'Money held by this instance\'s live calls, in micro-units of the currency',
      labelNames: ['currency'],
      registers: r,
    }),
    chargedMicros: new Counter({
      name: 'tollgate_charged_micros_total',
      help: 'Money debited by settled calls, in micro-units of the currency',
      labelNames: ['currency', ...tenant],
      registers: r,
    }),
    callsEnded: new Counter({
      name: 'tollgate_calls_ended_total',
      help: 'Calls ended (settled or released) by end reason',
      labelNames: ['end_reason'],
      registers: r,
    }),
    cutoffs: new Counter({
      name: 'tollgate_cutoffs_total',
      help: 'Calls cut by the gateway: funding ended (credit_exhausted) or the hold lease could not be renewed (ledger_unreachable)',
      labelNames: ['reason'],
      registers: r,
    }),
    redisFailovers: new Counter({
      name: 'tollgate_redis_failovers_total',
      help: 'Times the Redis master this instance talks to changed (Sentinel or Cluster failover)',
      registers: r,
    }),
    replicaAcks: new Counter({
      name: 'tollgate_redis_replica_acks_total',
      help: 'Money changes waited on until a replica had them (WAIT), by outcome (acked, timeout)',
      labelNames: ['outcome'],
      registers: r,
    }),
    replicaAckSeconds: new Histogram({
      name: 'tollgate_redis_replica_ack_seconds',
      help: 'How long a money change waited for its replica acknowledgement',
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
      registers: r,
    }),
    recoveryFailures: new Counter({
      name: 'tollgate_recovery_failures_total',
      help: 'Expired holds a recovery pass could not settle (it went on with the rest)',
      registers: r,
    }),
    wireEnds: new Counter({
      name: 'tollgate_wire_ends_total',
      help: 'Calls of other (lost) instances or lost SIP edges ended on the wire by this instance, by outcome',
      labelNames: ['outcome'],
      registers: r,
    }),
    effects: new Counter({
      name: 'tollgate_outbox_effects_total',
      help: 'Effects of money changes taken from the ledger outbox (recharge, depleted, pool), by outcome (done, retry, dropped)',
      labelNames: ['kind', 'outcome'],
      registers: r,
    }),
    recoveredCalls: new Counter({
      name: 'tollgate_recovered_calls_total',
      help: 'Calls of lost gateway instances settled by this instance\'s recovery loop',
      registers: r,
    }),
    recharges: new Counter({
      name: 'tollgate_recharges_total',
      help: 'Auto-recharge attempts by outcome (succeeded/failed/requested/skipped); requested = manual provider, notice sent',
      labelNames: ['outcome'],
      registers: r,
    }),
    notices: new Counter({
      name: 'tollgate_notices_total',
      help: 'Notices by kind, channel (webhook/email) and outcome (sent/failed)',
      labelNames: ['kind', 'channel', 'outcome'],
      registers: r,
    }),
    rateReloads: new Counter({
      name: 'tollgate_rate_reloads_total',
      help: 'Rate table loads by outcome (loaded/rejected)',
      labelNames: ['outcome'],
      registers: r,
    }),
    redisErrors: new Counter({
      name: 'tollgate_redis_errors_total',
      help: 'Redis operations that failed or timed out, by operation',
      labelNames: ['operation'],
      registers: r,
    }),
    authorizeDuration: new Histogram({
      name: 'tollgate_authorize_duration_seconds',
      help: 'Time to decide a call: entitlement, rating and the first hold',
      // From 0.1 ms: a decision on a warm instance takes a few tenths of a millisecond.
      buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
      registers: r,
    }),
    historyPending: new Gauge({
      name: 'tollgate_history_pending',
      help: 'Usage records and balance movements waiting in Redis to be written to PostgreSQL (history outbox entries)',
      registers: r,
    }),
    historyOldestAge: new Gauge({
      name: 'tollgate_history_oldest_age_seconds',
      help: 'Age of the oldest history outbox entry not yet written to PostgreSQL (0 when none)',
      registers: r,
    }),
    historyWritten: new Counter({
      name: 'tollgate_history_written_total',
      help: 'History outbox entries committed to PostgreSQL by this instance (rows new or already there)',
      registers: r,
    }),
    historyWriteErrors: new Counter({
      name: 'tollgate_history_write_errors_total',
      help: 'Batches of history the writer could not commit to PostgreSQL (they stay in Redis and are written later)',
      registers: r,
    }),
    overloadRefusals: new Counter({
      name: 'tollgate_overload_refusals_total',
      help: 'Call setups refused at once (503 OVERLOADED) because the instance was past an overload limit, by the measure (calls.overload)',
      labelNames: ['reason'],
      registers: r,
    }),
    admissionsInFlight: new Gauge({
      name: 'tollgate_admissions_in_flight',
      help: 'Call setups being decided right now on this instance',
      registers: r,
    }),
    sipUnknownPeers: new Counter({
      name: 'tollgate_sip_unknown_peer_total',
      help: 'INVITEs refused with 403 because their source is no configured peer',
      registers: r,
    }),
    sipPostDialDelay: new Histogram({
      name: 'tollgate_sip_post_dial_delay_seconds',
      help: 'Delay the gateway adds to call setup: INVITE in to INVITE out',
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
      registers: r,
    }),
    // Health as series, so an alert can say what is wrong (config/prometheus-alerts.yml).
    ready: new Gauge({
      name: 'tollgate_ready',
      help: 'Whether every readiness check passed when /metrics was scraped (1) or not (0), as GET /readyz answers',
      registers: r,
    }),
    readyCheck: new Gauge({
      name: 'tollgate_ready_check',
      help: 'Each readiness check (redis, drachtio, rates) when /metrics was scraped: 1 passed, 0 failed',
      labelNames: ['check'],
      registers: r,
    }),
    sipEdgeConnected: new Gauge({
      name: 'tollgate_sip_edge_connected',
      help: 'Link to each drachtio-server (edge host:port; "outbound" in outbound mode): 1 up, 0 down',
      labelNames: ['edge'],
      registers: r,
    }),
    redisDuration: new Histogram({
      name: 'tollgate_redis_operation_duration_seconds',
      help: 'Time of each Redis step of a ledger operation (a script, a read), by operation; failures included',
      labelNames: ['operation'],
      // From 0.1 ms: a script's round trip to a Redis nearby takes tenths of a millisecond.
      buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
      registers: r,
    }),
    expiredHolds: new Gauge({
      name: 'tollgate_expired_holds',
      help: 'Holds whose lease had run out, found by this instance\'s last recovery pass (over all instances\' calls)',
      registers: r,
    }),
    outboxEntries: new Gauge({
      name: 'tollgate_outbox_entries',
      help: 'Effects waiting in the ledger outbox of the live slots (not yet done), seen by the last recovery pass',
      registers: r,
    }),
    outboxOldestAge: new Gauge({
      name: 'tollgate_outbox_oldest_age_seconds',
      help: 'Age on Redis time of the oldest effect still waiting in the ledger outbox, seen by the last recovery pass (0 when none)',
      registers: r,
    }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
