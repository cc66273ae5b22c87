/**
 * Redis store of who may sign in to a tenant's portal and API: tenant admin
 * accounts (password hashes only), their sessions, tenant API keys (SHA-256 of
 * the secret only) and the failed-sign-in counters that slow brute force.
 * Every key of one tenant carries its id as a hash tag (rule 30: a session or
 * key names exactly one tenant); the operator's sessions live under {_operator}.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { ScriptCode } from './codes.js';
import type { LedgerContext } from './context.js';
import { LedgerError } from './errors.js';

/** The hash tag of the operator's own portal keys: "_" never starts a tenant id, so no tenant can own it. */
const OPERATOR_TAG = '_operator';

export type AccessLevel = 'read' | 'manage';

export interface AdminAccount {
  id: string;
  tenantId: string;
  email: string;
  displayName: string;
  role: AccessLevel;
  createdAt: string;
}

export interface ApiKeyRecord {
  id: string;
  tenantId: string;
  name: string;
  scope: AccessLevel;
  createdAt: string;
  revokedAt?: string;
}

/** A signed-in browser: the operator, or one admin of one tenant. */
export interface PortalSession {
  /** Absent for the operator. */
  tenantId?: string;
  adminId?: string;
  role: AccessLevel;
  csrfToken: string;
  createdAtMs: number;
}

export interface LoginFailures {
  account: number;
  address: number;
  /** Until the larger counter's window ends (ms), when it is over its limit. */
  retryAfterMs: number;
}

const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');
const b64url = (text: string) => Buffer.from(text, 'utf8').toString('base64url');
const unb64url = (text: string) => Buffer.from(text, 'base64url').toString('utf8');
/** A claim on an e-mail address with no account behind it after this long is left over from a failed creation. */
const STALE_CLAIM_MS = 60_000;
const newId = (prefix: string) => `${prefix}_${randomBytes(8).toString('hex')}`;

/** E-mail addresses compare case-insensitively: one account per address across every tenant. */
export function normalEmail(email: string): string {
  return email.trim().toLowerCase();
}

export function portalKeys(prefix: string, tenantId: string | undefined) {
  const t = `${prefix}:{${tenantId ?? OPERATOR_TAG}}`;
  return {
    admin: (adminId: string) => `${t}:admin:${adminId}`,
    admins: `${t}:admins`,
    session: (tokenHash: string) => `${t}:session:${tokenHash}`,
    apiKeys: `${t}:apikeys`,
    /** A purchase through the payment provider in flight, by its reference (one at a time). */
    purchase: (reference: string) => `${t}:purchase:${sha256(reference)}`,
    /** The operator's session epoch (sign-out everywhere). */
    operator: `${t}:operator`,
  };
}

/** Global single-key lookups, outside every tenant slot. */
function globalPortalKeys(prefix: string) {
  return {
    /** Normalized e-mail -> JSON [tenantId, adminId, claimed at ms]. */
    adminByEmail: (email: string) => `${prefix}:idx:admin-email:${sha256(email)}`,
    failuresOfAccount: (email: string) => `${prefix}:login-fail:account:${sha256(email)}`,
    failuresOfAddress: (address: string) => `${prefix}:login-fail:address:${address}`,
  };
}

export interface PortalStoreOptions {
  idleMs: number;
  maxMs: number;
  windowMs: number;
  failuresPerAccount: number;
  failuresPerAddress: number;
}

