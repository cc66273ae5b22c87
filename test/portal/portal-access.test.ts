/**
 * DOMAIN.md rule 30 over the real app and a real Redis: tenant admins (portal
 * sessions) and tenant API keys see and change only their own tenant, on
 * every route; CSRF on every change made with a session; sign-in throttled;
 * passwords and keys never returned or logged.
 */
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateConfig } from '../../src/config/load.js';
import { createCallControl } from '../../src/calls/call-control.js';
import { buildApp, type App } from '../../src/http/app.js';
import { createLogger } from '../../src/log.js';
import { createMetrics } from '../../src/metrics.js';
import { RateStore } from '../../src/rating/index.js';
import type { RedisLedger } from '../../src/ledger/index.js';
import { newLedger } from '../support/ledger-fixtures.js';

const ADMIN_TOKEN = 'test-admin-token-0123456789';
const op = { authorization: `Bearer ${ADMIN_TOKEN}` };
const PASSWORD = 'correct horse battery staple';

let app: App;
let ledger: RedisLedger;
let rates: RateStore;
let stopCalls: () => Promise<void>;
const logLines: string[] = [];

function send(method: string, url: string, headers: Record<string, string>, body?: unknown) {
  return app.inject({
    method: method as 'GET',
    url,
    headers: { ...headers, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { payload: JSON.stringify(body) } : {}),
  });
}

async function signIn(email: string, password = PASSWORD, ip = '127.0.0.1') {
  const r = await app.inject({ method: 'POST', url: '/portal/api/login', remoteAddress: ip, headers: { 'content-type': 'application/json' }, payload: JSON.stringify({ email, password }) });
  const setCookie = String(r.headers['set-cookie'] ?? '');
  const cookie = setCookie.split(';')[0]!;
  return { status: r.statusCode, body: r.json() as { csrfToken: string; tenantId: string }, cookie, setCookie };
}

beforeAll(async () => {
  const config = validateConfig({ http: { adminToken: ADMIN_TOKEN }, rates: { dir: 'rates', watch: false }, portal: { loginFailuresPerAccount: 3 } }, 'test');
  const metrics = createMetrics({ tenantLabels: false });
  ledger = newLedger('redis', { metrics, portal: { failuresPerAccount: 3, failuresPerAddress: 1000, windowMs: 60_000, idleMs: 60_000, maxMs: 3_600_000 } });
  rates = await RateStore.open({ dir: 'rates', logger: createLogger('silent'), metrics });
  const sink = new Writable({
    write(chunk, _enc, done) {
      logLines.push(String(chunk));
      done();
    },
  });
  const logger = createLogger({ level: 'debug', destination: sink });
  const calls = createCallControl({ ledger, rates, config, logger, metrics });
  stopCalls = () => calls.stop();
  app = await buildApp({ config, ledger, rates, calls, metrics, logger, readiness: {} });
  for (const [id, currency] of [['acme', 'USD'], ['globex', 'EUR']] as const) {
    expect((await send('PUT', `/v1/tenants/${id}`, op, { name: id, currency, country: 'US' })).statusCode).toBe(201);
    expect((await send('PUT', `/v1/tenants/${id}/users/u1`, op, { upn: `u1@${id}.example`, displayName: 'U One', usageCountry: 'US', plan: 'PAYG', licences: ['communicationCredits'] })).statusCode).toBe(201);
  }
  expect((await send('POST', '/v1/tenants/acme/admins', op, { email: 'Ana@Acme.example', displayName: 'Ana', password: PASSWORD })).statusCode).toBe(201);
  expect((await send('POST', '/v1/tenants/globex/admins', op, { email: 'gus@globex.example', displayName: 'Gus', password: PASSWORD })).statusCode).toBe(201);
});

afterAll(async () => {
  await stopCalls?.();
  await app?.close();
  rates?.close();
});

