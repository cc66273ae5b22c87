/**
 * The app over a real socket (127.0.0.1, port 0, fetch): auth, a top-up, a
 * streamed CSV, readiness; and the rate endpoints: status, quote, reload with
 * a broken file named by line while the old tables keep serving.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { auth, json, startHarness, type Harness } from './http-harness.js';

let h: Harness | undefined;
let dir: string | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

describe('over a real socket', () => {
  it('serves the admin API, CSV and health to fetch', async () => {
    h = await startHarness({
      readiness: {
        redis: async () => {
          await h!.ledger.ready();
          return true;
        },
        drachtio: () => false,
      },
    });
    const base = await h.app.listen({ host: '127.0.0.1', port: 0 });
    expect(base).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);

    expect((await fetch(`${base}/v1/tenants`)).status).toBe(401);
    expect((await fetch(`${base}/v1/tenants`, { headers: { authorization: 'Bearer nope' } })).status).toBe(401);

    const put = await fetch(`${base}/v1/tenants/acme`, {
      method: 'PUT',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'ACME', currency: 'JPY', country: 'JP' }),
    });
    expect(put.status).toBe(201);
    expect(await put.json()).toMatchObject({ creditLimit: '0' });
    const topUp = () =>
      fetch(`${base}/v1/tenants/acme/topups`, {
        method: 'POST',
        headers: { ...auth, 'content-type': 'application/json' },
        body: JSON.stringify({ reference: 'wire-7', amount: '1500' }),
      });
    const [first, second] = await Promise.all([topUp(), topUp()]);
    expect([first.status, second.status].sort()).toEqual([200, 201]);
    const balance = await (await fetch(`${base}/v1/tenants/acme/balance`, { headers: auth })).json();
    expect(balance).toMatchObject({ currency: 'JPY', balance: '1500', available: '1500' });
    const fraction = await fetch(`${base}/v1/tenants/acme/topups`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ reference: 'wire-8', amount: '1.50' }),
    });
    expect(fraction.status).toBe(400);
    expect(((await fraction.json()) as { fields: unknown }).fields).toEqual([{ path: 'amount', message: '1.5 is not a whole amount of JPY, which has no decimals' }]);

    const csv = await fetch(`${base}/v1/tenants/acme/usage.csv?from=2025-01-01&to=2026-01-01`, { headers: auth });
    expect(csv.status).toBe(200);
    expect(csv.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    const bytes = Buffer.from(await csv.arrayBuffer());
    expect(bytes.subarray(0, 3)).toEqual(Buffer.from([0xef, 0xbb, 0xbf]));
    expect(bytes.toString('utf8').slice(1).startsWith('UsageId,Call ID,')).toBe(true);

    const ready = await fetch(`${base}/readyz`);
    expect(ready.status).toBe(503);
    expect(await ready.json()).toEqual({ ready: false, checks: { redis: { ok: true }, drachtio: { ok: false, error: 'not ready' } } });
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    const metrics = await fetch(`${base}/metrics`);
    expect(await metrics.text()).toContain('# TYPE tollgate_call_decisions_total counter');
    expect((await fetch(`${base}/nowhere`)).status).toBe(404);
  });
});

describe('rate endpoints', () => {
  it('reports the version, quotes calls, and rejects a broken reload naming file and line', async () => {
    dir = mkdtempSync(join(tmpdir(), 'tollgate-http-rates-'));
    cpSync('rates', dir, { recursive: true });
    h = await startHarness({ ratesDir: dir });
    const status = await h.app.inject({ url: '/v1/rates', headers: auth });
    expect(status.statusCode).toBe(200);
    const version = status.json().version as string;
    expect(status.json()).toMatchObject({ version: h.rates.book.version, counts: { 'outbound.csv': expect.any(Number) } });
    expect(Date.parse(status.json().loadedAt)).not.toBeNaN();

    const quote = await h.app.inject({ url: '/v1/rates/quote?to=%2B447700900123&seconds=65&at=2025-03-10T12:00:00Z', headers: auth });
    expect(quote.statusCode).toBe(200);
    expect(quote.json()).toMatchObject({
      kind: 'outbound', country: 'GB', numberType: 'mobile', currency: 'USD', pricePerMinute: '0.03',
      seconds: 65, billedSeconds: 65, charge: '0.04', rateVersion: version, source: expect.stringMatching(/outbound\.csv:\d+$/),
    });
    const national = await h.app.inject({ url: '/v1/rates/quote?to=07700900123&country=GB&at=2025-03-10', headers: auth });
    expect(national.json()).toMatchObject({ to: '+447700900123', seconds: 60, charge: '0.03' });
    const emergency = await h.app.inject({ url: '/v1/rates/quote?to=999&country=GB', headers: auth });
    expect(emergency.json()).toMatchObject({ kind: 'emergency', charge: '0' });
    const badQuote = await h.app.inject({ url: '/v1/rates/quote?to=call-me&seconds=-1&tollFree=maybe', headers: auth });
    expect(badQuote.statusCode).toBe(400);
    expect(badQuote.json().fields.map((f: { path: string }) => f.path).sort()).toEqual(['seconds', 'tollFree']);
    const noFrom = await h.app.inject({ url: '/v1/rates/quote?to=%2B18005550100&tollFree=true', headers: auth });
    expect(noFrom.json().fields).toEqual([{ path: 'from', message: expect.stringContaining('required for a toll-free quote') }]);

    const outbound = join(dir, 'outbound.csv');
    const good = readFileSync(outbound, 'utf8');
    const lines = good.split('\n');
    const header = lines.findIndex((l) => l.startsWith('prefix,'));
    lines.splice(header + 1, 0, '44,GB,Broken Row,landline,USD,not-a-price,0,1,1,2025-01-01,false');
    writeFileSync(outbound, lines.join('\n'));
    const rejected = await h.app.inject({ method: 'POST', url: '/v1/rates/reload', headers: auth });
    expect(rejected.statusCode).toBe(422);
    expect(rejected.json()).toMatchObject({ error: 'BAD_RATES', version });
    expect(rejected.json().problems).toEqual([expect.stringContaining(`outbound.csv:${header + 2}:`)]);
    expect((await h.app.inject({ url: '/v1/rates', headers: auth })).json().version).toBe(version);

    writeFileSync(outbound, good);
    const unchanged = await h.app.inject({ method: 'POST', url: '/v1/rates/reload', headers: auth });
    expect(unchanged.json()).toMatchObject({ outcome: 'unchanged', version });
    writeFileSync(outbound, `${good.trimEnd()}\n4930999,DE,Germany Berlin Test,landline,USD,0.10,0,60,60,2025-01-01,false\n`);
    const loaded = await h.app.inject({ method: 'POST', url: '/v1/rates/reload', headers: auth });
    expect(loaded.statusCode).toBe(200);
    expect(loaded.json()).toMatchObject({ outcome: 'loaded', previous: version });
    expect(loaded.json().version).not.toBe(version);
  });
});