export interface PortalStore {
  createAdmin(tenantId: string, a: { email: string; displayName: string; role: AccessLevel; passwordHash: string }, nowMs: number): Promise<AdminAccount>;
  listAdmins(tenantId: string): Promise<AdminAccount[]>;
  getAdmin(tenantId: string, adminId: string): Promise<AdminAccount | null>;
  /** The account and its password hash, for sign-in only. */
  findAdminForLogin(email: string): Promise<{ account: AdminAccount; passwordHash: string } | null>;
  deleteAdmin(tenantId: string, adminId: string): Promise<boolean>;
  /** New password: every session of the account ends. */
  setPassword(tenantId: string, adminId: string, passwordHash: string): Promise<boolean>;
  /** Ends every session of one admin (or of the operator when tenantId and adminId are undefined). */
  signOutEverywhere(tenantId: string | undefined, adminId: string | undefined): Promise<boolean>;
  /** A new session; the cookie value is returned once and never stored. */
  openSession(s: { tenantId?: string; adminId?: string; role: AccessLevel }, nowMs: number): Promise<{ cookie: string; session: PortalSession }>;
  /** The session a cookie names while it is alive (idle and absolute limits, account epoch); refreshes its idle time. */
  readSession(cookie: string, nowMs: number): Promise<PortalSession | null>;
  closeSession(cookie: string): Promise<void>;
  createApiKey(tenantId: string, k: { name: string; scope: AccessLevel }, nowMs: number): Promise<{ key: string; record: ApiKeyRecord }>;
  listApiKeys(tenantId: string): Promise<ApiKeyRecord[]>;
  revokeApiKey(tenantId: string, keyId: string, nowMs: number): Promise<ApiKeyRecord | null>;
  /** The live (not revoked) key a presented secret is, or null. */
  verifyApiKey(presented: string): Promise<ApiKeyRecord | null>;
  loginFailures(email: string, address: string): Promise<LoginFailures>;
  recordLoginFailure(email: string, address: string): Promise<void>;
  clearLoginFailures(email: string): Promise<void>;
  /** Claims a purchase reference while its payment is in flight; null when another request holds it. */
  claimPurchase(tenantId: string, reference: string, ttlMs: number): Promise<(() => Promise<void>) | null>;
  /** Removes every account, session index and key of a deleted tenant. */
  purgeTenant(tenantId: string): Promise<void>;
}

interface SessionFields {
  adminId?: string;
  role?: string;
  csrf?: string;
  epoch?: string;
  createdAt?: string;
}

/** Cookie value: "o.<token>" for the operator, "t.<base64url tenant id>.<token>" for a tenant admin. */
function parseCookie(cookie: string): { tenantId?: string; token: string } | null {
  const parts = cookie.split('.');
  if (parts[0] === 'o' && parts.length === 2 && parts[1]!.length >= 32) return { token: parts[1]! };
  if (parts[0] === 't' && parts.length === 3 && parts[2]!.length >= 32) {
    const tenantId = unb64url(parts[1]!);
    if (!/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/.test(tenantId)) return null;
    return { tenantId, token: parts[2]! };
  }
  return null;
}

/** API key text: "tgk_<base64url tenant id>.<key id>.<secret>". */
function parseApiKey(text: string): { tenantId: string; keyId: string; secret: string } | null {
  const m = /^tgk_([A-Za-z0-9_-]{1,90})\.(key_[0-9a-f]{16})\.([A-Za-z0-9_-]{43})$/.exec(text);
  if (!m) return null;
  const tenantId = unb64url(m[1]!);
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/.test(tenantId)) return null;
  return { tenantId, keyId: m[2]!, secret: m[3]! };
}

function accountOf(tenantId: string, h: Record<string, string>): AdminAccount | null {
  if (!h.id) return null;
  return { id: h.id, tenantId, email: h.email ?? '', displayName: h.displayName ?? '', role: h.role === 'read' ? 'read' : 'manage', createdAt: h.createdAt ?? '' };
}

function publicKey(r: ApiKeyRecord & { hash?: string }): ApiKeyRecord {
  const { hash: _hash, ...rest } = r;
  return rest;
}

