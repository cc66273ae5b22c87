/**
 * A tenant's own notice webhook (the portal's "Auto-recharge and notices"
 * page): notices of the tenant go there too, signed as every webhook is; under
 * the default policy it must be https on a public address, and a name that
 * resolves to a local or private address is refused at the connection, so a
 * tenant admin cannot make the gateway post into the operator's network.
 */
import { createHmac } from 'node:crypto';
import { lookup } from 'node:dns/promises';
import { createServer, type Server } from 'node:http';
import { hostname } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/log.js';
import { createMetrics } from '../../src/metrics.js';
import { createCallNoticeSink } from '../../src/notify/call-notices.js';
import { createNotifier } from '../../src/notify/notifier.js';
import { isPrivateAddress, postTenantWebhook, webhookUrlProblem } from '../../src/notify/webhook-target.js';
import type { Tenant } from '../../src/domain.js';
import { freePort } from '../support/redis-server.js';
import { parseMetrics, metricSum } from '../integration/http-harness.js';

const SECRET = 'tenant-webhook-secret-0123';
let receiver: Server;
let port: number;
const got: Array<{ headers: Record<string, string | string[] | undefined>; body: string }> = [];

beforeAll(async () => {
  port = await freePort();
  receiver = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += String(c)));
    req.on('end', () => {
      got.push({ headers: req.headers, body });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => receiver.listen(port, '127.0.0.1', r));
});

afterAll(async () => {
  await new Promise((r) => receiver?.close(r));
});

const acme = (url: string): Tenant => ({ id: 'acme', name: 'Acme', currency: 'EUR', country: 'DE', creditLimit: 0, noticeWebhook: { url, secret: SECRET } });

describe("a tenant's own notice webhook", () => {
  it('receives the tenant\'s notices, signed with its secret', async () => {
    const metrics = createMetrics();
    // "any": the receiver of this test is on loopback; production runs the public-https policy.
    const notifier = createNotifier({ webhooks: [], retries: 0, logger: silentLogger, metrics, tenantWebhookPolicy: 'any' });
    const sink = createCallNoticeSink({ notifier, loadTenant: async () => acme(`http://127.0.0.1:${port}/hook`), logger: silentLogger });
    await sink.notify({ kind: 'balance_depleted', tenantId: 'acme', balance: -120_000, currency: 'EUR', atMs: Date.UTC(2025, 2, 10), callId: 'call-7' });
    await notifier.flush();
    expect(got).toHaveLength(1);
    const { headers, body } = got[0]!;
    expect(headers['x-tollgate-signature']).toBe(`sha256=${createHmac('sha256', SECRET).update(body).digest('hex')}`);
    expect(JSON.parse(body)).toMatchObject({ id: 'balance_depleted:acme:call-7', kind: 'balance_depleted', tenantId: 'acme', details: { balance: '-0.12', currency: 'EUR' } });
    await notifier.close();
  });

  it('under the default policy refuses local and private targets, by URL and by what the name resolves to', async () => {
    const metrics = createMetrics();
    const notifier = createNotifier({ webhooks: [], retries: 0, logger: silentLogger, metrics });
    const before = got.length;
    const sink = createCallNoticeSink({ notifier, loadTenant: async () => acme(`http://127.0.0.1:${port}/hook`), logger: silentLogger });
    await sink.notify({ kind: 'balance_depleted', tenantId: 'acme', balance: -1, currency: 'EUR', atMs: Date.UTC(2025, 2, 11), callId: 'call-8' });
    await notifier.flush();
    expect(got.length).toBe(before);
    expect(metricSum(parseMetrics(await metrics.registry.metrics()), 'tollgate_notices_total', { channel: 'webhook', outcome: 'failed' })).toBe(1);
    await notifier.close();

    // A name (this machine's) that resolves to a loopback or private address: refused in the socket's lookup.
    const name = hostname();
    expect(isPrivateAddress((await lookup(name)).address), `${name} resolves to a private address here`).toBe(true);
    const r = await postTenantWebhook({ url: `https://${name}:${port}/hook`, secret: SECRET }, 'e1', '{}', 2000, 'public-https');
    expect(r).toMatchObject({ ok: false, permanent: true });
    expect(!r.ok && r.reason).toContain('resolves to a local or private address');
    expect(got.length).toBe(before);
  });

  it('says what is wrong with a URL a tenant types', () => {
    const p = (u: string) => webhookUrlProblem(u, 'public-https');
    expect(p('http://hooks.example.com/x')).toBe('must start with https://');
    expect(p('https://localhost/x')).toBe('must not name this machine');
    for (const u of ['https://127.0.0.1/x', 'https://10.1.2.3/x', 'https://192.168.1.1/', 'https://172.20.0.1/', 'https://169.254.169.254/latest', 'https://100.64.0.1/', 'https://[::1]/', 'https://[fd00::1]/', 'https://[::ffff:10.0.0.1]/']) {
      expect(p(u), u).toBe('must be a public address, not a local or private one');
    }
    expect(p('https://user:pw@hooks.example.com/')).toBe('must not carry a user name or password');
    expect(p('not a url')).toMatch(/https:\/\//);
    expect(p('https://hooks.example.com/tollgate')).toBeUndefined();
    expect(p('https://93.184.216.34/x')).toBeUndefined();
  });
});