describe('tenant admin accounts and sessions (DOMAIN.md rule 30)', () => {
  it('creates an account whose password is never returned, and refuses the same e-mail twice (409)', async () => {
    const list = await send('GET', '/v1/tenants/acme/admins', op);
    expect(list.statusCode).toBe(200);
    expect(list.body).not.toContain(PASSWORD);
    expect(list.body).not.toContain('argon2');
    expect(list.json().admins).toMatchObject([{ email: 'ana@acme.example', displayName: 'Ana', role: 'manage' }]);
    const again = await send('POST', '/v1/tenants/globex/admins', op, { email: 'ana@acme.example', displayName: 'X', password: PASSWORD });
    expect(again.statusCode).toBe(409);
    const short = await send('POST', '/v1/tenants/acme/admins', op, { email: 'b@acme.example', displayName: 'B', password: 'short' });
    expect(short.statusCode).toBe(400);
    expect(short.json().fields).toEqual([{ path: 'password', message: 'at least 12 characters' }]);
    expect(short.body).not.toContain('short"');
  });

  it('one account per e-mail address: two creations at once give one 201 and one 409; deleted, the address is free again and its sessions end', async () => {
    const body = { email: 'twice@acme.example', displayName: 'Twice', password: PASSWORD };
    const both = await Promise.all([send('POST', '/v1/tenants/acme/admins', op, body), send('POST', '/v1/tenants/globex/admins', op, body)]);
    expect(both.map((r) => r.statusCode).sort()).toEqual([201, 409]);
    const made = both.find((r) => r.statusCode === 201)!.json() as { id: string; tenantId: string };
    const s = await signIn('twice@acme.example');
    expect(s.status).toBe(200);
    expect(s.body.tenantId).toBe(made.tenantId);
    expect((await send('DELETE', `/v1/tenants/${made.tenantId}/admins/${made.id}`, op)).statusCode).toBe(204);
    expect((await send('GET', `/v1/tenants/${made.tenantId}/balance`, { cookie: s.cookie })).statusCode).toBe(401);
    expect((await signIn('twice@acme.example')).status).toBe(401);
    expect((await send('POST', '/v1/tenants/acme/admins', op, body)).statusCode).toBe(201);
  });

  it('signs in with a Secure, HttpOnly, SameSite=Strict cookie; the session reads its own tenant only', async () => {
    const s = await signIn('ana@acme.example');
    expect(s.status).toBe(200);
    expect(s.setCookie).toMatch(/^__Host-tollgate_session=t\.[^;]+; Path=\/; Secure; HttpOnly; SameSite=Strict; Max-Age=\d+$/);
    expect(s.body.tenantId).toBe('acme');
    const mine = await send('GET', '/v1/tenants/acme/balance', { cookie: s.cookie });
    expect(mine.statusCode).toBe(200);
    const theirs = await send('GET', '/v1/tenants/globex/balance', { cookie: s.cookie });
    expect(theirs.statusCode).toBe(404);
    expect(theirs.json()).toEqual({ error: 'NOT_FOUND', message: 'tenant "globex" does not exist' });
    expect((await send('GET', '/v1/tenants', { cookie: s.cookie })).statusCode).toBe(403);
  });

  it('refuses a change made with a session but without its CSRF token (403), and takes it with the token', async () => {
    const s = await signIn('ana@acme.example');
    const body = { autoRecharge: { threshold: '5.00', amount: '20.00' } };
    const missing = await send('PATCH', '/v1/tenants/acme', { cookie: s.cookie }, body);
    expect(missing.statusCode).toBe(403);
    expect(missing.json().error).toBe('CSRF_REQUIRED');
    const wrong = await send('PATCH', '/v1/tenants/acme', { cookie: s.cookie, 'x-csrf-token': 'not-the-token' }, body);
    expect(wrong.json().error).toBe('CSRF_REJECTED');
    const foreign = await send('PATCH', '/v1/tenants/acme', { cookie: s.cookie, 'x-csrf-token': s.body.csrfToken, origin: 'https://evil.example' }, body);
    expect(foreign.statusCode).toBe(403);
    expect((await ledger.getTenant('acme'))!.autoRecharge).toBeUndefined();
    const ok = await send('PATCH', '/v1/tenants/acme', { cookie: s.cookie, 'x-csrf-token': s.body.csrfToken }, body);
    expect(ok.statusCode).toBe(200);
    expect(ok.json().autoRecharge).toEqual({ threshold: '5.00', amount: '20.00' });
  });

  it('explains a threshold that is not whole in the minor unit next to its field, as PUT does', async () => {
    const s = await signIn('ana@acme.example');
    const bad = await send('PATCH', '/v1/tenants/acme', { cookie: s.cookie, 'x-csrf-token': s.body.csrfToken }, { autoRecharge: { threshold: '5.005', amount: '20.00' } });
    expect(bad.statusCode).toBe(400);
    const put = await send('PUT', '/v1/tenants/acme', op, { name: 'acme', currency: 'USD', country: 'US', autoRecharge: { threshold: '5.005', amount: '20.00' } });
    expect(bad.json().fields).toEqual(put.json().fields);
    expect(bad.json().fields[0].path).toBe('autoRecharge.threshold');
  });

  it("sets the tenant's own notice webhook: https on a public address only, the secret never shown again", async () => {
    const s = await signIn('ana@acme.example');
    const headers = { cookie: s.cookie, 'x-csrf-token': s.body.csrfToken };
    const secret = 'acme-webhook-secret-0123456';
    const bad = async (url: string) => (await send('PATCH', '/v1/tenants/acme', headers, { noticeWebhook: { url, secret } })).json().fields;
    expect(await bad('http://hooks.example.com/tg')).toEqual([{ path: 'noticeWebhook.url', message: 'must start with https://' }]);
    expect(await bad('https://169.254.169.254/latest/meta-data')).toEqual([{ path: 'noticeWebhook.url', message: 'must be a public address, not a local or private one' }]);
    expect(await bad('https://localhost:8080/v1/tenants')).toEqual([{ path: 'noticeWebhook.url', message: 'must not name this machine' }]);
    const short = await send('PATCH', '/v1/tenants/acme', headers, { noticeWebhook: { url: 'https://hooks.example.com/tg', secret: 'short' } });
    expect(short.json().fields).toEqual([{ path: 'noticeWebhook.secret', message: 'at least 16 characters' }]);
    const ok = await send('PATCH', '/v1/tenants/acme', headers, { noticeWebhook: { url: 'https://hooks.example.com/tg', secret } });
    expect(ok.statusCode).toBe(200);
    expect(ok.json().noticeWebhook).toEqual({ url: 'https://hooks.example.com/tg' });
    expect(ok.body).not.toContain(secret);
    expect((await send('GET', '/v1/tenants/acme', headers)).body).not.toContain(secret);
    expect((await ledger.getTenant('acme'))!.noticeWebhook).toEqual({ url: 'https://hooks.example.com/tg', secret });
    expect((await send('PATCH', '/v1/tenants/acme', headers, { noticeWebhook: null })).json().noticeWebhook).toBeUndefined();
  });

  it('slows brute force: after 3 failures the right password is refused with 429 and Retry-After', async () => {
    await send('POST', '/v1/tenants/acme/admins', op, { email: 'bruce@acme.example', displayName: 'Bruce', password: PASSWORD });
    for (let i = 0; i < 3; i++) expect((await signIn('bruce@acme.example', 'wrong password guess')).status).toBe(401);
    const locked = await app.inject({ method: 'POST', url: '/portal/api/login', headers: { 'content-type': 'application/json' }, payload: JSON.stringify({ email: 'bruce@acme.example', password: PASSWORD }) });
    expect(locked.statusCode).toBe(429);
    expect(Number(locked.headers['retry-after'])).toBeGreaterThan(0);
    const metrics = await (await send('GET', '/metrics', {})).body;
    expect(metrics).toMatch(/tollgate_portal_sign_ins_total\{outcome="throttled"\} [1-9]/);
  });

  it('refuses a sign-in posted from another origin, and signs one browser out (that session only)', async () => {
    const foreign = await app.inject({
      method: 'POST',
      url: '/portal/api/login',
      headers: { 'content-type': 'application/json', origin: 'https://evil.example', host: 'localhost:80' },
      payload: JSON.stringify({ email: 'ana@acme.example', password: PASSWORD }),
    });
    expect(foreign.statusCode).toBe(403);
    expect(foreign.headers['set-cookie']).toBeUndefined();
    const a = await signIn('ana@acme.example');
    const b = await signIn('ana@acme.example');
    expect((await send('POST', '/portal/api/logout', { cookie: a.cookie })).statusCode).toBe(403); // no CSRF token
    const out = await send('POST', '/portal/api/logout', { cookie: a.cookie, 'x-csrf-token': a.body.csrfToken });
    expect(out.statusCode).toBe(204);
    expect(String(out.headers['set-cookie'])).toContain('Max-Age=0');
    expect((await send('GET', '/v1/tenants/acme/balance', { cookie: a.cookie })).statusCode).toBe(401);
    expect((await send('GET', '/v1/tenants/acme/balance', { cookie: b.cookie })).statusCode).toBe(200);
  });

  it('a read-only account looks and changes nothing (403)', async () => {
    expect((await send('POST', '/v1/tenants/acme/admins', op, { email: 'rita@acme.example', displayName: 'Rita', password: PASSWORD, role: 'read' })).statusCode).toBe(201);
    const s = await signIn('rita@acme.example');
    const headers = { cookie: s.cookie, 'x-csrf-token': s.body.csrfToken };
    expect((await send('GET', '/v1/tenants/acme/users', headers)).statusCode).toBe(200);
    const change = await send('PATCH', '/v1/tenants/acme', headers, { noticeEmail: 'x@acme.example' });
    expect(change.statusCode).toBe(403);
    expect(change.json().message).toBe('this account is read-only');
    expect((await send('POST', '/v1/tenants/acme/api-keys', headers, { name: 'k', scope: 'read' })).statusCode).toBe(403);
  });

  it('signs out everywhere: every session of the account ends', async () => {
    const a = await signIn('ana@acme.example');
    const b = await signIn('ana@acme.example');
    const out = await send('POST', '/portal/api/sign-out-everywhere', { cookie: a.cookie, 'x-csrf-token': a.body.csrfToken });
    expect(out.statusCode).toBe(204);
    for (const s of [a, b]) {
      const r = await send('GET', '/v1/tenants/acme/balance', { cookie: s.cookie });
      expect(r.statusCode).toBe(401);
      expect(r.json().error).toBe('SESSION_EXPIRED');
    }
  });
});

