/**
 * Builds the real HTTP app for tests: a real ledger on its own key prefix in
 * the test Redis, the real rate store over rates/, the real call control.
 */
import { createCallControl } from '../../src/calls/call-control.js';
import type { Clock } from '../../src/calls/clock.js';
import type { CallControl } from '../../src/calls/types.js';
import { validateConfig } from '../../src/config/load.js';
import type { Config } from '../../src/config/schema.js';
import { buildApp, type App } from '../../src/http/app.js';
import type { ReadinessProbe } from '../../src/http/deps.js';
import type { LedgerOptions, RedisLedger } from '../../src/ledger/index.js';
import { silentLogger } from '../../src/log.js';
import { createMetrics, type Metrics } from '../../src/metrics.js';
import { RateStore } from '../../src/rating/index.js';
import { newLedger } from '../support/ledger-fixtures.js';

export const ADMIN_TOKEN = 'test-admin-token-0123456789';
export const auth = { authorization: `Bearer ${ADMIN_TOKEN}` };

export interface Harness {
  app: App;
  ledger: RedisLedger;
  rates: RateStore;
  calls: CallControl;
  metrics: Metrics;
  config: Config;
  close(): Promise<void>;
}

export interface HarnessOptions {
  ledger?: Partial<LedgerOptions>;
  readiness?: Record<string, ReadinessProbe>;
  tenantLabels?: boolean;
  ratesDir?: string;
  /** The call control's clock (a FakeClock in tests that meter calls); the app's `now` follows it. */
  clock?: Clock;
}

export async function startHarness(opts: HarnessOptions = {}): Promise<Harness> {
  const config = validateConfig(
    { http: { adminToken: ADMIN_TOKEN }, metrics: { tenantLabels: opts.tenantLabels ?? false }, rates: { dir: opts.ratesDir ?? 'rates', watch: false } },
    'test',
  );
  const metrics = createMetrics({ tenantLabels: config.metrics.tenantLabels });
  const ledger = newLedger('redis', { metrics, ...opts.ledger });
  const rates = await RateStore.open({ dir: config.rates.dir, logger: silentLogger, metrics });
  const calls = createCallControl({ ledger, rates, config, logger: silentLogger, metrics, ...(opts.clock ? { clock: opts.clock } : {}) });
  const app = await buildApp({
    config,
    ledger,
    rates,
    calls,
    metrics,
    logger: silentLogger,
    ...(opts.clock ? { now: () => opts.clock!.now() } : {}),
    readiness: opts.readiness ?? {
      redis: async () => {
        await ledger.ready();
        return true;
      },
      rates: () => rates.book.version.length > 0,
    },
  });
  return {
    app,
    ledger,
    rates,
    calls,
    metrics,
    config,
    async close() {
      await calls.stop();
      await app.close();
    },
  };
}

/** JSON body of a PUT/POST with the admin token. */
export function json(payload: unknown) {
  return { headers: { ...auth, 'content-type': 'application/json' }, payload: JSON.stringify(payload) };
}

/** Prometheus text format as series -> value, series written `name{k="v",...}` with labels sorted. */
export function parseMetrics(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) throw new Error(`not a Prometheus sample line: ${line}`);
    const labels = [...(m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((l) => `${l[1]}="${l[2]}"`).sort();
    out.set(labels.length > 0 ? `${m[1]}{${labels.join(',')}}` : m[1]!, Number(m[3]));
  }
  return out;
}

/** Sum of every series of `name` whose labels include all of `labels`. */
export function metricSum(samples: Map<string, number>, name: string, labels: Record<string, string> = {}): number {
  let sum = 0;
  for (const [series, value] of samples) {
    const base = series.split('{')[0];
    if (base !== name) continue;
    if (Object.entries(labels).every(([k, v]) => series.includes(`${k}="${v}"`))) sum += value;
  }
  return sum;
}
