/**
 * createLedger: the Ledger over ioredis, on a single Redis or a Redis
 * Cluster alike. Wires the connection, scripts and settings into the parts.
 */
import { hostname } from 'node:os';
import type { Cluster, Redis } from 'ioredis';
import type { Config, PlanConfig } from '../config/schema.js';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics.js';
import * as accounts from './accounts.js';
import { connectRedis, RedisGuard, type RedisConnectionOptions } from './connection.js';
import type { LedgerContext } from './context.js';
import * as holds from './holds.js';
import { globalKeys, tenantKeys } from './keys.js';
import * as provisioning from './provisioning-store.js';
import { createOutbox, type LedgerOutbox } from './outbox.js';
import { createHistoryOutbox, type HistoryOutbox } from './history-outbox.js';
import { createPortalStore, type PortalStore, type PortalStoreOptions } from './portal-store.js';
import { registerScripts } from './scripts.js';
import { DirectoryCache } from './directory-cache.js';
import type { Ledger } from './types.js';
import * as usageStream from './usage-stream.js';

export interface LedgerOptions extends RedisConnectionOptions {
  /** Use this ioredis client instead of connecting; close() then leaves it open. */
  client?: Redis | Cluster;
  /** Prefix of every key (config redis.keyPrefix). */
  keyPrefix: string;
  /** A hold not renewed within this time is recovered (config calls.leaseSeconds). */
  leaseSeconds: number;
  /** Answered seconds funded per slice (config calls.sliceSeconds). */
  sliceSeconds: number;
  /** Usage records older than this are trimmed (config ledger.usageRetentionDays). */
  usageRetentionDays: number;
  /** Plan catalog (config plans): validates user plans and sizes pools in balance(). */
  plans: readonly PlanConfig[];
  /** Dial-out pool minutes per Audio Conferencing licence (config conferencing). */
  dialOutMinutesPerLicence: number;
  /** Replicas a money change must reach before it is acknowledged (config redis.minReplicasAcked); default 1 when the master has one. */
  minReplicasAcked?: number;
  replicaAckTimeoutMs?: number;
  /** How far an instance's clock may be from Redis time; default 10 minutes (ledger.maxClockSkewSeconds). */
  maxClockSkewMs?: number;
  /** Append usage records and balance movements to the slot history streams for PostgreSQL (postgres.url set). */
  history?: boolean;
  /** Names this instance on the history it writes (config instanceId). */
  instanceId?: string;
  /** How long a requested recharge keeps later debits from asking again; default 10 minutes. */
  rechargePendingMs?: number;
  /** How long a settled call keeps answering repeats idempotently; default 7 days. */
  settledRetentionSeconds?: number;
  /** Directory entries (tenants, users, service numbers, number index) this instance keeps for admission; 0 = none. */
  directoryCacheEntries?: number;
  /** Bound of one Redis step of an operation; default connect + 2 x command timeout. */
  operationTimeoutMs?: number;
  /** Portal sessions and sign-in throttling (config portal.*); defaults as in the config. */
  portal?: Partial<PortalStoreOptions>;
  metrics?: Metrics;
  logger?: Logger;
}

export interface RedisLedger extends Ledger {
  recordUsage(record: Parameters<NonNullable<Ledger['recordUsage']>>[0]): Promise<void>;
  readonly outbox: LedgerOutbox;
  /** Usage records and balance movements waiting for PostgreSQL (src/history). */
  readonly historyOutbox: HistoryOutbox;
  adjust(tenantId: string, reference: string, amount: number, nowMs: number): ReturnType<Ledger['topUp']>;
  /** Whether money changes append to the slot history streams (postgres.url set). */
  readonly history: boolean;
  /** Resolves once Redis answers; throws LedgerUnavailableError after connectTimeoutMs. */
  ready(): Promise<void>;
  readonly client: Redis | Cluster;
  readonly keyPrefix: string;
  /** Tenant admin accounts, portal sessions, tenant API keys, sign-in throttling. */
  readonly portal: PortalStore;
}

