/**
 * The portal's figures from PostgreSQL (postgres.url set) are the figures from
 * Redis: the forecast, the usage page (filtered, paged) and the daily sums,
 * on the same calls settled by the real ledger and written by the history writer.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCallControl } from '../../src/calls/call-control.js';
import { validateConfig } from '../../src/config/load.js';
import { buildApp, type App } from '../../src/http/app.js';
import { historyStore } from '../../src/history/index.js';
import { startHistoryWriter } from '../../src/history/writer.js';
import type { PgPool } from '../../src/history/pg.js';
import type { RedisLedger } from '../../src/ledger/redis-ledger.js';
import { silentLogger } from '../../src/log.js';
import { createMetrics } from '../../src/metrics.js';
import { RateStore } from '../../src/rating/index.js';
import { T0, tenant } from '../support/ledger-fixtures.js';
import { freshDatabase, historyLedger, quietLogger, runCall } from '../support/history-fixtures.js';
import { startPostgres, type RunningPostgres } from '../support/postgres-server.js';

const TOKEN = 'test-admin-token-0123456789';
const auth = { authorization: `Bearer ${TOKEN}` };
const HOUR = 3_600_000;
const NOW = T0 + 10 * 24 * HOUR;

let server: RunningPostgres;
let pool: PgPool;
let ledger: RedisLedger;
let pgApp: App;
let redisApp: App;
let rates: RateStore;

beforeAll(async () => {
  server = await startPostgres();
  ({ pool } = await freshDatabase(server.url));
  ledger = historyLedger();
  const config = validateConfig({ http: { adminToken: TOKEN }, rates: { dir: 'rates', watch: false } }, 'test');
  const metrics = createMetrics();
  rates = await RateStore.open({ dir: config.rates.dir, logger: silentLogger, metrics });
  const calls = createCallControl({ ledger, rates, config, logger: silentLogger, metrics });
  const common = { config, ledger, rates, calls, metrics, logger: silentLogger, readiness: {}, closeResources: false, now: () => NOW };
  pgApp = await buildApp({ ...common, history: historyStore(pool) });
  redisApp = await buildApp(common);
  await ledger.putTenant(tenant('fc', { currency: 'EUR' }));
  await ledger.topUp('fc', 'fund-1', 30_000_000, T0);
  // 24 calls over ten days, some never answered.
  for (let i = 0; i < 24; i++) await runCall(ledger, 'fc', (i % 4) * 40, i * 10 * HOUR);
  const w = startHistoryWriter({ outbox: ledger.historyOutbox, pool, consumer: 'portal', logger: quietLogger }, false);
  await w.drain();
  await w.stop();
}, 120_000);

afterAll(async () => {
  await pgApp?.close();
  await redisApp?.close();
  rates?.close();
  await ledger?.close();
  await pool?.end();
  await server?.destroy();
});

describe('portal figures from PostgreSQL and from Redis (DOMAIN.md rule 30 pages)', () => {
  const get = async (url: string) => {
    const [pg, redis] = await Promise.all([pgApp.inject({ method: 'GET', url, headers: auth }), redisApp.inject({ method: 'GET', url, headers: auth })]);
    expect(pg.statusCode, pg.body).toBe(200);
    return { pg: pg.json(), redis: redis.json() };
  };

  it('the forecast is the same', async () => {
    const { pg, redis } = await get('/v1/tenants/fc/forecast');
    expect(pg).toEqual(redis);
    expect(Number(pg.windows[0].spent)).toBeGreaterThan(0);
  });

  it('the usage page and the daily sums are the same', async () => {
    const range = `from=${new Date(T0).toISOString()}&to=${new Date(NOW).toISOString()}`;
    const page = await get(`/v1/tenants/fc/usage?${range}&limit=5&offset=10`);
    expect(page.pg.total).toBe(24);
    expect(page.pg).toEqual(page.redis);
    const daily = await get(`/v1/tenants/fc/usage/daily?${range}&capability=credits`);
    expect(daily.pg).toEqual(daily.redis);
    expect(daily.pg.days.reduce((n: number, d: { calls: number }) => n + d.calls, 0)).toBe(24);
  });
});