export function createPortalStore(ctx: LedgerContext, opts: PortalStoreOptions): PortalStore {
  const { client, guard } = ctx;
  const keys = (tenantId: string | undefined) => portalKeys(ctx.prefix, tenantId);
  const global = globalPortalKeys(ctx.prefix);

  async function epochOf(tenantId: string | undefined, adminId: string | undefined): Promise<string | null> {
    if (tenantId === undefined) return (await guard.run('portal_session', () => client.hget(keys(undefined).operator, 'epoch'))) ?? '0';
    return guard.run('portal_session', () => client.hget(keys(tenantId).admin(adminId ?? ''), 'epoch'));
  }

  async function getAdmin(tenantId: string, adminId: string): Promise<AdminAccount | null> {
    const h = await guard.run('portal_admin', () => client.hgetall(keys(tenantId).admin(adminId)));
    return accountOf(tenantId, h);
  }

  return {
    async createAdmin(tenantId, a, nowMs) {
      const email = normalEmail(a.email);
      const id = newId('adm');
      const index = global.adminByEmail(email);
      const claim = JSON.stringify([tenantId, id, nowMs]);
      if ((await guard.run('portal_admin', () => client.set(index, claim, 'NX'))) !== 'OK') {
        // The address may point at an account deleted without its index (a crash between the two steps):
        // a claim with no account, older than a creation takes, is taken over; anything else is a live account.
        const held = await guard.run('portal_admin', () => client.get(index));
        const [t, holder, at] = held ? (JSON.parse(held) as [string, string, number?]) : [];
        const stale = held && t !== undefined && holder !== undefined && nowMs - (at ?? 0) > STALE_CLAIM_MS && !(await getAdmin(t, holder));
        if (!stale) throw new LedgerError('ADMIN_EXISTS', `an admin account with e-mail ${email} already exists`);
        const reply = await guard.run('portal_admin', () => ctx.scripts.run('del_if_equal', [index], [held]));
        if (Number(reply[1]) !== 1 || (await guard.run('portal_admin', () => client.set(index, claim, 'NX'))) !== 'OK') {
          throw new LedgerError('ADMIN_EXISTS', `an admin account with e-mail ${email} already exists`);
        }
      }
      const k = keys(tenantId);
      const createdAt = new Date(nowMs).toISOString();
      const body = JSON.stringify({ email, displayName: a.displayName, role: a.role, hash: a.passwordHash, createdAt });
      const reply = await guard.run('put_admin', () => ctx.scripts.run('put_admin', [ctx.keys(tenantId).tenant, k.admin(id), k.admins], [id, body]));
      const code = Number(reply[0]);
      if (code !== ScriptCode.OK) {
        await guard.run('portal_admin', () => ctx.scripts.run('del_if_equal', [index], [claim]));
        if (code === ScriptCode.UNKNOWN_TENANT) throw new LedgerError('UNKNOWN_TENANT', `tenant "${tenantId}" does not exist`);
        throw new LedgerError('ADMIN_EXISTS', `admin account ${id} already exists`);
      }
      return { id, tenantId, email, displayName: a.displayName, role: a.role, createdAt };
    },

    async listAdmins(tenantId) {
      const ids = await guard.run('portal_admin', () => client.smembers(keys(tenantId).admins));
      const found = await Promise.all(ids.sort().map((id) => getAdmin(tenantId, id)));
      return found.filter((a): a is AdminAccount => a !== null).sort((x, y) => x.email.localeCompare(y.email));
    },

    getAdmin,

    async findAdminForLogin(email) {
      const held = await guard.run('portal_login', () => client.get(global.adminByEmail(normalEmail(email))));
      if (!held) return null;
      const [tenantId, adminId] = JSON.parse(held) as [string, string, number?];
      const h = await guard.run('portal_login', () => client.hgetall(keys(tenantId).admin(adminId)));
      const account = accountOf(tenantId, h);
      return account && h.hash ? { account, passwordHash: h.hash } : null;
    },

    async deleteAdmin(tenantId, adminId) {
      const account = await getAdmin(tenantId, adminId);
      const k = keys(tenantId);
      const reply = await guard.run('delete_admin', () => ctx.scripts.run('delete_admin', [k.admin(adminId), k.admins], [adminId]));
      if (account) {
        const index = global.adminByEmail(account.email);
        const held = await guard.run('portal_admin', () => client.get(index));
        const [t, holder] = held ? (JSON.parse(held) as [string, string]) : [];
        if (held && t === tenantId && holder === adminId) await guard.run('portal_admin', () => ctx.scripts.run('del_if_equal', [index], [held]));
      }
      return Number(reply[1]) === 1;
    },

    async setPassword(tenantId, adminId, passwordHash) {
      const key = keys(tenantId).admin(adminId);
      if (!(await getAdmin(tenantId, adminId))) return false;
      await guard.run('portal_admin', () => client.multi().hset(key, 'hash', passwordHash).hincrby(key, 'epoch', 1).exec());
      return true;
    },

    async signOutEverywhere(tenantId, adminId) {
      if (tenantId === undefined) {
        await guard.run('portal_session', () => client.hincrby(keys(undefined).operator, 'epoch', 1));
        return true;
      }
      if (!adminId || !(await getAdmin(tenantId, adminId))) return false;
      await guard.run('portal_session', () => client.hincrby(keys(tenantId).admin(adminId), 'epoch', 1));
      return true;
    },

    async openSession(s, nowMs) {
      const token = randomBytes(32).toString('base64url');
      const csrfToken = randomBytes(32).toString('base64url');
      const epoch = await epochOf(s.tenantId, s.adminId);
      if (epoch === null) throw new LedgerError('BAD_INPUT', 'no such admin account');
      const key = keys(s.tenantId).session(sha256(token));
      await guard.run('portal_session', () =>
        client
          .multi()
          .hset(key, { ...(s.adminId ? { adminId: s.adminId } : {}), role: s.role, csrf: csrfToken, epoch, createdAt: String(nowMs) })
          .pexpire(key, Math.min(opts.idleMs, opts.maxMs))
          .exec(),
      );
      const cookie = s.tenantId === undefined ? `o.${token}` : `t.${b64url(s.tenantId)}.${token}`;
      return { cookie, session: { ...(s.tenantId ? { tenantId: s.tenantId } : {}), ...(s.adminId ? { adminId: s.adminId } : {}), role: s.role, csrfToken, createdAtMs: nowMs } };
    },

    async readSession(cookie, nowMs) {
      const parsed = parseCookie(cookie);
      if (!parsed) return null;
      const key = keys(parsed.tenantId).session(sha256(parsed.token));
      const h = (await guard.run('portal_session', () => client.hgetall(key))) as SessionFields;
      if (!h.csrf || !h.createdAt) return null;
      const createdAtMs = Number(h.createdAt);
      const left = createdAtMs + opts.maxMs - nowMs;
      if (left <= 0) {
        await guard.run('portal_session', () => client.del(key));
        return null;
      }
      // An account deleted, re-passworded or signed out everywhere has a new epoch (or none).
      const epoch = await epochOf(parsed.tenantId, h.adminId);
      if (epoch === null || epoch !== h.epoch) {
        await guard.run('portal_session', () => client.del(key));
        return null;
      }
      await guard.run('portal_session', () => client.pexpire(key, Math.min(opts.idleMs, left)));
      return {
        ...(parsed.tenantId !== undefined ? { tenantId: parsed.tenantId } : {}),
        ...(h.adminId ? { adminId: h.adminId } : {}),
        role: h.role === 'read' ? 'read' : 'manage',
        csrfToken: h.csrf,
        createdAtMs,
      };
    },

    async closeSession(cookie) {
      const parsed = parseCookie(cookie);
      if (!parsed) return;
      await guard.run('portal_session', () => client.del(keys(parsed.tenantId).session(sha256(parsed.token))));
    },

    async createApiKey(tenantId, k, nowMs) {
      const id = `key_${randomBytes(8).toString('hex')}`;
      const secret = randomBytes(32).toString('base64url');
      const record: ApiKeyRecord = { id, tenantId, name: k.name, scope: k.scope, createdAt: new Date(nowMs).toISOString() };
      const stored = JSON.stringify({ ...record, hash: sha256(secret) });
      const added = await guard.run('portal_api_key', () => client.hsetnx(keys(tenantId).apiKeys, id, stored));
      if (added !== 1) throw new LedgerError('BAD_INPUT', 'key id collision; try again');
      return { key: `tgk_${b64url(tenantId)}.${id}.${secret}`, record };
    },

    async listApiKeys(tenantId) {
      const all = await guard.run('portal_api_key', () => client.hvals(keys(tenantId).apiKeys));
      return all.map((j) => publicKey(JSON.parse(j) as ApiKeyRecord)).sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id));
    },

    async revokeApiKey(tenantId, keyId, nowMs) {
      const key = keys(tenantId).apiKeys;
      const json = await guard.run('portal_api_key', () => client.hget(key, keyId));
      if (!json) return null;
      const r = JSON.parse(json) as ApiKeyRecord & { hash: string };
      if (!r.revokedAt) {
        r.revokedAt = new Date(nowMs).toISOString();
        await guard.run('portal_api_key', () => client.hset(key, keyId, JSON.stringify(r)));
      }
      return publicKey(r);
    },

    async verifyApiKey(presented) {
      const parsed = parseApiKey(presented);
      if (!parsed) return null;
      const json = await guard.run('portal_api_key', () => client.hget(keys(parsed.tenantId).apiKeys, parsed.keyId));
      if (!json) return null;
      const r = JSON.parse(json) as ApiKeyRecord & { hash: string };
      const match = timingSafeEqual(Buffer.from(sha256(parsed.secret), 'hex'), Buffer.from(r.hash, 'hex'));
      return match && !r.revokedAt && r.tenantId === parsed.tenantId ? publicKey(r) : null;
    },

    async loginFailures(email, address) {
      const a = global.failuresOfAccount(normalEmail(email));
      const b = global.failuresOfAddress(address);
      const [[countA, ttlA], [countB, ttlB]] = await Promise.all(
        [a, b].map((key) => guard.run('portal_login', async () => [Number((await client.get(key)) ?? 0), await client.pttl(key)] as const)),
      ) as [[number, number], [number, number]];
      let retryAfterMs = 0;
      if (countA >= opts.failuresPerAccount) retryAfterMs = Math.max(retryAfterMs, ttlA);
      if (countB >= opts.failuresPerAddress) retryAfterMs = Math.max(retryAfterMs, ttlB);
      return { account: countA, address: countB, retryAfterMs };
    },

    async recordLoginFailure(email, address) {
      for (const key of [global.failuresOfAccount(normalEmail(email)), global.failuresOfAddress(address)]) {
        // The window starts at the first failure; INCR keeps the expiry SET gave.
        await guard.run('portal_login', () => client.set(key, '0', 'PX', opts.windowMs, 'NX'));
        await guard.run('portal_login', () => client.incr(key));
      }
    },

    async clearLoginFailures(email) {
      await guard.run('portal_login', () => client.del(global.failuresOfAccount(normalEmail(email))));
    },

    async claimPurchase(tenantId, reference, ttlMs) {
      const key = keys(tenantId).purchase(reference);
      const owner = randomBytes(12).toString('hex');
      const ok = (await guard.run('portal_purchase', () => client.set(key, owner, 'PX', ttlMs, 'NX'))) === 'OK';
      if (!ok) return null;
      return async () => {
        await guard.run('portal_purchase', () => ctx.scripts.run('del_if_equal', [key], [owner]));
      };
    },

    async purgeTenant(tenantId) {
      for (const a of await this.listAdmins(tenantId)) await this.deleteAdmin(tenantId, a.id);
      await guard.run('portal_api_key', () => client.del(keys(tenantId).apiKeys));
    },
  };
}