describe('tenant API keys (DOMAIN.md rule 30)', () => {
  it('shows the secret once, stores it hashed, scopes it to one tenant and read or manage, and revokes it', async () => {
    const created = await send('POST', '/v1/tenants/acme/api-keys', op, { name: 'export', scope: 'read' });
    expect(created.statusCode).toBe(201);
    const { key, id } = created.json() as { key: string; id: string };
    expect(key).toMatch(/^tgk_/);
    const listed = await send('GET', '/v1/tenants/acme/api-keys', op);
    expect(listed.body).not.toContain(key.split('.').pop()!);
    expect(listed.json().apiKeys).toMatchObject([{ id, name: 'export', scope: 'read' }]);
    const stored = await ledger.client.hgetall(`${ledger.keyPrefix}:{acme}:apikeys`);
    expect(JSON.stringify(stored)).not.toContain(key.split('.').pop()!);

    const bearer = { authorization: `Bearer ${key}` };
    expect((await send('GET', '/v1/tenants/acme/balance', bearer)).statusCode).toBe(200);
    expect((await send('GET', '/v1/tenants/globex/balance', bearer)).statusCode).toBe(404);
    const change = await send('PUT', '/v1/tenants/acme/users/u1', bearer, { upn: 'u1@acme.example', displayName: 'U', usageCountry: 'US' });
    expect(change.statusCode).toBe(403);
    expect(change.json().message).toBe('this API key is read-only');
    expect((await send('POST', '/v1/tenants/acme/topups', bearer, { reference: 'r-1', amount: '1.00' })).statusCode).toBe(403);

    expect((await send('DELETE', `/v1/tenants/acme/api-keys/${id}`, op)).json().revokedAt).toBeDefined();
    const after = await send('GET', '/v1/tenants/acme/balance', bearer);
    expect(after.statusCode).toBe(401);
    expect(after.json().message).toBe('unknown or revoked API key');
  });

  it('a manage key changes its own tenant, never another; it cannot mint keys', async () => {
    const { key } = (await send('POST', '/v1/tenants/acme/api-keys', op, { name: 'sync', scope: 'manage' })).json() as { key: string };
    const bearer = { authorization: `Bearer ${key}` };
    const user = { upn: 'u2@acme.example', displayName: 'U Two', usageCountry: 'US', plan: 'PAYG', licences: [] };
    expect((await send('PUT', '/v1/tenants/acme/users/u2', bearer, user)).statusCode).toBe(201);
    expect((await send('PUT', '/v1/tenants/globex/users/u2', bearer, user)).statusCode).toBe(404);
    expect(await ledger.getUser('globex', 'u2')).toBeNull();
    expect((await send('POST', '/v1/tenants/acme/api-keys', bearer, { name: 'x', scope: 'manage' })).statusCode).toBe(403);
  });
});

