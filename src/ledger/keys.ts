/**
 * Redis key names of the ledger. Every key of one tenant carries the tenant
 * id as a hash tag, so a script touching them stays in one cluster slot.
 */
import type { PoolRef } from '../domain.js';
import { slotTag, tenantSlot } from './slots.js';

/** Tenant ids go into key names and hash tags: no braces, no spaces. */
export const TENANT_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

/** Names a pool within its tenant and month: "plan:US:DOMESTIC:domestic" or "dialout". */
export function poolId(pool: PoolRef): string {
  return pool.kind === 'dialout' ? 'dialout' : `plan:${pool.country}:${pool.sku}:${pool.scope}`;
}

/** Tenants whose key names are kept built (a call asks for them at each step); past it the oldest are built again when asked. */
const KEYS_KEPT = 10_000;
const built = new Map<string, Map<string, TenantKeys>>();

/** The key names of one tenant under a prefix, built once and kept (they are plain strings and pure functions). */
export function tenantKeys(prefix: string, tenantId: string): TenantKeys {
  let byTenant = built.get(prefix);
  if (!byTenant) {
    byTenant = new Map();
    built.set(prefix, byTenant);
  }
  let keys = byTenant.get(tenantId);
  if (!keys) {
    keys = buildTenantKeys(prefix, tenantId);
    if (byTenant.size >= KEYS_KEPT) byTenant.delete(byTenant.keys().next().value!);
    byTenant.set(tenantId, keys);
  }
  return keys;
}

function buildTenantKeys(prefix: string, tenantId: string) {
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
    /** Limits of rule 28: live calls and held money per user, the attempt bucket, spend windows, notice windows. */
    limits: `${t}:limits`,
    hold: (callId: string) => `${t}:hold:${callId}`,
    /** The tenant's cluster slot, and the slot-wide indexes its scripts write. */
    slot: tenantSlot(tenantId),
    ...slotKeys(prefix, tenantSlot(tenantId)),
    pool: (pool: PoolRef) => `${t}:pool:${pool.month}:${poolId(pool)}`,
  };
}

export type TenantKeys = Readonly<ReturnType<typeof buildTenantKeys>>;

/** Indexes shared by every tenant of one cluster slot (see slots.ts). */
export function slotKeys(prefix: string, slot: number) {
  const s = `${prefix}:slot:{${slotTag(slot)}}`;
  return {
    /** "tenantId:callId" -> lease expiry (Redis time, ms): the due-index recovery reads. */
    due: `${s}:due`,
    /** Effects of money changes (recharge due, notices), consumed by any instance. */
    outbox: `${s}:outbox`,
    /** Usage records and balance journal entries not yet written to PostgreSQL (src/history). */
    history: `${s}:history`,
  };
}

/** Member of a due-index: tenant ids never contain ":", so the first ":" splits it. */
export function dueMember(tenantId: string, callId: string): string {
  return `${tenantId}:${callId}`;
}

export function parseDueMember(member: string): { tenantId: string; callId: string } | null {
  const at = member.indexOf(':');
  if (at <= 0 || at === member.length - 1) return null;
  return { tenantId: member.slice(0, at), callId: member.slice(at + 1) };
}

/** Global lookups outside any tenant slot: written only by single-key commands. */
export function globalKeys(prefix: string) {
  return {
    /** Set of tenant ids (listing). */
    tenants: `${prefix}:tenants`,
    /** Set of the cluster slots that hold tenants. */
    slots: `${prefix}:slots`,
    /**
     * Slots with live holds or effects waiting: slot -> when a hold there was last registered (ms).
     * Registered before each hold script runs; recovery and the outbox look only here.
     */
    liveSlots: `${prefix}:live-slots`,
    /** E.164 -> JSON [tenantId, userId]. */
    userByNumber: (e164: string) => `${prefix}:idx:user:${e164}`,
    /** E.164 -> tenant id. */
    serviceNumber: (e164: string) => `${prefix}:idx:svc:${e164}`,
  };
}
