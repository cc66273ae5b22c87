/**
 * Ledger load benchmark: starts its own redis-server (or, with --cluster, a
 * three-master Redis Cluster) and runs `tollgate simulate` scenarios against
 * it, printing throughput, latency percentiles and the overspend check.
 *   npx tsx bench/ledger-simulate.ts [--cluster] [--calls N] [--concurrency C] [--balance X]
 */
import { parseArgs } from 'node:util';
import { formatReport, simulate, SIMULATION_CLOCK_SKEW_MS } from '../src/cli/simulate.js';
import { createLedger } from '../src/ledger/index.js';
import { parseMoney } from '../src/money.js';
import { startRedisCluster } from '../test/support/redis-cluster.js';
import { startRedisServer } from '../test/support/redis-server.js';

const { values } = parseArgs({
  options: {
    cluster: { type: 'boolean', default: false },
    calls: { type: 'string', default: '5000' },
    concurrency: { type: 'string', default: '100' },
    balance: { type: 'string', default: '' },
  },
});

const server = values.cluster ? await startRedisCluster() : await startRedisServer();
const connection = 'nodes' in server ? { clusterNodes: server.nodes } : { url: server.url };
const ledger = createLedger({
  ...connection, keyPrefix: 'bench', leaseSeconds: 30, sliceSeconds: 60, usageRetentionDays: 400,
  plans: [], dialOutMinutesPerLicence: 60, connectTimeoutMs: 5000, commandTimeoutMs: 5000,
  maxClockSkewMs: SIMULATION_CLOCK_SKEW_MS,
});
try {
  const calls = Number(values.calls);
  const concurrency = Number(values.concurrency);
  // Plenty of money (every call completes), then a small balance (most calls refused or cut).
  const balances = values.balance ? [values.balance] : ['100000.00', '25.00'];
  for (const balance of balances) {
    process.stdout.write(`\n== ${values.cluster ? 'Redis Cluster (3 masters)' : 'single Redis'}: ${calls} calls, concurrency ${concurrency}, balance ${balance} ==\n`);
    const report = await simulate({ ledger, calls, concurrency, balance: parseMoney(balance), maxSeconds: 600 });
    process.stdout.write(`${formatReport(report)}\n`);
  }
} finally {
  await ledger.close();
  await server.stop();
}
