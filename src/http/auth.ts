/**
 * Who is asking, and may they: the operator (admin token, or a portal session
 * opened with it), a tenant API key, or a tenant admin's portal session.
 * Rule 30: a tenant principal reaches only routes marked for tenants
 * (config.tenantAccess) and only its own tenant; a change made with a session
 * cookie needs the session's CSRF token. Tokens are hashed before the
 * constant-time comparison so it always sees equal-length buffers.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AccessLevel, PortalSession, PortalStore } from '../ledger/portal-store.js';
import { HttpError, notFound } from './errors.js';

export type Principal =
  | { kind: 'operator'; via: 'token' | 'session'; session?: PortalSession }
  | {
      kind: 'tenant';
      tenantId: string;
      access: AccessLevel;
      via: 'session' | 'key';
      adminId?: string;
      keyId?: string;
      session?: PortalSession;
    };

declare module 'fastify' {
  interface FastifyRequest {
    principal?: Principal;
  }
  interface FastifyContextConfig {
    /** Tenant principals may use this route (their own tenant only) with at least this access; operator-only without it. */
    tenantAccess?: AccessLevel;
  }
}

/** The portal's session cookie: __Host- keeps it on this origin, Path=/ and Secure. */
export const SESSION_COOKIE = '__Host-tollgate_session';
export const CSRF_HEADER = 'x-csrf-token';

const digest = (text: string) => createHash('sha256').update(text, 'utf8').digest();

export function tokenMatches(presented: string, expected: string): boolean {
  return timingSafeEqual(digest(presented), digest(expected));
}

export type AuthPort = Pick<PortalStore, 'readSession' | 'verifyApiKey'>;

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** The value of one cookie of the request, or undefined. */
export function cookieValue(request: FastifyRequest, name: string): string | undefined {
  const header = request.headers.cookie;
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const at = part.indexOf('=');
    if (at > 0 && part.slice(0, at).trim() === name) return part.slice(at + 1).trim();
  }
  return undefined;
}

/**
 * A browser's change must come from our own pages: the session's CSRF token
 * in a header (another site cannot read it), and an Origin, when sent, of this host.
 */
export function checkCsrf(request: FastifyRequest, session: PortalSession): void {
  if (SAFE_METHODS.has(request.method)) return;
  const origin = request.headers.origin;
  if (origin !== undefined && origin !== 'null') {
    let host: string | undefined;
    try {
      host = new URL(origin).host;
    } catch {
      host = undefined;
    }
    if (host !== request.headers.host) throw new HttpError(403, 'CSRF_REJECTED', `a change from another origin (${origin}) is refused`);
  } else if (origin === 'null') {
    throw new HttpError(403, 'CSRF_REJECTED', 'a change from an opaque origin is refused');
  }
  const presented = request.headers[CSRF_HEADER];
  if (typeof presented !== 'string' || presented === '') {
    throw new HttpError(403, 'CSRF_REQUIRED', `a change made with a session needs the ${CSRF_HEADER} header of that session`);
  }
  if (!tokenMatches(presented, session.csrfToken)) throw new HttpError(403, 'CSRF_REJECTED', `wrong ${CSRF_HEADER} for this session`);
}

export function principalOfSession(session: PortalSession): Principal {
  if (session.tenantId === undefined) return { kind: 'operator', via: 'session', session };
  return {
    kind: 'tenant',
    tenantId: session.tenantId,
    access: session.role,
    via: 'session',
    ...(session.adminId ? { adminId: session.adminId } : {}),
    session,
  };
}

function unauthorized(reply: FastifyReply, message: string, invalid: boolean): HttpError {
  reply.header('www-authenticate', invalid ? 'Bearer realm="tollgate", error="invalid_token"' : 'Bearer realm="tollgate"');
  return new HttpError(401, 'UNAUTHORIZED', message);
}

/**
 * Adds an onRequest hook to this plugin scope that sets request.principal, or
 * answers 401: `Authorization: Bearer <http.adminToken | tenant API key>` or a
 * live portal session cookie (with its CSRF token on a change).
 */
export function authenticate(app: FastifyInstance, opts: { adminToken: string; portal?: AuthPort; now: () => number }): void {
  app.addHook('onRequest', async (request, reply) => {
    const header = request.headers.authorization;
    if (header !== undefined) {
      const m = /^Bearer[ ]+(\S+)\s*$/i.exec(header);
      if (!m) throw unauthorized(reply, 'missing bearer token: send "Authorization: Bearer <http.adminToken>"', false);
      const presented = m[1]!;
      if (tokenMatches(presented, opts.adminToken)) {
        request.principal = { kind: 'operator', via: 'token' };
        return;
      }
      const key = presented.startsWith('tgk_') && opts.portal ? await opts.portal.verifyApiKey(presented) : null;
      if (!key) throw unauthorized(reply, presented.startsWith('tgk_') ? 'unknown or revoked API key' : 'wrong bearer token', true);
      request.principal = { kind: 'tenant', tenantId: key.tenantId, access: key.scope, via: 'key', keyId: key.id };
      return;
    }
    const cookie = opts.portal ? cookieValue(request, SESSION_COOKIE) : undefined;
    if (cookie !== undefined) {
      const session = await opts.portal!.readSession(cookie, opts.now());
      if (!session) throw new HttpError(401, 'SESSION_EXPIRED', 'the session has ended; sign in again');
      checkCsrf(request, session);
      request.principal = principalOfSession(session);
      return;
    }
    throw unauthorized(reply, 'missing bearer token: send "Authorization: Bearer <http.adminToken>"', false);
  });
}

/**
 * Rule 30, after authenticate: a tenant principal may use only routes marked
 * with tenantAccess, with enough access, and only for its own tenant (another
 * tenant's id reads as a tenant that does not exist: 404, nothing disclosed).
 */
export function authorizeTenants(app: FastifyInstance): void {
  app.addHook('onRequest', async (request) => {
    const p = request.principal;
    if (!p) throw new HttpError(401, 'UNAUTHORIZED', 'not signed in');
    if (p.kind === 'operator') return;
    const need = request.routeOptions.config?.tenantAccess;
    if (need === undefined) throw new HttpError(403, 'FORBIDDEN', 'only the operator may use this route');
    if (need === 'manage' && p.access !== 'manage') {
      throw new HttpError(403, 'FORBIDDEN', p.via === 'key' ? 'this API key is read-only' : 'this account is read-only');
    }
    const tenantId = (request.params as Record<string, unknown> | undefined)?.tenantId;
    if (tenantId !== undefined && tenantId !== p.tenantId) throw notFound(`tenant "${String(tenantId)}"`);
  });
}

/** The tenant a tenant principal is confined to; undefined for the operator. */
export function confinedTenant(request: FastifyRequest): string | undefined {
  const p = request.principal;
  return p?.kind === 'tenant' ? p.tenantId : undefined;
}
