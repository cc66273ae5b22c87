/// <reference lib="dom" />
/**
 * The credits portal in a real headless Chromium (Debian's, driven by
 * playwright-core) against the real `tollgate run` process, a real Redis and
 * a payment provider on a loopback port: DOMAIN.md rule 30 as a tenant admin
 * lives it. Each page is also photographed at desktop and phone width; with
 * TOLLGATE_PORTAL_SCREENSHOTS=1 the pictures go to docs/portal/ (the README's).
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { REPO, tollgateSpawn, tollgateSync, type RunningCli } from '../support/cli.js';
import { freePort } from '../support/redis-server.js';
import { uniquePrefix } from '../support/ledger-fixtures.js';

const CHROMIUM = '/usr/bin/chromium';
const ADMIN_TOKEN = 'portal-test-admin-token-0123';
const CONTROL_TOKEN = 'portal-test-control-token-0123';
const PASSWORD = 'demo admin password 42';
const op = { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' };
const SHOTS = process.env.TOLLGATE_PORTAL_SCREENSHOTS ? join(REPO, 'docs/portal') : mkdtempSync(join(tmpdir(), 'tollgate-shots-'));

let dir: string;
let base: string;
let gateway: RunningCli;
let context: BrowserContext;
let page: Page;
let redis: Redis;
let prefix: string;
let payments: Server;
/** Every payment request the provider received: its Idempotency-Key and body. */
const paid: Array<{ key: string; body: Record<string, unknown> }> = [];
const cspErrors: string[] = [];

/** expect.poll with room for a loaded machine (the whole suite runs beside these pages). */
const eventually = <T>(fn: () => T | Promise<T>) => expect.poll(fn, { timeout: 15_000, interval: 100 });

async function readBody(req: IncomingMessage): Promise<string> {
  let text = '';
  for await (const c of req) text += String(c);
  return text;
}

/** A payment provider: charges once per Idempotency-Key (a repeat gets the first answer), a little slowly. */
function startPayments(port: number): Promise<Server> {
  const answers = new Map<string, string>();
  const srv = createServer(async (req, res) => {
    const body = JSON.parse(await readBody(req)) as Record<string, unknown>;
    const key = String(req.headers['idempotency-key']);
    paid.push({ key, body });
    await new Promise((r) => setTimeout(r, 400));
    if (!answers.has(key)) answers.set(key, JSON.stringify({ id: `pay_${answers.size + 1}` }));
    res.writeHead(200, { 'content-type': 'application/json' }).end(answers.get(key));
  });
  return new Promise((resolve) => srv.listen(port, '127.0.0.1', () => resolve(srv)));
}

