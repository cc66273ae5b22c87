/**
 * Redis key names of the ledger. Every key of one tenant carries the tenant
 * id as a hash tag, so a script touching them stays in one cluster slot.
 */
import type { PoolRef } from '../domain.js';

/** Tenant ids go into key names and hash tags: no braces, no spaces. */
export const TENANT_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

/** Names a pool within its tenant and month: "plan:US:DOMESTIC:domestic" or "dialout". */
export function poolId(pool: PoolRef): string {
  return pool.kind === 'dialout' ? 'dialout' : `plan:${pool.country}:${pool.sku}:${pool.scope}`;
}

export function tenantKeys(prefix: string, tenantId: string) {
  const t = `${prefix}:{${tenantId}}`;
  return {
    /** Tenant record, JSON string. */
    tenant: `${t}:tenant`,
    /** Money: cur, step, lim, thr, bal, held, ulast, ulag. */
    account: `${t}:account`,
    /** User id -> user JSON. */
    users: `${t}:users`,
    /** "plan:CC:SKU" and "licence:audioConferencing" -> count. */
    counts: `${t}:counts`,
    /** E.164 -> service number JSON. */
    numbers: `${t}:numbers`,
    /** Call id -> lease expiry ms, for recovery. */
    leases: `${t}:leases`,
    /** Top-up reference -> "amount balance-after at-ms". */
    topUps: `${t}:topups`,
    /** Usage records, in the order calls ended. */
    usage: `${t}:usage`,
    /** Pool key -> pool ref JSON: every pool a call has drawn on. */
    poolRegistry: `${t}:pools`,
    hold: (callId: string) => `${t}:hold:${callId}`,
    pool: (pool: PoolRef) => `${t}:pool:${pool.month}:${poolId(pool)}`,
  };
}

export type TenantKeys = ReturnType<typeof tenantKeys>;

/** Global lookups outside any tenant slot: written only by single-key commands. */
export function globalKeys(prefix: string) {
  return {
    /** Set of tenant ids (listing, recovery). */
    tenants: `${prefix}:tenants`,
    /** E.164 -> JSON [tenantId, userId]. */
    userByNumber: (e164: string) => `${prefix}:idx:user:${e164}`,
    /** E.164 -> tenant id. */
    serviceNumber: (e164: string) => `${prefix}:idx:svc:${e164}`,
  };
}