describe("a tenant's admins and the operator's limits (rules 28 and 30)", () => {
  it("keep a user's limits when changing the user, and may not change them", async () => {
    const user = { upn: 'lim@acme.example', displayName: 'Lim', usageCountry: 'US', plan: 'PAYG', licences: ['communicationCredits'] };
    expect((await send('PUT', '/v1/tenants/acme/users/lim', op, { ...user, limits: { concurrentCalls: 2, maxCallCharge: '5.00' } })).statusCode).toBe(201);
    const s = await signIn('ana@acme.example');
    const headers = { cookie: s.cookie, 'x-csrf-token': s.body.csrfToken };
    const raised = await send('PUT', '/v1/tenants/acme/users/lim', headers, { ...user, limits: { concurrentCalls: 50 } });
    expect(raised.statusCode).toBe(403);
    expect((await ledger.getUser('acme', 'lim'))!.limits).toEqual({ concurrentCalls: 2, maxCallCharge: 5_000_000 });
    const kept = await send('PUT', '/v1/tenants/acme/users/lim', headers, { ...user, licences: [] });
    expect(kept.statusCode).toBe(200);
    expect((await ledger.getUser('acme', 'lim'))!).toMatchObject({ licences: [], limits: { concurrentCalls: 2, maxCallCharge: 5_000_000 } });
    // Sent back as the page read them (keys in any order): the same limits, accepted.
    const same = await send('PUT', '/v1/tenants/acme/users/lim', headers, { ...user, limits: { maxCallCharge: '5.00', concurrentCalls: 2 } });
    expect(same.statusCode).toBe(200);
  });
});