async function apiJson(method: string, path: string, body?: unknown): Promise<{ status: number; json: any; text: string }> {
  const res = await fetch(`${base}${path}`, { method, headers: op, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, json, text };
}

/** An INVITE through the call-control layer (as Kamailio asks it): the decision. */
async function authorize(callId: string, user: string, to: string): Promise<any> {
  const res = await fetch(`${base}/v1/control/authorize`, {
    method: 'POST',
    headers: { authorization: `Bearer ${CONTROL_TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify({ callId, sourceAddress: '127.0.0.1', sourcePort: 5060, requestUri: `sip:${to}@127.0.0.1`, headers: { 'X-Tollgate-Tenant': 'demo', 'X-Tollgate-User': user } }),
  });
  return res.json();
}

async function control(token: string, what: 'answered' | 'ended', body: unknown): Promise<number> {
  const res = await fetch(`${base}/v1/control/calls/${token}/${what}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${CONTROL_TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return res.status;
}

async function shoot(name: string): Promise<void> {
  // Accessible: every control has a label or a name a screen reader says, the page one h1, an <html lang>.
  const unnamed = await page.evaluate(() => {
    const out: string[] = [];
    for (const el of Array.from(document.querySelectorAll('input, select, textarea'))) {
      if ((el as HTMLInputElement).labels?.length === 0 && !el.getAttribute('aria-label')) out.push(el.outerHTML.slice(0, 80));
    }
    for (const el of Array.from(document.querySelectorAll('button, a[href]'))) if ((el.textContent ?? '').trim() === '' && !el.getAttribute('aria-label')) out.push(el.outerHTML.slice(0, 80));
    if (document.querySelectorAll('h1').length !== 1) out.push(`${document.querySelectorAll('h1').length} h1`);
    if (!document.documentElement.lang) out.push('no lang');
    return out;
  });
  expect(unnamed, `${name}: controls without a name`).toEqual([]);
  await page.setViewportSize({ width: 1280, height: 860 });
  await page.screenshot({ path: join(SHOTS, `${name}-desktop.png`), fullPage: true });
  await page.setViewportSize({ width: 390, height: 844 });
  // Responsive: at phone width nothing is wider than the screen (wide tables scroll inside their box).
  expect(await page.evaluate(() => document.documentElement.scrollWidth), `${name} at 390 px`).toBeLessThanOrEqual(390);
  await page.screenshot({ path: join(SHOTS, `${name}-phone.png`), fullPage: true });
  await page.setViewportSize({ width: 1280, height: 860 });
}

async function go(nav: string): Promise<void> {
  await page.getByRole('navigation').getByRole('link', { name: nav, exact: true }).click();
  await page.getByRole('heading', { level: 1, name: nav }).waitFor();
}

async function signIn(email: string, password: string): Promise<void> {
  await page.getByLabel('E-mail address').fill(email);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
}

beforeAll(async () => {
  if (!existsSync(join(REPO, 'dist/portal/index.html'))) throw new Error('dist/portal is not built: npm run build:portal (npm test does it)');
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: npm test installs Debian's chromium (.ci/system-deps.sh)`);
  mkdirSync(SHOTS, { recursive: true });
  dir = mkdtempSync(join(tmpdir(), 'tollgate-portal-'));
  const [httpPort, payPort] = [await freePort(), await freePort()];
  payments = await startPayments(payPort);
  prefix = uniquePrefix();
  const redisUrl = inject('redisUrl');
  redis = new Redis(redisUrl);
  const config = join(dir, 'tollgate.yaml');
  writeFileSync(
    config,
    [
      'redis:',
      `  url: ${redisUrl}`,
      `  keyPrefix: ${prefix}`,
      'http:',
      '  host: 127.0.0.1',
      `  port: ${httpPort}`,
      `  adminToken: ${ADMIN_TOKEN}`,
      'rates:',
      `  dir: ${join(REPO, 'rates')}`,
      '  watch: false',
      'drachtio:',
      '  enabled: false',
      'kamailio:',
      `  controlToken: ${CONTROL_TOKEN}`,
      // Nothing answers here: a hang-up from the portal settles the call without a Kamailio to end the dialog.
      '  rpcUrl: http://127.0.0.1:1/RPC',
      'sip:',
      '  peers:',
      '    - name: bridge',
      '      role: bridge',
      '      addresses: ["127.0.0.1"]',
      '    - name: carrier',
      '      role: trunk',
      '      addresses: ["127.0.0.2"]',
      '      uri: "sip:127.0.0.2:5090"',
      '  defaultTrunk: carrier',
      'payments:',
      '  provider: http',
      `  url: http://127.0.0.1:${payPort}/charge`,
      '  retries: 0',
      'portal:',
      '  loginFailuresPerAccount: 5',
      '',
    ].join('\n'),
  );
  gateway = tollgateSpawn(['run', '--config', config], { env: { TOLLGATE_LOG_LEVEL: 'info' } });
  await gateway.waitFor(/"msg":"tollgate started"/, 60_000);
  base = `http://127.0.0.1:${httpPort}`;
  const imported = tollgateSync(['provision', 'import', 'config/demo-provisioning.yaml', '--config', config]);
  expect(imported.code, imported.stderr).toBe(0);
  // The operator creates the demo tenant's admin with the CLI (password on stdin), another tenant's through the API.
  const added = tollgateSync(['portal', 'admin', 'add', '--tenant', 'demo', '--email', 'ada@demo.example', '--name', 'Ada Admin', '--password-stdin', '--config', config], { input: `${PASSWORD}\n` });
  expect(added.code, added.stderr).toBe(0);
  expect(added.stdout).not.toContain(PASSWORD);
  expect((await apiJson('PUT', '/v1/tenants/globex', { name: 'Globex', currency: 'EUR', country: 'DE' })).status).toBe(201);
  expect((await apiJson('POST', '/v1/tenants/globex/topups', { reference: 'globex-1', amount: '7.00' })).status).toBe(201);

  context = await chromium.launchPersistentContext(join(dir, 'chromium-profile'), {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    viewport: { width: 1280, height: 860 },
    locale: 'en-US',
    acceptDownloads: true,
  });
  page = context.pages()[0] ?? (await context.newPage());
  page.on('console', (m) => {
    if (/Content Security Policy/i.test(m.text())) cspErrors.push(m.text());
  });
}, 120_000);

afterAll(async () => {
  await context?.close();
  if (gateway && gateway.proc.exitCode === null) {
    gateway.proc.kill('SIGTERM');
    await gateway.exited;
  }
  await new Promise((r) => payments?.close(r));
  await redis?.quit();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('the credits portal in Chromium (DOMAIN.md rule 30)', () => {
  it('serves the pages with security headers and a content security policy', async () => {
    const res = await fetch(`${base}/portal`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(res.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    expect(res.headers.get('x-frame-options')).toBe('DENY');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('referrer-policy')).toBe('no-referrer');
  });

  it('signs a tenant admin in and shows the demo balance', async () => {
    await page.goto(`${base}/portal`);
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    await shoot('sign-in');
    await signIn('ada@demo.example', 'not the password at all');
    await page.getByRole('alert').filter({ hasText: 'wrong e-mail address or password' }).waitFor();
    await signIn('ada@demo.example', PASSWORD);
    await page.getByRole('heading', { level: 1, name: 'Overview' }).waitFor();
    const balance = page.locator('.figure', { hasText: 'Balance' }).locator('dd').first();
    await eventually(() => balance.textContent()).toBe('25.00 USD');
    await eventually(() => page.locator('.figure', { hasText: 'Auto-recharge' }).locator('dd').textContent()).toContain('20.00 USD');
    await page.getByText('How long the credits will last').waitFor();
    const cookies = await context.cookies(base);
    const session = cookies.find((c) => c.name === '__Host-tollgate_session')!;
    expect(session).toMatchObject({ httpOnly: true, secure: true, sameSite: 'Strict', path: '/' });
    await shoot('overview');
  });

  it('adds credits once even when the button is clicked twice', async () => {
    await go('Add credits');
    await page.getByLabel('Amount (USD)').fill('10.005');
    await page.getByRole('button', { name: 'Buy credits' }).click();
    // The API's own message, next to the field.
    await page.locator('.field-invalid .error').filter({ hasText: 'is not a whole amount of USD, which has at most 2 decimals' }).waitFor();
    expect(paid).toHaveLength(0);
    await page.getByLabel('Amount (USD)').fill('10.00');
    const button = page.getByRole('button', { name: 'Buy credits' });
    await button.dblclick();
    await page.getByRole('status').filter({ hasText: 'Added 10.00 USD' }).waitFor();
    await eventually(async () => (await apiJson('GET', '/v1/tenants/demo/balance')).json.balance).toBe('35.00');
    expect(new Set(paid.map((p) => p.key)).size).toBe(1);
    expect(paid[0]!.body).toMatchObject({ tenantId: 'demo', amount: '10.00', currency: 'USD' });
    // Replaying the very request the page sent (same reference) adds nothing.
    const reference = String(paid[0]!.key).replace(/^purchase:demo:/, '');
    const replay = await page.evaluate(async (ref) => {
      const s = await (await fetch('/portal/api/session')).json();
      const r = await fetch('/v1/tenants/demo/purchases', { method: 'POST', headers: { 'content-type': 'application/json', 'x-csrf-token': s.csrfToken }, body: JSON.stringify({ reference: ref, amount: '10.00' }) });
      return { status: r.status, body: await r.json() };
    }, reference);
    expect(replay).toMatchObject({ status: 200, body: { applied: false, balanceAfter: '35.00' } });
    expect((await apiJson('GET', '/v1/tenants/demo/balance')).json.balance).toBe('35.00');
    await shoot('add-credits');
  });

  it('turns on auto-recharge: a bad threshold is refused next to its field, a good one is saved', async () => {
    await apiJson('PATCH', '/v1/tenants/demo', { autoRecharge: null });
    await go('Auto-recharge and notices');
    await page.getByLabel('Recharge automatically').check();
    await page.getByLabel('Threshold (USD)').fill('5.005');
    await page.getByLabel('Recharge amount (USD)').fill('20.00');
    await page.getByRole('button', { name: 'Save' }).click();
    const error = page.locator('.field-invalid .error');
    await error.waitFor();
    const api = await apiJson('PATCH', '/v1/tenants/demo', { autoRecharge: { threshold: '5.005', amount: '20.00' } });
    expect(await error.textContent()).toBe(api.json.fields[0].message);
    expect((await apiJson('GET', '/v1/tenants/demo')).json.autoRecharge).toBeUndefined();
    await page.getByLabel('Threshold (USD)').fill('5.00');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByRole('status').filter({ hasText: 'Saved.' }).waitFor();
    expect((await apiJson('GET', '/v1/tenants/demo')).json.autoRecharge).toEqual({ threshold: '5.00', amount: '20.00' });
    // The tenant's own notice webhook: the gateway's own network is refused next to the field.
    await page.getByLabel('Notice webhook (https URL)').fill('http://127.0.0.1:8080/v1/tenants');
    await page.getByLabel('Webhook secret').fill('demo-webhook-secret-0123');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.locator('.field-invalid .error').filter({ hasText: 'must start with https://' }).waitFor();
    await page.getByLabel('Notice webhook (https URL)').fill('https://hooks.demo.example/tollgate');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByTestId('webhook-set').filter({ hasText: 'https://hooks.demo.example/tollgate' }).waitFor();
    const tenant = await apiJson('GET', '/v1/tenants/demo');
    expect(tenant.json.noticeWebhook).toEqual({ url: 'https://hooks.demo.example/tollgate' });
    expect(tenant.text).not.toContain('demo-webhook-secret-0123');
    expect(await page.getByLabel('Webhook secret').inputValue()).toBe('');
    await shoot('auto-recharge');
  });

  it("changes a user's licence: a call is refused without it and admitted with it (call-control layer)", async () => {
    const editDieter = async () => {
      await page.getByRole('button', { name: 'Edit Dieter Becker' }).click();
      return page.getByRole('form').or(page.locator('form.card'));
    };
    await go('Users');
    await editDieter();
    await page.getByLabel('Communication credits').uncheck();
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByRole('status').filter({ hasText: 'Saved.' }).waitFor();
    await eventually(() => page.locator('tr[data-user="dieter"] td').nth(5).textContent()).toBe('Audio conferencing');
    const refused = await authorize('portal-lic-1', 'dieter', '+4930901820');
    expect(refused).toMatchObject({ decision: 'refuse', status: 403 });

    await editDieter();
    await page.getByLabel('Communication credits').check();
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByRole('status').filter({ hasText: 'Saved.' }).waitFor();
    const allowed = await authorize('portal-lic-2', 'dieter', '+4930901820');
    expect(allowed).toMatchObject({ decision: 'allow' });
    // Answered and hung up: a charged usage record for the usage page.
    expect(await control(allowed.callToken, 'answered', { dialog: { hEntry: 1, hId: 1 } })).toBe(200);
    expect(await control(allowed.callToken, 'ended', { reason: 'caller_hangup' })).toBe(200);
    await shoot('users');
  });

  it('filters usage and downloads the CSV, the same file as the API', async () => {
    const alice = await authorize('portal-usage-1', 'alice', '+12125550100');
    expect(alice.decision).toBe('allow');
    expect(await control(alice.callToken, 'ended', { reason: 'cancelled' })).toBe(200);
    await go('Usage');
    await page.getByLabel('User', { exact: true }).selectOption('dieter');
    await page.getByRole('button', { name: 'Show' }).click();
    await eventually(() => page.locator('table.usage tbody tr').count()).toBe(2);
    expect(await page.locator('table.usage tbody').textContent()).not.toContain('+12125550100');
    await page.getByText('Daily spend by what paid (USD)').waitFor();
    const download = page.waitForEvent('download');
    await page.getByRole('link', { name: 'Download CSV' }).click();
    const file = readFileSync((await (await download).path())!);
    const href = (await page.getByRole('link', { name: 'Download CSV' }).getAttribute('href'))!;
    const api = Buffer.from(await (await fetch(`${base}${href}`, { headers: op })).arrayBuffer());
    expect(file.equals(api)).toBe(true);
    const lines = file.toString('utf8').trim().split('\r\n');
    expect(lines).toHaveLength(3);
    expect(lines.slice(1).every((l) => l.includes('dieter'))).toBe(true);
    await shoot('usage');
  });

  it('shows a live call with its funded time left, and hangs it up', async () => {
    const call = await authorize('portal-live-1', 'alice', '+447911123456');
    expect(call.decision).toBe('allow');
    expect(await control(call.callToken, 'answered', { dialog: { hEntry: 2, hId: 2 } })).toBe(200);
    await go('Live calls');
    const row = page.locator('tr[data-call="portal-live-1"]');
    await row.waitFor();
    await eventually(async () => Number((await row.getByTestId('funded-left').textContent())!.replace(/\D/g, ''))).toBeGreaterThan(0);
    await shoot('live-calls');
    page.once('dialog', (d) => void d.accept());
    await row.getByRole('button', { name: 'Hang up' }).click();
    await page.getByTestId('calls-empty').waitFor();
    await eventually(async () => (await apiJson('GET', '/v1/tenants/demo/balance')).json.liveCalls).toBe(0);
  });

  it('shows the service numbers', async () => {
    await go('Service numbers');
    await page.getByRole('cell', { name: 'sip:conference@127.0.0.1:5070' }).waitFor();
    await shoot('service-numbers');
  });

  it('creates an API key shown once that reads its own tenant only, and revokes it', async () => {
    await go('Admins and API keys');
    await page.getByRole('cell', { name: 'ada@demo.example' }).waitFor();
    await page.getByLabel('Name', { exact: true }).fill('billing export');
    await page.getByRole('button', { name: 'Create key' }).click();
    const key = (await page.getByTestId('new-key').textContent())!;
    expect(key).toMatch(/^tgk_/);
    const read = (path: string) => fetch(`${base}${path}`, { headers: { authorization: `Bearer ${key}` } });
    expect((await read('/v1/tenants/demo/balance')).status).toBe(200);
    expect((await read('/v1/tenants/globex/balance')).status).toBe(404);
    const listed = await apiJson('GET', '/v1/tenants/demo/api-keys');
    expect(listed.text).not.toContain(key.split('.').pop()!);
    await shoot('access');
    page.once('dialog', (d) => void d.accept());
    await page.locator('tr', { hasText: 'billing export' }).getByRole('button', { name: 'Revoke' }).click();
    await page.locator('tr', { hasText: 'billing export' }).getByText(/^Revoked/).waitFor();
    expect((await read('/v1/tenants/demo/balance')).status).toBe(401);
  });

  it("refuses another tenant's pages and API to a tenant admin (404/403)", async () => {
    const answers = await page.evaluate(async () => {
      const s = await (await fetch('/portal/api/session')).json();
      const get = async (u: string) => (await fetch(u)).status;
      const patch = await fetch('/v1/tenants/globex', { method: 'PATCH', headers: { 'content-type': 'application/json', 'x-csrf-token': s.csrfToken }, body: '{"noticeEmail":null}' });
      return {
        balance: await get('/v1/tenants/globex/balance'),
        users: await get('/v1/tenants/globex/users'),
        usage: await get('/v1/tenants/globex/usage.csv?from=2025-01-01&to=2025-02-01'),
        list: await get('/v1/tenants'),
        patch: patch.status,
        noCsrf: (await fetch('/v1/tenants/demo', { method: 'PATCH', headers: { 'content-type': 'application/json' }, body: '{"noticeEmail":null}' })).status,
      };
    });
    expect(answers).toEqual({ balance: 404, users: 404, usage: 404, list: 403, patch: 404, noCsrf: 403 });
    // The page of another tenant shows this admin's own tenant: the session names it, not the address.
    await page.goto(`${base}/portal?tenant=globex`);
    await page.getByRole('heading', { level: 1, name: 'Overview' }).waitFor();
    const own = (await apiJson('GET', '/v1/tenants/demo/balance')).json.balance;
    await eventually(() => page.locator('.figure', { hasText: 'Balance' }).locator('dd').first().textContent()).toBe(`${own} USD`);
    expect((await apiJson('GET', '/v1/tenants/globex/balance')).json.balance).toBe('7.00');
  });

  it('shows the pages in Simplified Chinese from the switch', async () => {
    await page.getByLabel('Language').selectOption('zh-CN');
    await page.getByRole('heading', { level: 1, name: '概览' }).waitFor();
    expect(await page.locator('html').getAttribute('lang')).toBe('zh-CN');
    await shoot('overview-zh');
    await page.getByLabel('语言').selectOption('en');
    await page.getByRole('heading', { level: 1, name: 'Overview' }).waitFor();
    // With no choice saved, the browser's languages decide.
    const zh = await context.newPage();
    await zh.addInitScript(() => {
      localStorage.removeItem('tollgate.locale');
      Object.defineProperty(navigator, 'languages', { get: () => ['zh-CN', 'zh', 'en'] });
    });
    await zh.goto(`${base}/portal`);
    await zh.getByRole('heading', { level: 1, name: '概览' }).waitFor();
    await zh.close();
  });

  it('sends an expired session to sign-in', async () => {
    const keys = await redis.keys(`${prefix}:{demo}:session:*`);
    expect(keys.length).toBeGreaterThan(0);
    for (const k of keys) await redis.pexpire(k, 1);
    await new Promise((r) => setTimeout(r, 50));
    await page.getByRole('navigation').getByRole('link', { name: 'Users', exact: true }).click();
    await page.getByRole('heading', { level: 1, name: 'Sign in' }).waitFor();
    await page.getByText('Your session has ended. Sign in again.').waitFor();
    expect(cspErrors).toEqual([]);
  });

  it('signs the operator in with the admin token: any tenant, and a manual top-up applied once per reference', { timeout: 60_000 }, async () => {
    await page.getByRole('button', { name: 'Operator? Sign in with the admin token' }).click({ timeout: 10_000 });
    await page.getByLabel('Admin token').fill(ADMIN_TOKEN);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    // Back on the page the session ended on.
    await page.getByRole('heading', { level: 1, name: 'Users' }).waitFor();
    await go('Overview');
    await page.getByLabel('Tenant').selectOption('globex', { timeout: 10_000 });
    await eventually(() => page.locator('.figure', { hasText: 'Balance' }).locator('dd').first().textContent()).toBe('7.00 EUR');
    await go('Add credits');
    await page.getByLabel('Amount (EUR)').fill('3.00');
    await page.getByLabel('Reference').fill('invoice-globex-0042');
    await page.getByRole('button', { name: 'Top up' }).click();
    await page.getByRole('status').filter({ hasText: 'Added 3.00 EUR' }).waitFor();
    await page.getByLabel('Amount (EUR)').fill('3.00');
    await page.getByLabel('Reference').fill('invoice-globex-0042');
    await page.getByRole('button', { name: 'Top up' }).click();
    await page.getByRole('status').filter({ hasText: 'already applied' }).waitFor();
    expect((await apiJson('GET', '/v1/tenants/globex/balance')).json.balance).toBe('10.00');
    await page.getByRole('button', { name: 'Sign out', exact: true }).click();
    await page.getByRole('heading', { level: 1, name: 'Sign in' }).waitFor();
  });

  it('never logs the password, the session cookie or the CSRF token', () => {
    const log = gateway.stdout() + gateway.stderr();
    expect(log).toContain('portal sign-in');
    expect(log).not.toContain(PASSWORD);
    expect(log).not.toContain(ADMIN_TOKEN);
    expect(log).not.toMatch(/__Host-tollgate_session=t\./);
  });
});
