/**
 * Recovery pass benchmark: a fresh redis-server with N tenants (default
 * 100,000) and E expired holds (default 1,000); prints the time and the Redis
 * commands of one recovery pass over the per-slot due-indexes, beside a scan
 * of every tenant's lease set (one ZRANGEBYSCORE per tenant, pipelined) in
 * the same run, and the same pass again with nothing expired.
 *   npx tsx bench/recovery-pass.ts [--tenants 100000] [--expired 1000]
 */
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import { createLedger } from '../src/ledger/index.js';
import { tenantKeys, globalKeys } from '../src/ledger/keys.js';
import { microsPerMinorUnit } from '../src/money.js';
import { startRedisServer } from '../test/support/redis-server.js';

const { values } = parseArgs({ options: { tenants: { type: 'string', default: '100000' }, expired: { type: 'string', default: '1000' } } });
const tenants = Number(values.tenants);
const expired = Number(values.expired);
const prefix = 'bench';

const server = await startRedisServer();
const raw = new Redis(server.url);
const ledger = createLedger({
  url: server.url, keyPrefix: prefix, leaseSeconds: 0.5, sliceSeconds: 60, usageRetentionDays: 400,
  plans: [], dialOutMinutesPerLicence: 60, connectTimeoutMs: 5000, commandTimeoutMs: 10_000,
});

async function commandsProcessed(): Promise<number> {
  const info = await raw.info('stats');
  return Number(/total_commands_processed:(\d+)/.exec(info)?.[1] ?? 0);
}

try {
  const g = globalKeys(prefix);
  const ids = Array.from({ length: tenants }, (_, i) => `t${i}`);
  // Tenants written directly (what putTenant leaves behind), in pipelined batches.
  for (let i = 0; i < ids.length; i += 5000) {
    const p = raw.pipeline();
    for (const id of ids.slice(i, i + 5000)) {
      const k = tenantKeys(prefix, id);
      p.set(k.tenant, JSON.stringify({ id, name: id, currency: 'EUR', country: 'DE', creditLimit: 0 }));
      p.hset(k.account, 'cur', 'EUR', 'step', microsPerMinorUnit('EUR'), 'lim', 0, 'bal', 1_000_000_000, 'held', 0);
      p.sadd(g.tenants, id);
      p.sadd(g.slots, String(k.slot));
    }
    await p.exec();
  }
  const rate = { currency: 'EUR', pricePerMinute: 100_000, connectFee: 0, initialIncrement: 60, subsequentIncrement: 60 };
  for (let i = 0; i < expired; i++) {
    const tenantId = ids[(i * 97) % ids.length]!;
    await ledger.hold({
      tenantId, callId: `lost-${i}`, sources: [{ kind: 'credits' }], rate, requirePositiveBalance: false, nowMs: Date.now(),
      draft: { tenantId, callId: `lost-${i}`, callType: 'user_out', callDirection: 'outbound', destinationDialed: '+4930', destinationNumber: '+4930', currency: 'EUR' },
    });
  }
  await sleep(700); // every lease runs out on Redis time

  // Baseline: every tenant's lease set, one command each (pipelined in batches).
  let c0 = await commandsProcessed();
  let t0 = performance.now();
  let found = 0;
  const now = Date.now();
  for (let i = 0; i < ids.length; i += 5000) {
    const p = raw.pipeline();
    for (const id of ids.slice(i, i + 5000)) p.zrangebyscore(tenantKeys(prefix, id).leases, '-inf', now, 'LIMIT', 0, 500);
    for (const [, r] of (await p.exec()) ?? []) found += (r as string[]).length;
  }
  const scanMs = performance.now() - t0;
  const scanCommands = (await commandsProcessed()) - c0 - 1;

  c0 = await commandsProcessed();
  t0 = performance.now();
  const pass = await ledger.recoveryPass();
  const passMs = performance.now() - t0;
  const passCommands = (await commandsProcessed()) - c0 - 1;

  c0 = await commandsProcessed();
  t0 = performance.now();
  const idle = await ledger.recoveryPass();
  const idleMs = performance.now() - t0;
  const idleCommands = (await commandsProcessed()) - c0 - 1;

  process.stdout.write(
    [
      `tenants ${tenants}, cluster slots holding them ${pass.slots}, expired holds ${expired}`,
      `| what | time | Redis commands | expired found | settled |`,
      `|---|---|---|---|---|`,
      `| baseline: ZRANGEBYSCORE per tenant (pipelined, finds only) | ${scanMs.toFixed(0)} ms | ${scanCommands} | ${found} | – |`,
      `| recovery pass over the slot due-indexes (finds and settles) | ${passMs.toFixed(0)} ms | ${passCommands} | ${pass.expired} | ${pass.settled.length} |`,
      `| the next pass, nothing expired | ${idleMs.toFixed(0)} ms | ${idleCommands} | ${idle.expired} | ${idle.settled.length} |`,
      `ratio: baseline scan / idle pass time ${(scanMs / idleMs).toFixed(1)}x, commands ${(scanCommands / Math.max(1, idleCommands)).toFixed(1)}x`,
      '',
    ].join('\n'),
  );
} finally {
  await ledger.close();
  raw.disconnect();
  await server.stop();
}
