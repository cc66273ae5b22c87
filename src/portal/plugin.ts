/**
 * The credits portal on the gateway's own HTTP server: sign-in and sign-out
 * (sessions in Redis behind a Secure, HttpOnly, SameSite=Strict cookie;
 * failed sign-ins counted per address and account, then refused with 429),
 * and the built pages under /portal with security headers and a strict
 * content security policy. The pages read and change everything through /v1
 * with the session (rule 30 is enforced there, by src/http/auth.ts).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import { Counter } from 'prom-client';
import { z } from 'zod';
import type { FastifyReply } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { Config } from '../config/schema.js';
import type { PortalSession, PortalStore } from '../ledger/portal-store.js';
import type { Metrics } from '../metrics.js';
import { checkCsrf, cookieValue, SESSION_COOKIE, tokenMatches } from '../http/auth.js';
import { HttpError } from '../http/errors.js';
import { errorResponses } from '../http/schemas/common.js';
import { verifyPassword } from './passwords.js';

export interface PortalOptions {
  portal: PortalStore;
  config: Config;
  metrics: Metrics;
  now: () => number;
  /** The built pages (index.html, assets/); default dist/portal of this package. */
  assetsDir?: string;
}

/** What every portal answer carries: no framing, no sniffing, no referrer, scripts and styles from this origin only. */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; connect-src 'self'; " +
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
  'permissions-policy': 'camera=(), microphone=(), geolocation=(), payment=()',
  'strict-transport-security': 'max-age=31536000',
};

const loginBody = z.strictObject({
  email: z.string().min(3).max(254),
  password: z.string().min(1).max(256),
});
const operatorLoginBody = z.strictObject({ token: z.string().min(1).max(512) });

const sessionView = z.object({
  kind: z.enum(['operator', 'tenant']),
  tenantId: z.string().optional(),
  adminId: z.string().optional(),
  email: z.string().optional(),
  displayName: z.string().optional(),
  role: z.enum(['read', 'manage']),
  csrfToken: z.string().describe('Send it as the x-csrf-token header on every change'),
  expiresAt: z.string(),
  payments: z.enum(['manual', 'http']),
  plans: z.array(z.object({ sku: z.string(), name: z.string() })),
});

/** Where the built pages are: dist/portal beside the compiled code, or of the checkout when run from sources. */
function defaultAssetsDir(): string {
  const candidates = [fileURLToPath(new URL('../../portal/', import.meta.url)), fileURLToPath(new URL('../../dist/portal/', import.meta.url))];
  return candidates.find((d) => existsSync(join(d, 'index.html'))) ?? candidates[candidates.length - 1]!;
}

function signInCounter(metrics: Metrics): Counter<'outcome'> {
  const name = 'tollgate_portal_sign_ins_total';
  const existing = metrics.registry.getSingleMetric(name) as Counter<'outcome'> | undefined;
  return existing ?? new Counter({ name, help: 'Portal sign-ins by outcome: succeeded, failed (wrong address or password), throttled (429)', labelNames: ['outcome'], registers: [metrics.registry] });
}

