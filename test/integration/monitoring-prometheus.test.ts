/**
 * Monitoring end to end: a real Prometheus (Debian's `prometheus`, which npm
 * test installs) on a free loopback port scrapes the real `tollgate run` with
 * the shipped alert rules. Through Prometheus's HTTP API: the target is up,
 * every metric the dashboard and the rules read is known to Prometheus, and
 * freezing Redis (SIGSTOP) sends the Redis alert pending, then firing.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO, tollgateSpawn, type RunningCli } from '../support/cli.js';
import { ALERT_RULES, dashboardMetricNames, ruleMetricNames } from '../support/ops-metrics.js';
import { freePort, startRedisServer, stopProcess, type RunningRedis } from '../support/redis-server.js';
import { stopWithOwner, type Watchdog } from '../support/watchdog.js';

/** Scrapes every 3 s: a hung Redis's readiness PING (bounded at 1.5 s) fits in the scrape timeout. */
const SCRAPE = '3s';
/** The Redis alert's `for:` in the test's copy of the rules (1m in the shipped file). */
const REDIS_ALERT_FOR = '3s';

let redis: RunningRedis | undefined;
let gateway: RunningCli | undefined;
let gatewayGuard: Watchdog | undefined;
let prometheus: ChildProcess | undefined;
let prometheusGuard: Watchdog | undefined;
let dir: string | undefined;
let promBase = '';

/** The shipped rules with the Redis alert's `for:` shortened; every other rule as shipped. */
function rulesForTest(text: string): string {
  const at = text.indexOf('- alert: TollgateRedisUnreachable');
  const forAt = text.indexOf('for: 1m', at);
  if (at < 0 || forAt < 0 || forAt > text.indexOf('- alert:', at + 1)) throw new Error('TollgateRedisUnreachable with for: 1m not found in the rules');
  return `${text.slice(0, forAt)}for: ${REDIS_ALERT_FOR}${text.slice(forAt + 'for: 1m'.length)}`;
}

async function api<T>(path: string): Promise<T> {
  const res = await fetch(`${promBase}${path}`);
  const body = (await res.json()) as { status: string; data: T; error?: string };
  if (body.status !== 'success') throw new Error(`${path}: ${body.error ?? res.status}`);
  return body.data;
}

