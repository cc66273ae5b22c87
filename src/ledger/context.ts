/**
 * What every part of the Redis ledger shares: the client, its scripts and
 * guard, key builders, and the resolved settings.
 */
import type { Cluster, Redis } from 'ioredis';
import type { PlanConfig } from '../config/schema.js';
import type { RedisGuard } from './connection.js';
import { globalKeys, type TenantKeys } from './keys.js';
import type { DirectoryCache } from './directory-cache.js';
import type { ScriptRunner } from './scripts.js';

export interface LedgerContext {
  client: Redis | Cluster;
  scripts: ScriptRunner;
  guard: RedisGuard;
  global: ReturnType<typeof globalKeys>;
  keys(tenantId: string): TenantKeys;
  plans: readonly PlanConfig[];
  dialOutMinutesPerLicence: number;
  leaseMs: number;
  sliceSeconds: number;
  retentionMs: number;
  settledTtlMs: number;
  /** Key prefix (redis.keyPrefix), for slot-wide keys. */
  prefix: string;
  /** How far an instance's clock may be from Redis time (ledger.maxClockSkewSeconds). */
  skewMs: number;
  /** How long a requested recharge blocks another request for the tenant. */
  rechargePendingMs: number;
  /** Append usage records and balance movements to the slot history streams (postgres.url is set). */
  history: boolean;
  /** Names this instance on the history it writes. */
  instanceId: string;
  /** Slots this instance registered as live, and when (ms): re-registered at most once a minute. */
  liveSlotsSeen: Map<number, number>;
  /** This instance's copy of the directory admission reads (directory-cache.ts). */
  directory: DirectoryCache;
}

/** A script reply's code and fields. */
export function replyCode(reply: unknown[]): number {
  return Number(reply[0]);
}