export const portalPlugin: FastifyPluginAsyncZod<PortalOptions> = async (app, opts) => {
  const { portal, config, now } = opts;
  const signIns = signInCounter(opts.metrics);
  for (const outcome of ['succeeded', 'failed', 'throttled']) signIns.inc({ outcome }, 0);
  const maxAgeSeconds = config.portal.sessionMaxHours * 3600;
  const plans = config.plans.map((p) => ({ sku: p.sku, name: p.name }));

  app.addHook('onSend', async (request, reply, payload) => {
    if (!request.url.startsWith('/portal')) return payload;
    for (const [k, v] of Object.entries(SECURITY_HEADERS)) reply.header(k, v);
    if (request.url.startsWith('/portal/api/')) reply.header('cache-control', 'no-store');
    return payload;
  });

  const setCookie = (reply: FastifyReply, value: string, maxAge: number) =>
    reply.header('set-cookie', `${SESSION_COOKIE}=${value}; Path=/; Secure; HttpOnly; SameSite=Strict; Max-Age=${maxAge}`);

  async function describe(session: PortalSession) {
    const base = {
      role: session.role,
      csrfToken: session.csrfToken,
      expiresAt: new Date(session.createdAtMs + maxAgeSeconds * 1000).toISOString(),
      payments: config.payments.provider,
      plans,
    };
    if (session.tenantId === undefined) return { kind: 'operator' as const, ...base };
    const account = await portal.getAdmin(session.tenantId, session.adminId ?? '');
    return {
      kind: 'tenant' as const,
      tenantId: session.tenantId,
      ...(account ? { adminId: account.id, email: account.email, displayName: account.displayName } : {}),
      ...base,
    };
  }

  /** A sign-in is a change too: from another origin it is refused, as every change is. */
  function sameOrigin(origin: string | undefined, host: string | undefined): void {
    if (origin === undefined) return;
    let h: string | undefined;
    try {
      h = new URL(origin).host;
    } catch {
      h = undefined;
    }
    if (h !== host) throw new HttpError(403, 'CSRF_REJECTED', `a sign-in from another origin (${origin}) is refused`);
  }

  async function throttled(email: string, address: string, reply: FastifyReply): Promise<void> {
    const f = await portal.loginFailures(email, address);
    if (f.retryAfterMs > 0) {
      signIns.inc({ outcome: 'throttled' });
      const seconds = Math.max(1, Math.ceil(f.retryAfterMs / 1000));
      reply.header('retry-after', String(seconds));
      throw new HttpError(429, 'TOO_MANY_ATTEMPTS', `too many failed sign-ins; try again in ${seconds} s`);
    }
  }

  app.post('/portal/api/login', {
    schema: {
      tags: ['portal'],
      summary: 'Sign in a tenant admin (sets the session cookie)',
      body: loginBody,
      response: { 200: sessionView, 403: errorResponses[404], 429: errorResponses[404], ...errorResponses },
    },
  }, async (req, reply) => {
    sameOrigin(req.headers.origin, req.headers.host);
    const { email, password } = req.body;
    await throttled(email, req.ip, reply);
    const found = await portal.findAdminForLogin(email);
    const ok = await verifyPassword(found?.passwordHash, password);
    if (!found || !ok) {
      await portal.recordLoginFailure(email, req.ip);
      signIns.inc({ outcome: 'failed' });
      req.log.info({ address: req.ip }, 'portal sign-in failed');
      throw new HttpError(401, 'UNAUTHORIZED', 'wrong e-mail address or password');
    }
    await portal.clearLoginFailures(email);
    const { cookie, session } = await portal.openSession({ tenantId: found.account.tenantId, adminId: found.account.id, role: found.account.role }, now());
    signIns.inc({ outcome: 'succeeded' });
    req.log.info({ tenantId: found.account.tenantId, adminId: found.account.id }, 'portal sign-in');
    setCookie(reply, cookie, maxAgeSeconds);
    return describe(session);
  });

  app.post('/portal/api/operator-login', {
    schema: {
      tags: ['portal'],
      summary: 'Sign the operator in with the admin token (sets the session cookie)',
      body: operatorLoginBody,
      response: { 200: sessionView, 403: errorResponses[404], 429: errorResponses[404], ...errorResponses },
    },
  }, async (req, reply) => {
    sameOrigin(req.headers.origin, req.headers.host);
    await throttled('operator', req.ip, reply);
    if (!tokenMatches(req.body.token, config.http.adminToken)) {
      await portal.recordLoginFailure('operator', req.ip);
      signIns.inc({ outcome: 'failed' });
      throw new HttpError(401, 'UNAUTHORIZED', 'wrong admin token');
    }
    const { cookie, session } = await portal.openSession({ role: 'manage' }, now());
    signIns.inc({ outcome: 'succeeded' });
    req.log.info('portal sign-in (operator)');
    setCookie(reply, cookie, maxAgeSeconds);
    return describe(session);
  });

  const currentSession = async (cookie: string | undefined) => {
    const session = cookie === undefined ? null : await portal.readSession(cookie, now());
    if (!session) throw new HttpError(401, 'SESSION_EXPIRED', 'not signed in, or the session has ended; sign in again');
    return session;
  };

  app.get('/portal/api/session', {
    schema: { tags: ['portal'], summary: 'Who is signed in, and the CSRF token of the session', response: { 200: sessionView, ...errorResponses } },
  }, async (req) => describe(await currentSession(cookieValue(req, SESSION_COOKIE))));

  app.post('/portal/api/logout', {
    schema: { tags: ['portal'], summary: 'Sign out this browser', response: { 204: z.undefined(), ...errorResponses } },
  }, async (req, reply) => {
    const cookie = cookieValue(req, SESSION_COOKIE);
    if (cookie !== undefined) {
      const session = await portal.readSession(cookie, now());
      if (session) {
        checkCsrf(req, session);
        await portal.closeSession(cookie);
      }
    }
    setCookie(reply, '', 0);
    return reply.code(204).send();
  });

  app.post('/portal/api/sign-out-everywhere', {
    schema: { tags: ['portal'], summary: 'End every session of the signed-in account (the operator: every operator session)', response: { 204: z.undefined(), ...errorResponses } },
  }, async (req, reply) => {
    const cookie = cookieValue(req, SESSION_COOKIE);
    const session = await currentSession(cookie);
    checkCsrf(req, session);
    await portal.signOutEverywhere(session.tenantId, session.adminId);
    setCookie(reply, '', 0);
    return reply.code(204).send();
  });

  // The built pages: hashed assets cached for a year, the page itself never.
  const dir = opts.assetsDir ?? defaultAssetsDir();
  const indexFile = join(dir, 'index.html');
  const built = existsSync(indexFile);
  if (built) {
    await app.register(fastifyStatic, { root: join(dir, 'assets'), prefix: '/portal/assets/', maxAge: '365d', immutable: true, index: false });
  }
  const page = built ? readFileSync(indexFile, 'utf8') : '';
  const servePage = async (_req: unknown, reply: FastifyReply) => {
    if (!built) throw new HttpError(503, 'PORTAL_NOT_BUILT', `the portal's pages are not built (${indexFile} is missing): run npm run build`);
    return reply.type('text/html; charset=utf-8').header('cache-control', 'no-cache').send(page);
  };
  app.get('/portal', { schema: { hide: true } }, servePage);
  app.get('/portal/*', { schema: { hide: true } }, async (req, reply) => {
    const rest = (req.params as { '*': string })['*'];
    if (rest.startsWith('api/') || rest.startsWith('assets/')) throw new HttpError(404, 'NOT_FOUND', `no route ${req.method} ${req.url.split('?')[0]}`);
    return servePage(req, reply);
  });
};
