/**
 * Benchmark: the admin API's balance read under concurrent load over a real
 * socket, beside /healthz (HTTP alone) and a raw Redis PING in the same run.
 *
 *   npx tsx bench/api-balance.ts        (env: REQUESTS=5000 CONCURRENCY=32 TENANTS=50 MAX_SECONDS=30)
 */
import { Redis } from 'ioredis';
import { createCallControl } from '../src/calls/call-control.js';
import { validateConfig } from '../src/config/load.js';
import { buildApp } from '../src/http/app.js';
import { createLedger, ledgerOptionsFromConfig } from '../src/ledger/index.js';
import { silentLogger } from '../src/log.js';
import { createMetrics } from '../src/metrics.js';
import { RateStore } from '../src/rating/index.js';
import { startRedisServer } from '../test/support/redis-server.js';
import { envInt, printTable, runLoad, type LoadResult } from './api-load.js';

const REQUESTS = envInt('REQUESTS', 5000);
const CONCURRENCY = envInt('CONCURRENCY', 32);
const TENANTS = envInt('TENANTS', 50);
const MAX_SECONDS = envInt('MAX_SECONDS', 30);
const TOKEN = 'bench-admin-token-0000';

async function main(): Promise<void> {
  const redis = await startRedisServer();
  const results: Array<LoadResult & { firstError?: string }> = [];
  try {
    const config = validateConfig({ http: { adminToken: TOKEN }, redis: { url: redis.url, keyPrefix: 'bench', commandTimeoutMs: 5000 } }, 'bench');
    const metrics = createMetrics({ defaultMetrics: true });
    const ledger = createLedger(ledgerOptionsFromConfig(config, { metrics }));
    const rates = await RateStore.open({ dir: 'rates', logger: silentLogger });
    const calls = createCallControl({ ledger, rates, config, logger: silentLogger, metrics });
    const app = await buildApp({
      config, ledger, rates, calls, metrics, logger: silentLogger,
      readiness: { redis: async () => (await ledger.ready(), true), rates: () => true },
    });
    const base = await app.listen({ host: '127.0.0.1', port: 0 });
    const raw = new Redis(redis.url);
    const headers = { authorization: `Bearer ${TOKEN}` };

    for (let i = 0; i < TENANTS; i++) {
      const put = await fetch(`${base}/v1/tenants/t${i}`, {
        method: 'PUT',
        headers: { ...headers, 'content-type': 'application/json' },
        body: JSON.stringify({ name: `Tenant ${i}`, currency: 'EUR', country: 'DE', creditLimit: '10.00' }),
      });
      if (put.status !== 201) throw new Error(`provisioning t${i}: HTTP ${put.status} ${await put.text()}`);
      await fetch(`${base}/v1/tenants/t${i}/topups`, {
        method: 'POST',
        headers: { ...headers, 'content-type': 'application/json' },
        body: JSON.stringify({ reference: 'opening', amount: '100.00' }),
      });
    }

    const get = async (url: string, init: RequestInit = {}) => {
      const r = await fetch(url, init);
      const body = await r.arrayBuffer();
      if (r.status !== 200) throw new Error(`${url}: HTTP ${r.status} ${Buffer.from(body).toString('utf8').slice(0, 200)}`);
    };
    process.stdout.write(`tollgate admin API benchmark: ${REQUESTS} requests, ${CONCURRENCY} in flight, ${TENANTS} tenants, ${base}\n\n`);
    await runLoad('warm-up', { count: 500, concurrency: CONCURRENCY, maxSeconds: 10 }, (i) => get(`${base}/v1/tenants/t${i % TENANTS}/balance`, { headers }));

    const load = { count: REQUESTS, concurrency: CONCURRENCY, maxSeconds: MAX_SECONDS };
    results.push(await runLoad('redis PING (raw round trip)', load, () => raw.ping()));
    results.push(await runLoad('GET /healthz (HTTP only)', load, () => get(`${base}/healthz`)));
    results.push(await runLoad('GET /v1/tenants/:id/balance', load, (i) => get(`${base}/v1/tenants/t${i % TENANTS}/balance`, { headers })));
    results.push(
      await runLoad('POST /v1/tenants/:id/topups (new ref)', { ...load, count: Math.min(REQUESTS, 2000) }, async (i) => {
        const r = await fetch(`${base}/v1/tenants/t${i % TENANTS}/topups`, {
          method: 'POST',
          headers: { ...headers, 'content-type': 'application/json' },
          body: JSON.stringify({ reference: `bench-${i}`, amount: '0.01' }),
        });
        await r.arrayBuffer();
        if (r.status !== 201) throw new Error(`top-up: HTTP ${r.status}`);
      }),
    );
    printTable(results);

    const health = results.find((r) => r.label.startsWith('GET /healthz'))!;
    const ping = results.find((r) => r.label.startsWith('redis PING'))!;
    const balance = results.find((r) => r.label.startsWith('GET /v1/tenants/:id/balance'))!;
    process.stdout.write(
      `\nbalance read: ${(balance.p50Ms / health.p50Ms).toFixed(1)}x the p50 of /healthz, ` +
        `${(balance.p50Ms / ping.p50Ms).toFixed(1)}x the p50 of a Redis PING; ` +
        `${balance.perSecond.toFixed(0)} reads/s against ${health.perSecond.toFixed(0)} /healthz/s\n`,
    );
    if (results.some((r) => r.errors > 0)) process.exitCode = 1;
    raw.disconnect();
    await calls.stop();
    await app.close();
  } finally {
    await redis.stop();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