/** LedgerOptions from the validated configuration. */
export function ledgerOptionsFromConfig(config: Config, extra: Partial<LedgerOptions> = {}): LedgerOptions {
  return {
    url: config.redis.url,
    clusterNodes: config.redis.clusterNodes,
    sentinels: config.redis.sentinels,
    ...(config.redis.masterName ? { masterName: config.redis.masterName } : {}),
    ...(config.redis.password ? { password: config.redis.password } : {}),
    ...(config.redis.sentinelPassword ? { sentinelPassword: config.redis.sentinelPassword } : {}),
    tls: config.redis.tls,
    ...(config.redis.minReplicasAcked !== undefined ? { minReplicasAcked: config.redis.minReplicasAcked } : {}),
    replicaAckTimeoutMs: config.redis.replicaAckTimeoutMs,
    connectTimeoutMs: config.redis.connectTimeoutMs,
    commandTimeoutMs: config.redis.commandTimeoutMs,
    autoPipelining: config.redis.autoPipelining,
    keyPrefix: config.redis.keyPrefix,
    leaseSeconds: config.calls.leaseSeconds,
    sliceSeconds: config.calls.sliceSeconds,
    usageRetentionDays: config.ledger.usageRetentionDays,
    maxClockSkewMs: config.ledger.maxClockSkewSeconds * 1000,
    directoryCacheEntries: config.ledger.directoryCacheEntries,
    plans: config.plans,
    dialOutMinutesPerLicence: config.conferencing.dialOutMinutesPerLicence,
    history: config.postgres.url !== undefined,
    ...(config.instanceId ? { instanceId: config.instanceId } : {}),
    portal: {
      idleMs: config.portal.sessionIdleMinutes * 60_000,
      maxMs: config.portal.sessionMaxHours * 3_600_000,
      windowMs: config.portal.loginWindowSeconds * 1000,
      failuresPerAccount: config.portal.loginFailuresPerAccount,
      failuresPerAddress: config.portal.loginFailuresPerAddress,
    },
    ...extra,
  };
}

/** Enough for every tenant and user of a large deployment's busy set; each entry is one parsed record. */
export const DEFAULT_DIRECTORY_CACHE_ENTRIES = 20_000;
/** A backstop only: every change is already caught by the directory version. */
const DIRECTORY_CACHE_MAX_AGE_MS = 5 * 60_000;