describe('tenant isolation on every route (DOMAIN.md rule 30)', () => {
  it('every /v1 route refuses another tenant\'s admin (404) or is operator-only (403), never 2xx', async () => {
    const s = await signIn('gus@globex.example');
    const { key } = (await send('POST', '/v1/tenants/globex/api-keys', op, { name: 'k', scope: 'manage' })).json() as { key: string };
    const principals: Record<string, string>[] = [
      { cookie: s.cookie, 'x-csrf-token': s.body.csrfToken },
      { authorization: `Bearer ${key}` },
    ];
    // Every route the API documents (the OpenAPI document lists each one), the control API aside (its own token).
    const doc = (await send('GET', '/docs/json', {})).json() as { paths: Record<string, Record<string, unknown>> };
    const routes = Object.entries(doc.paths)
      .filter(([path]) => path.startsWith('/v1/') && !path.startsWith('/v1/control'))
      .map(([path, methods]) => [path.replace(/\{(\w+)\}/g, ':$1'), Object.keys(methods).map((m) => m.toUpperCase()).join(',')] as const);
    expect(routes.length).toBeGreaterThan(25);
    const fill = (path: string) =>
      path
        .replace(':tenantId', 'acme')
        .replace(':userId', 'u1')
        .replace(':number', '%2B18005550100')
        .replace(':adminId', 'adm_0000000000000000')
        .replace(':keyId', 'key_0000000000000000')
        .replace(':callId', 'c1');
    let checked = 0;
    for (const m of routes) {
      for (const method of m[1].split(',')) {
        for (const headers of principals) {
          const r = await send(method, fill(m[0]), headers, method === 'GET' || method === 'DELETE' ? undefined : {});
          const where = `${method} ${m[0]}`;
          if (m[0].includes(':tenantId')) expect([403, 404], where).toContain(r.statusCode);
          else if (m[0] === '/v1/calls' && method === 'GET') expect(r.json().calls, where).toEqual([]);
          else expect([403, 404], where).toContain(r.statusCode);
          checked += 1;
        }
      }
    }
    expect(checked).toBeGreaterThan(50);
    expect((await ledger.getTenant('acme'))!.name).toBe('acme');
  });
});

describe('logs', () => {
  it('never carry a password, an API key, a session cookie or a CSRF token', async () => {
    const s = await signIn('ana@acme.example');
    await signIn('ana@acme.example', 'a wrong password here');
    const { key } = (await send('POST', '/v1/tenants/acme/api-keys', op, { name: 'log check', scope: 'read' })).json() as { key: string };
    await send('GET', '/v1/tenants/acme/balance', { authorization: `Bearer ${key}` });
    await send('PATCH', '/v1/tenants/acme', { cookie: s.cookie, 'x-csrf-token': s.body.csrfToken }, { noticeEmail: 'billing@acme.example' });
    const all = logLines.join('');
    expect(all).toContain('portal sign-in');
    for (const secret of [PASSWORD, 'a wrong password here', key, key.split('.').pop()!, s.cookie.split('=')[1]!, s.body.csrfToken, ADMIN_TOKEN]) {
      expect(all).not.toContain(secret);
    }
  });

  it('redact a secret a caller puts in a field (password, API key, cookie, CSRF token, authorization header)', () => {
    const lines: string[] = [];
    const logger = createLogger({ destination: new Writable({ write: (c, _e, done) => { lines.push(String(c)); done(); } }) });
    logger.info({ password: 'p4ss-word-1', body: { password: 'p4ss-word-2' }, apiKey: 'tgk_abc', csrfToken: 'csrf-1', headers: { cookie: 'c=1', authorization: 'Bearer b-1', 'x-csrf-token': 'csrf-2' } }, 'x');
    const text = lines.join('');
    for (const secret of ['p4ss-word-1', 'p4ss-word-2', 'tgk_abc', 'csrf-1', 'csrf-2', 'c=1', 'Bearer b-1']) expect(text).not.toContain(secret);
    expect(text).toContain('[redacted]');
  });
});
