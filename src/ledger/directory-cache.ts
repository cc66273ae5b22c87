/**
 * This instance's copy of the directory admission reads on every call: tenant
 * records with their plan and licence counts, users, service numbers, and the
 * number indexes. Each tenant entry carries the directory version it was read
 * at (lib/directory.lua); the hold script refuses a hold decided on another
 * version, and the caller decides again on a fresh read, so a cached entry is
 * never what admits a call after a change on any instance. Refusals decided on
 * cached data are decided again fresh by the caller too. Only what exists is
 * cached (a number not found is asked again every time); the least recently
 * used entries go past the size bound, and any entry is read again after
 * `maxAgeMs`.
 */
import type { ServiceNumber, Tenant, User } from '../domain.js';

export interface CachedTenant {
  version: string;
  tenant: Tenant;
  planHolders: Record<string, number>;
  audioConferencingLicences: number;
  users: Map<string, User>;
  services: Map<string, ServiceNumber>;
  readAtMs: number;
}

export interface DirectoryCacheOptions {
  /** Tenants, users, service numbers and index entries kept, in all; 0 turns the cache off. */
  maxEntries: number;
  /** An entry older than this is read again (a backstop: versions already catch every change). */
  maxAgeMs: number;
  now?: () => number;
}

/** Cached records are shared by every call that reads them: frozen, so no reader can change another's. */
function frozen<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value as Record<string, unknown>)) frozen(v);
  }
  return value;
}

export class DirectoryCache {
  private readonly tenants = new Map<string, CachedTenant>();
  /** E.164 -> [tenant id, user id] and E.164 -> tenant id: global indexes, verified through the tenant entry. */
  private readonly userOwners = new Map<string, [string, string]>();
  private readonly serviceOwners = new Map<string, string>();
  private entries = 0;
  private readonly now: () => number;

  constructor(private readonly opts: DirectoryCacheOptions) {
    this.now = opts.now ?? Date.now;
  }

  get enabled(): boolean {
    return this.opts.maxEntries > 0;
  }

  get size(): number {
    return this.entries;
  }

  tenant(tenantId: string): CachedTenant | undefined {
    const entry = this.tenants.get(tenantId);
    if (!entry) return undefined;
    if (this.now() - entry.readAtMs > this.opts.maxAgeMs) {
      this.dropTenant(tenantId);
      return undefined;
    }
    // Most recently used last: eviction takes from the front.
    this.tenants.delete(tenantId);
    this.tenants.set(tenantId, entry);
    return entry;
  }

  /** Stores a fresh read. A read at another version replaces the tenant's entry (and the users and numbers cached under it). */
  storeTenant(tenantId: string, read: Omit<CachedTenant, 'users' | 'services' | 'readAtMs'>, user?: User, service?: ServiceNumber): void {
    if (!this.enabled) return;
    let entry = this.tenants.get(tenantId);
    if (!entry || entry.version !== read.version) {
      if (entry) this.dropTenant(tenantId);
      entry = { ...frozen(read), users: new Map(), services: new Map(), readAtMs: this.now() };
      this.tenants.set(tenantId, entry);
      this.entries++;
    }
    if (user && !entry.users.has(user.id)) {
      entry.users.set(user.id, frozen(user));
      this.entries++;
    }
    if (service && !entry.services.has(service.number)) {
      entry.services.set(service.number, frozen(service));
      this.entries++;
    }
    this.evict();
  }

  dropTenant(tenantId: string): void {
    const entry = this.tenants.get(tenantId);
    if (!entry) return;
    this.tenants.delete(tenantId);
    this.entries -= 1 + entry.users.size + entry.services.size;
  }

  userOwner(e164: string): [string, string] | undefined {
    return this.userOwners.get(e164);
  }

  storeUserOwner(e164: string, owner: [string, string]): void {
    if (!this.enabled || this.userOwners.has(e164)) return;
    this.userOwners.set(e164, owner);
    this.entries++;
    this.evict();
  }

  serviceOwner(e164: string): string | undefined {
    return this.serviceOwners.get(e164);
  }

  storeServiceOwner(e164: string, tenantId: string): void {
    if (!this.enabled || this.serviceOwners.has(e164)) return;
    this.serviceOwners.set(e164, tenantId);
    this.entries++;
    this.evict();
  }

  /** Forgets a number's index entries (after a fresh read found them wrong or gone). */
  dropNumber(e164: string): void {
    if (this.userOwners.delete(e164)) this.entries--;
    if (this.serviceOwners.delete(e164)) this.entries--;
  }

  clear(): void {
    this.tenants.clear();
    this.userOwners.clear();
    this.serviceOwners.clear();
    this.entries = 0;
  }

  private evict(): void {
    while (this.entries > this.opts.maxEntries) {
      const oldestTenant = this.tenants.keys().next();
      if (!oldestTenant.done) {
        this.dropTenant(oldestTenant.value);
        continue;
      }
      const oldUser = this.userOwners.keys().next();
      if (!oldUser.done) {
        this.dropNumber(oldUser.value);
        continue;
      }
      const oldService = this.serviceOwners.keys().next();
      if (oldService.done) return;
      this.dropNumber(oldService.value);
    }
  }
}