export function createLedger(opts: LedgerOptions): RedisLedger {
  const owned = opts.client === undefined;
  const client = opts.client ?? connectRedis(opts);
  const connectTimeoutMs = opts.connectTimeoutMs ?? 2000;
  const guard = new RedisGuard(client, {
    connectTimeoutMs,
    operationTimeoutMs: opts.operationTimeoutMs ?? connectTimeoutMs + 2 * (opts.commandTimeoutMs ?? 1000),
    ...(opts.metrics ? { metrics: opts.metrics } : {}),
    ...(opts.logger ? { logger: opts.logger } : {}),
    ...(opts.minReplicasAcked !== undefined ? { minReplicasAcked: opts.minReplicasAcked } : {}),
    ...(opts.replicaAckTimeoutMs !== undefined ? { replicaAckTimeoutMs: opts.replicaAckTimeoutMs } : {}),
  });
  const ctx: LedgerContext = {
    client,
    scripts: registerScripts(client),
    guard,
    global: globalKeys(opts.keyPrefix),
    keys: (tenantId) => tenantKeys(opts.keyPrefix, tenantId),
    plans: opts.plans,
    dialOutMinutesPerLicence: opts.dialOutMinutesPerLicence,
    leaseMs: opts.leaseSeconds * 1000,
    sliceSeconds: opts.sliceSeconds,
    retentionMs: opts.usageRetentionDays * 86_400_000,
    settledTtlMs: (opts.settledRetentionSeconds ?? 7 * 86_400) * 1000,
    prefix: opts.keyPrefix,
    skewMs: opts.maxClockSkewMs ?? 600_000,
    rechargePendingMs: opts.rechargePendingMs ?? 600_000,
    liveSlotsSeen: new Map(),
    directory: new DirectoryCache({ maxEntries: opts.directoryCacheEntries ?? DEFAULT_DIRECTORY_CACHE_ENTRIES, maxAgeMs: DIRECTORY_CACHE_MAX_AGE_MS }),
    history: opts.history === true,
    instanceId: opts.instanceId ?? `${hostname()}-${process.pid}`,
  };
  const cache = new holds.PoolKeyCache();
  return {
    client,
    keyPrefix: opts.keyPrefix,
    history: ctx.history,
    outbox: createOutbox(ctx),
    historyOutbox: createHistoryOutbox(ctx),
    portal: createPortalStore(ctx, {
      idleMs: opts.portal?.idleMs ?? 30 * 60_000,
      maxMs: opts.portal?.maxMs ?? 12 * 3_600_000,
      windowMs: opts.portal?.windowMs ?? 900_000,
      failuresPerAccount: opts.portal?.failuresPerAccount ?? 5,
      failuresPerAddress: opts.portal?.failuresPerAddress ?? 50,
    }),
    ready: () => guard.ready(),
    putTenant: (t) => provisioning.putTenant(ctx, t),
    getTenant: (id) => provisioning.getTenant(ctx, id),
    deleteTenant: (id, opts) => provisioning.deleteTenant(ctx, id, opts),
    listTenants: () => provisioning.listTenants(ctx),
    getTenants: (ids) => provisioning.getTenants(ctx, ids),
    putUser: (u) => provisioning.putUser(ctx, u),
    getUser: (t, u) => provisioning.getUser(ctx, t, u),
    deleteUser: (t, u) => provisioning.deleteUser(ctx, t, u),
    listUsers: (t) => provisioning.listUsers(ctx, t),
    findUserByNumber: (n) => provisioning.findUserByNumber(ctx, n),
    putServiceNumber: (n) => provisioning.putServiceNumber(ctx, n),
    getServiceNumber: (n) => provisioning.getServiceNumber(ctx, n),
    deleteServiceNumber: (n) => provisioning.deleteServiceNumber(ctx, n),
    listServiceNumbers: (t) => provisioning.listServiceNumbers(ctx, t),
    loadPayer: (t, u, o) => provisioning.loadPayer(ctx, t, u, o),
    findPayerByNumber: (n, o) => provisioning.findPayerByNumber(ctx, n, o),
    findServicePayer: (n, o) => provisioning.findServicePayer(ctx, n, o),
    hold: (req) => holds.hold(ctx, cache, req),
    answer: (t, c, at, now, wire) => holds.answer(ctx, t, c, at, now, wire),
    extend: (t, c, now) => holds.extend(ctx, cache, t, c, now),
    renewLeases: (t, calls) => holds.renewLeases(ctx, t, calls),
    setWire: (t, c, wire) => holds.setWire(ctx, t, c, wire),
    settle: (t, c, at, why, o) => holds.settle(ctx, cache, t, c, at, why, o),
    // A never-answered call settles to a charge of 0; one that was answered pays its time.
    release: (t, c, at, why, o) => holds.settle(ctx, cache, t, c, at, why, o),
    recoverExpired: () => holds.recoverExpired(ctx, cache),
    recoveryPass: () => holds.recoverExpiredPass(ctx, cache),
    topUp: (t, ref, amount, now) => accounts.topUp(ctx, t, ref, amount, now),
    adjust: (t, ref, amount, now) => accounts.adjust(ctx, t, ref, amount, now),
    balance: (t, now) => accounts.balance(ctx, t, now),
    usage: (t, from, to) => usageStream.usage(ctx, t, from, to),
    recordUsage: (r) => usageStream.recordUsage(ctx, r),
    async close() {
      if (!owned) return;
      try {
        await client.quit();
      } catch {
        client.disconnect();
      }
    },
  };
}