type Vector = Array<{ metric: Record<string, string>; value: [number, string] }>;
const query = (promql: string) => api<{ result: Vector }>(`/api/v1/query?query=${encodeURIComponent(promql)}`).then((d) => d.result);
const alertState = async (name: string): Promise<string | undefined> =>
  (await api<{ alerts: Array<{ labels: Record<string, string>; state: string }> }>('/api/v1/alerts')).alerts.find((a) => a.labels.alertname === name)?.state;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tollgate-prometheus-'));
  redis = await startRedisServer();
  const httpPort = await freePort();
  gateway = tollgateSpawn(['run', '--config', join(REPO, 'config/tollgate.yaml')], {
    env: {
      REDIS_URL: redis.url,
      TOLLGATE_HTTP_HOST: '127.0.0.1',
      TOLLGATE_HTTP_PORT: String(httpPort),
      // Nothing listens on port 1: the SIP link stays down (its own alert goes pending, not looked at here).
      TOLLGATE_DRACHTIO_PORT: '1',
      TOLLGATE_LOG_LEVEL: 'info',
    },
  });
  gatewayGuard = stopWithOwner([gateway.proc.pid]);
  await gateway.waitFor(/"msg":"tollgate started"/, 45_000);

  writeFileSync(join(dir, 'prometheus-alerts.yml'), rulesForTest(readFileSync(join(REPO, ALERT_RULES), 'utf8')));
  writeFileSync(
    join(dir, 'prometheus.yml'),
    [
      'global:',
      `  scrape_interval: ${SCRAPE}`,
      `  scrape_timeout: ${SCRAPE}`,
      '  evaluation_interval: 1s',
      'rule_files: [prometheus-alerts.yml]',
      'scrape_configs:',
      '  - job_name: tollgate',
      `    static_configs: [{ targets: ["127.0.0.1:${httpPort}"] }]`,
      '',
    ].join('\n'),
  );
  const promPort = await freePort();
  promBase = `http://127.0.0.1:${promPort}`;
  prometheus = spawn(
    'prometheus',
    [`--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${promPort}`],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let promLog = '';
  prometheus.stderr?.on('data', (c: Buffer) => {
    promLog = (promLog + c.toString()).slice(-4000);
  });
  prometheus.on('error', (err) => {
    promLog += `cannot start prometheus (npm test installs Debian's prometheus package): ${err.message}`;
  });
  prometheusGuard = stopWithOwner([prometheus.pid], [dir]);
  const deadline = Date.now() + 45_000;
  while ((await fetch(`${promBase}/-/ready`).catch(() => undefined))?.status !== 200) {
    if (Date.now() > deadline || prometheus.exitCode !== null) throw new Error(`prometheus did not get ready: ${promLog}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}, 120_000);

afterAll(async () => {
  redis?.resume();
  if (gateway) {
    gateway.proc.kill('SIGTERM');
    await gateway.exited;
  }
  gatewayGuard?.cancel();
  if (prometheus) await stopProcess(prometheus);
  prometheusGuard?.cancel();
  await redis?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
}, 60_000);

describe('a real Prometheus scraping `tollgate run` with the shipped alert rules', () => {
  it('scrapes the gateway (up is 1) and loads every alert rule', async () => {
    await expect.poll(async () => (await query('up{job="tollgate"}'))[0]?.value[1], { timeout: 30_000, interval: 500 }).toBe('1');
    const groups = await api<{ groups: Array<{ rules: Array<{ type: string; name: string; health: string }> }> }>('/api/v1/rules');
    const rules = groups.groups.flatMap((g) => g.rules);
    expect(rules.filter((r) => r.type === 'alerting').length).toBeGreaterThan(20);
    await expect.poll(async () => {
      const now = (await api<typeof groups>('/api/v1/rules')).groups.flatMap((g) => g.rules);
      return now.filter((r) => r.health !== 'ok').map((r) => `${r.name}: ${r.health}`);
    }, { timeout: 15_000, interval: 500 }).toEqual([]);
  });

  it('knows every metric the dashboard and the alert rules read (metadata: those only incremented later too)', async () => {
    const wanted = [...new Set([...dashboardMetricNames(), ...ruleMetricNames()])].sort();
    expect(wanted.length).toBeGreaterThan(30);
    const missing = async () => {
      const known = await api<Record<string, unknown>>('/api/v1/metadata');
      return wanted.filter((name) => !(name in known));
    };
    await expect.poll(missing, { timeout: 30_000, interval: 500 }).toEqual([]);
    // Series that exist without any traffic, under their standard names.
    for (const name of ['tollgate_ready_check', 'tollgate_sip_edge_connected', 'nodejs_eventloop_lag_seconds', 'process_resident_memory_bytes']) {
      expect((await query(name)).length, name).toBeGreaterThan(0);
    }
    expect(await query('{__name__=~"tollgate_(process|nodejs)_.+"}')).toEqual([]);
  });

  it('sends TollgateRedisUnreachable pending, then firing, once Redis is frozen (SIGSTOP)', async () => {
    await expect.poll(async () => (await query('tollgate_ready_check{check="redis"}'))[0]?.value[1], { timeout: 30_000, interval: 500 }).toBe('1');
    expect(await alertState('TollgateRedisUnreachable')).toBeUndefined();

    redis!.pause();
    const states = new Set<string>();
    await expect
      .poll(async () => {
        const state = await alertState('TollgateRedisUnreachable');
        if (state) states.add(state);
        return state;
      }, { timeout: 40_000, interval: 250 })
      .toBe('firing');
    // Pending is seen through the ALERTS series even if a poll fell between the two states.
    const pending = await query('count_over_time(ALERTS{alertname="TollgateRedisUnreachable", alertstate="pending"}[5m])');
    expect(states.has('pending') || Number(pending[0]?.value[1] ?? 0) > 0).toBe(true);
    const firing = await query('ALERTS{alertname="TollgateRedisUnreachable", alertstate="firing"}');
    expect(firing[0]?.metric).toMatchObject({ severity: 'critical', check: 'redis', job: 'tollgate' });

    redis!.resume();
    await expect.poll(() => alertState('TollgateRedisUnreachable'), { timeout: 40_000, interval: 500 }).toBeUndefined();
  });
});
