/**
 * Log lines as an operator reads them: ISO 8601 times, one line per API
 * request, a warning that only repeats itself said once (then at debug), and
 * a human-readable mode.
 */
import { Writable } from 'node:stream';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { createCallControl } from '../../src/calls/call-control.js';
import { loadConfig, validateConfig } from '../../src/config/load.js';
import { buildApp, type App } from '../../src/http/app.js';
import { createLedger, ledgerOptionsFromConfig } from '../../src/ledger/index.js';
import { createLogger } from '../../src/log.js';
import { createMetrics } from '../../src/metrics.js';
import { RateStore } from '../../src/rating/rate-store.js';

function capture(): { stream: Writable; lines: () => string[] } {
  let text = '';
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      text += chunk.toString();
      done();
    },
  });
  return { stream, lines: () => text.split('\n').filter(Boolean) };
}
const parsed = (lines: string[]) => lines.map((l) => JSON.parse(l) as Record<string, unknown>);

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c();
});

describe('log lines', () => {
  it('carry ISO 8601 times', () => {
    const out = capture();
    createLogger({ level: 'info', destination: out.stream }).info('hello');
    const [line] = parsed(out.lines());
    expect(line?.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  });

  it('a warning repeated (same logger, message and error) is written once at warn, the repeats at debug', () => {
    const out = capture();
    const root = createLogger({ level: 'debug', destination: out.stream });
    const link = root.child({ link: 'drachtio' });
    for (let i = 0; i < 5; i++) link.warn({ err: 'connect ECONNREFUSED 127.0.0.1:9022' }, 'drachtio connection error');
    link.warn({ err: 'read ECONNRESET' }, 'drachtio connection error');
    const lines = parsed(out.lines());
    expect(lines.filter((l) => l.level === 40).map((l) => l.err)).toEqual(['connect ECONNREFUSED 127.0.0.1:9022', 'read ECONNRESET']);
    expect(lines.filter((l) => l.level === 20)).toHaveLength(4);
  });

  it('after the window, the same warning is written at warn again (a reminder, not silence)', () => {
    const out = capture();
    const log = createLogger({ level: 'info', destination: out.stream, repeatWindowMs: 0 });
    log.warn('redis connection error');
    log.warn('redis connection error');
    expect(parsed(out.lines()).filter((l) => l.level === 40)).toHaveLength(2);
  });

  it('pretty mode writes human-readable lines, not JSON', () => {
    const out = capture();
    createLogger({ level: 'info', pretty: true, destination: out.stream }).info({ tenant: 'acme' }, 'tollgate started');
    const text = out.lines().join('\n');
    expect(text).toMatch(/INFO.*tollgate started/);
    expect(text).toContain('tenant: "acme"');
    expect(() => JSON.parse(out.lines()[0]!)).toThrow();
  });

  it('log.pretty comes from the config file or TOLLGATE_LOG_PRETTY=1', () => {
    expect(loadConfig('config/tollgate.yaml', {}).log.pretty).toBe(false);
    expect(loadConfig('config/tollgate.yaml', { TOLLGATE_LOG_PRETTY: '1' }).log.pretty).toBe(true);
    expect(() => loadConfig('config/tollgate.yaml', { TOLLGATE_LOG_PRETTY: 'yes please' })).toThrow(/TOLLGATE_LOG_PRETTY/);
  });
});

describe('API request lines', () => {
  let app: App | undefined;
  it('one info line per API request, none for probes and scrapes', async () => {
    const out = capture();
    const logger = createLogger({ level: 'info', destination: out.stream });
    const config = validateConfig({ http: { adminToken: 'logging-test-admin-token' }, redis: { url: inject('redisUrl'), keyPrefix: `logtest${process.pid}` }, rates: { dir: 'rates', watch: false } }, 'test');
    const metrics = createMetrics({ defaultMetrics: false });
    const ledger = createLedger(ledgerOptionsFromConfig(config));
    const rates = await RateStore.open({ dir: config.rates.dir, logger, metrics });
    const calls = createCallControl({ ledger, rates, config, logger, metrics });
    app = await buildApp({ config, ledger, rates, calls, metrics, logger, readiness: {} });
    closers.push(async () => {
      await calls.stop();
      await app!.close();
    });
    const before = out.lines().length;
    expect((await app.inject({ method: 'GET', url: '/v1/tenants' })).statusCode).toBe(401);
    await app.inject({ method: 'GET', url: '/healthz' });
    await app.inject({ method: 'GET', url: '/metrics' });
    const lines = parsed(out.lines().slice(before));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: 30, msg: 'request', method: 'GET', url: '/v1/tenants', statusCode: 401, component: 'http' });
    expect(lines[0]?.responseTimeMs).toEqual(expect.any(Number));
  });
});
