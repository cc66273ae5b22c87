/**
 * Exports and reports from the store of record: the usage CSV over the API
 * from PostgreSQL has the same columns and bytes as from Redis; statement
 * (JSON, CSV), daily spend and adjustments over the API; and a usage export
 * of a million rows streams through a cursor with flat memory.
 */
import v8 from 'node:v8';
import vm from 'node:vm';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCallControl } from '../../src/calls/call-control.js';
import { validateConfig } from '../../src/config/load.js';
import { buildApp, type App } from '../../src/http/app.js';
import { historyStore } from '../../src/history/index.js';
import { usageFromPostgres } from '../../src/history/store.js';
import { startHistoryWriter } from '../../src/history/writer.js';
import { createPgPool, type PgPool } from '../../src/history/pg.js';
import type { RedisLedger } from '../../src/ledger/redis-ledger.js';
import { silentLogger } from '../../src/log.js';
import { createMetrics } from '../../src/metrics.js';
import { RateStore } from '../../src/rating/index.js';
import { usageCsv } from '../../src/usage/csv.js';
import { T0, tenant } from '../support/ledger-fixtures.js';
import { freshDatabase, historyLedger, quietLogger, runCall } from '../support/history-fixtures.js';
import { startPostgres, type RunningPostgres } from '../support/postgres-server.js';

const TOKEN = 'test-admin-token-0123456789';
const auth = { authorization: `Bearer ${TOKEN}` };

let server: RunningPostgres;
let pool: PgPool;
let url: string;
let ledger: RedisLedger;
let app: App;
let redisApp: App;
let rates: RateStore;
beforeAll(async () => {
  server = await startPostgres();
  ({ pool, url } = await freshDatabase(server.url));
  ledger = historyLedger();
  const config = validateConfig({ http: { adminToken: TOKEN }, rates: { dir: 'rates', watch: false } }, 'test');
  const metrics = createMetrics();
  rates = await RateStore.open({ dir: config.rates.dir, logger: silentLogger, metrics });
  const calls = createCallControl({ ledger, rates, config, logger: silentLogger, metrics });
  const common = { config, ledger, rates, calls, metrics, logger: silentLogger, readiness: {}, closeResources: false, now: () => T0 };
  app = await buildApp({ ...common, history: historyStore(pool) });
  redisApp = await buildApp(common);
});
afterAll(async () => {
  await app?.close();
  await redisApp?.close();
  rates?.close();
  await ledger?.close();
  await pool?.end();
  await server?.destroy();
});

describe('exports and reports from PostgreSQL', () => {
  it('usage CSV from PostgreSQL is the same report as from Redis; statement and daily spend add up; adjustments are journalled', async () => {
    await ledger.putTenant(tenant('rep', { currency: 'EUR' }));
    await ledger.topUp('rep', 'fund-1', 20_000_000, T0);
    for (let i = 0; i < 30; i++) await runCall(ledger, 'rep', (i % 5) * 45, i * 3_600_000);
    const adj = await app.inject({ method: 'POST', url: '/v1/tenants/rep/adjustments', headers: auth, payload: { reference: 'credit-note-1', amount: '-1.50' } });
    expect(adj.statusCode).toBe(201);
    expect(adj.json()).toMatchObject({ applied: true, amount: '-1.50' });
    const again = await app.inject({ method: 'POST', url: '/v1/tenants/rep/adjustments', headers: auth, payload: { reference: 'credit-note-1', amount: '-1.50' } });
    expect(again.statusCode).toBe(200);
    const zero = await app.inject({ method: 'POST', url: '/v1/tenants/rep/adjustments', headers: auth, payload: { reference: 'z', amount: '0' } });
    expect(zero.statusCode).toBe(400);
    const w = startHistoryWriter({ outbox: ledger.historyOutbox, pool, consumer: 'rep', logger: quietLogger }, false);
    await w.drain();
    await w.stop();

    const range = 'from=2025-03-01&to=2025-04-01';
    const fromPg = await app.inject({ method: 'GET', url: `/v1/tenants/rep/usage.csv?${range}`, headers: auth });
    const fromRedis = await redisApp.inject({ method: 'GET', url: `/v1/tenants/rep/usage.csv?${range}`, headers: auth });
    expect(fromPg.statusCode).toBe(200);
    expect(fromPg.body.split('\r\n').length).toBe(32); // header, 30 records, the empty end
    expect(fromPg.body).toBe(fromRedis.body);

    const month = new Date(Number((await ledger.client.time())[0]) * 1000).toISOString().slice(0, 7);
    const st = await app.inject({ method: 'GET', url: `/v1/tenants/rep/statement?month=${month}`, headers: auth });
    expect(st.statusCode).toBe(200);
    const view = st.json();
    const bal = (await ledger.balance('rep', T0)).balance;
    expect(view.closingBalance).toBe((bal / 1_000_000).toFixed(2));
    expect(view.openingBalance).toBe('0.00');
    expect(view.topUps).toEqual({ count: 1, amount: '20.00' });
    expect(view.adjustments).toEqual({ count: 1, amount: '-1.50' });
    expect(view.charges.map((c: { capability: string; callType: string }) => [c.capability, c.callType])).toEqual([['credits', 'user_out']]);
    const csv = await app.inject({ method: 'GET', url: `/v1/tenants/rep/statement.csv?month=${month}`, headers: auth });
    expect(csv.body).toContain(`rep,${month},Closing balance,,,,${view.closingBalance},EUR`);

    const spend = await app.inject({ method: 'GET', url: `/v1/tenants/rep/spend/daily?${range}`, headers: auth });
    const days = spend.json().days as Array<{ day: string; calls: number; charge: string }>;
    expect(days.reduce((n, d) => n + d.calls, 0)).toBe(30);
    expect(days[0]!.day).toBe('2025-03-10');
    const charged = days.reduce((s, d) => s + Math.round(Number(d.charge) * 100), 0);
    expect(charged).toBe(Math.round(Number(view.totalCharges.amount) * 100));

    const none = await redisApp.inject({ method: 'GET', url: `/v1/tenants/rep/statement?month=${month}`, headers: auth });
    expect(none.statusCode).toBe(503);
    expect(none.json().error).toBe('NO_HISTORY_STORE');
  });

  const ROWS = Number(process.env.TOLLGATE_EXPORT_TEST_ROWS ?? 1_000_000);
  it(`streams a ${ROWS.toLocaleString('en')}-row usage export through a cursor with flat memory`, async () => {
    // Made in SQL (a few seconds): the writer's path is measured by bench/history-write.ts.
    const loader = createPgPool({ url, statementTimeoutMs: 600_000, poolSize: 1 });
    await loader.query("SELECT history_ensure_month('usage_records', '2025-01-01')");
    await loader.query(
      `INSERT INTO usage_records (usage_id, tenant_id, call_id, call_type, call_direction, destination_dialed, destination_number,
         start_time, end_time, duration_seconds, connect_fee_micros, charge_micros, currency, capability, end_reason, ledger_at, user_display_name)
       SELECT 'u' || g, 'big', 'call-' || g, 'user_out', 'outbound', '+4930123456', '+4930123456',
         timestamptz '2025-01-01 00:00:00+00' + g * interval '2 seconds', timestamptz '2025-01-01 00:01:00+00' + g * interval '2 seconds',
         60, 0, 100000, 'EUR', 'credits', 'caller_hangup', now(), 'Zoë "the caller", Åström'
       FROM generate_series(1, $1::int) AS g`,
      [ROWS],
    );
    await loader.end();
    // Heap after a full collection, every 100,000 rows: flat means it does not grow with the rows written.
    v8.setFlagsFromString('--expose_gc');
    const gc = vm.runInNewContext('gc') as () => void;
    gc();
    const base = process.memoryUsage();
    const heapAfterGc: number[] = [];
    let peakRss = base.rss;
    let bytes = 0;
    let lines = 0;
    const started = performance.now();
    await pipeline(
      Readable.from(usageCsv(usageFromPostgres(pool, 'big', Date.UTC(2025, 0, 1), Date.UTC(2025, 1, 1)))),
      new Writable({
        write(chunk: Buffer | string, _enc, done) {
          const text = chunk.toString();
          bytes += Buffer.byteLength(text);
          for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) {
            lines++;
            if (lines % 100_000 === 0) {
              gc();
              const m = process.memoryUsage();
              heapAfterGc.push(m.heapUsed);
              peakRss = Math.max(peakRss, m.rss);
            }
          }
          done();
        },
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    const growth = Math.max(...heapAfterGc) - heapAfterGc[0]!;
    console.log(`export: ${ROWS} rows, ${(bytes / 1e6).toFixed(0)} MB of CSV in ${seconds.toFixed(1)} s (${Math.round(ROWS / seconds)} rows/s); ` +
      `heap after GC ${heapAfterGc.map((h) => (h / 1e6).toFixed(1)).join(' ')} MB (growth ${(growth / 1e6).toFixed(1)} MB), rss +${((peakRss - base.rss) / 1e6).toFixed(1)} MB`);
    expect(lines).toBe(ROWS + 1);
    // The whole report in memory would be ~300 bytes a row: 300 MB for a million.
    expect(growth).toBeLessThan(16e6);
    expect(peakRss - base.rss).toBeLessThan(128e6);
  }, 300_000);
});
