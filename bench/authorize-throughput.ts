/**
 * Benchmark: how fast calls can be admitted and settled, beside a raw Redis
 * round trip on the same server in the same run. Prints figures and exits.
 *
 *   npx tsx bench/authorize-throughput.ts        (env: CALLS=4000 CONCURRENCY=32 TENANTS=16 MAX_SECONDS=30 AUTO_PIPELINING=0)
 *
 * AUTO_PIPELINING=1 runs the ledger with redis.autoPipelining on (one write per event-loop turn) against the default off.
 */
import { performance } from 'node:perf_hooks';
import { Redis } from 'ioredis';
import { createCallControl } from '../src/calls/call-control.js';
import type { CallSession, CallTransport } from '../src/calls/types.js';
import { validateConfig } from '../src/config/load.js';
import { createLedger, ledgerOptionsFromConfig } from '../src/ledger/index.js';
import { silentLogger } from '../src/log.js';
import { createMetrics } from '../src/metrics.js';
import { RateStore } from '../src/rating/index.js';
import { startRedisServer } from '../test/support/redis-server.js';
import { countCommands, envInt, percentile, printTable, runLoad, type LoadResult } from './api-load.js';

const CALLS = envInt('CALLS', 4000);
const CONCURRENCY = envInt('CONCURRENCY', 32);
const TENANTS = envInt('TENANTS', 16);
const MAX_SECONDS = envInt('MAX_SECONDS', 30);
const load = { count: CALLS, concurrency: CONCURRENCY, maxSeconds: MAX_SECONDS };

/** USD 0.03 a minute, per second: the sample UK mobile rate. */
const RATE = { currency: 'USD', pricePerMinute: 30_000, connectFee: 0, initialIncrement: 1, subsequentIncrement: 1 };

class NoTransport implements CallTransport {
  session: CallSession | undefined;
  async hangUp(): Promise<void> {
    await this.session?.end('shutdown');
  }
}

async function main(): Promise<void> {
  const redis = await startRedisServer();
  const sent = countCommands();
  const perCall: Array<[string, string]> = [];
  /** Runs a load and notes the Redis commands each of its ops sent (one command = one round trip unless pipelined). */
  const counted = async (label: string, run: () => Promise<LoadResult & { firstError?: string }>) => {
    sent.reset();
    const r = await run();
    perCall.push([label, (sent.total() / Math.max(1, r.ops + r.errors)).toFixed(2)]);
    return r;
  };
  const results: Array<LoadResult & { firstError?: string }> = [];
  try {
    const config = validateConfig(
      { http: { adminToken: 'bench-admin-token-0000' }, redis: { url: redis.url, keyPrefix: 'bench', commandTimeoutMs: 5000, autoPipelining: process.env.AUTO_PIPELINING === '1' } },
      'bench',
    );
    const metrics = createMetrics();
    const ledger = createLedger(ledgerOptionsFromConfig(config, { metrics }));
    const raw = new Redis(redis.url);
    const tenantIds = Array.from({ length: TENANTS }, (_, i) => `bench-${i}`);
    const now = Date.now();
    for (const id of tenantIds) {
      await ledger.putTenant({ id, name: id, currency: 'USD', country: 'GB', creditLimit: 0 });
      await ledger.topUp(id, 'bench-opening', 1_000_000 * 1_000_000, now);
      await ledger.putUser({
        id: 'zoe', tenantId: id, upn: `zoe@${id}.example`, displayName: 'Zoë', usageCountry: 'GB',
        policy: 'international_and_domestic', dialOutPolicy: 'any', licences: ['communicationCredits'],
      });
    }

    process.stdout.write(`tollgate authorize benchmark: ${CALLS} calls, ${CONCURRENCY} in flight, ${TENANTS} tenants, redis-server ${redis.url}, ledger autoPipelining ${config.redis.autoPipelining ? 'on' : 'off'}\n\n`);
    // Warm up connections, script cache and JIT.
    await runLoad('warm-up', { count: 300, concurrency: CONCURRENCY, maxSeconds: 10 }, async (i) => {
      await raw.ping();
      const tenantId = tenantIds[i % TENANTS]!;
      await ledger.hold(holdRequest(tenantId, `warm-${i}`, Date.now()));
      await ledger.release(tenantId, `warm-${i}`, Date.now(), 'cancelled');
    });

    results.push(await runLoad('redis PING (raw round trip)', load, () => raw.ping()));
    results.push(await runLoad('redis GET (raw round trip)', load, () => raw.get('bench:missing')));
    results.push(
      await runLoad('ledger hold (first slice)', load, async (i) => {
        await ledger.hold(holdRequest(tenantIds[i % TENANTS]!, `h-${i}`, Date.now()));
      }),
    );
    results.push(
      await counted('ledger hold + answer + settle', () => runLoad('ledger hold + answer + settle', load, async (i) => {
        const tenantId = tenantIds[i % TENANTS]!;
        const callId = `c-${i}`;
        const t = Date.now();
        const held = await ledger.hold(holdRequest(tenantId, callId, t));
        if (!held.ok) throw new Error(`hold refused: ${held.refusal}`);
        await ledger.answer(tenantId, callId, t);
        await ledger.settle(tenantId, callId, t + 30_000, 'caller_hangup');
      })),
    );

    const rates = await RateStore.open({ dir: 'rates', logger: silentLogger });
    const control = createCallControl({ ledger, rates, config, logger: silentLogger, metrics });
    const authorizeOnly: number[] = [];
    results.push(
      await counted('call control authorize + answer + end', () => runLoad('call control authorize + answer + end', load, async (i) => {
        const transport = new NoTransport();
        const t0 = performance.now();
        const outcome = await control.authorize(
          {
            callId: `cc-${i}`, direction: 'outbound', callType: 'user_out', tenantId: tenantIds[i % TENANTS]!, userId: 'zoe',
            dialed: '+447700900123', receivedAtMs: Date.now(),
          },
          transport,
        );
        authorizeOnly.push(performance.now() - t0);
        if (!outcome.allowed) throw new Error(`refused: ${outcome.code} ${outcome.message}`);
        transport.session = outcome.session;
        await outcome.session.answered();
        await outcome.session.end('caller_hangup');
      })),
    );
    // One at a time: latency without queueing behind other calls.
    const serial = { count: Math.min(CALLS, 1000), concurrency: 1, maxSeconds: MAX_SECONDS };
    results.push(await runLoad('redis PING, 1 in flight', serial, () => raw.ping()));
    const serialAuthorize: number[] = [];
    results.push(
      await counted('call control authorize + release, 1 in flight', () => runLoad('call control authorize + release, 1 in flight', serial, async (i) => {
        const transport = new NoTransport();
        const t0 = performance.now();
        const outcome = await control.authorize(
          {
            callId: `cs-${i}`, direction: 'outbound', callType: 'user_out', tenantId: tenantIds[i % TENANTS]!, userId: 'zoe',
            dialed: '+447700900123', receivedAtMs: Date.now(),
          },
          transport,
        );
        serialAuthorize.push(performance.now() - t0);
        if (!outcome.allowed) throw new Error(`refused: ${outcome.code} ${outcome.message}`);
        transport.session = outcome.session;
        await outcome.session.end('cancelled');
      })),
    );
    await control.drain(5000);
    await control.stop();
    rates.close();

    printTable(results);
    authorizeOnly.sort((a, b) => a - b);
    serialAuthorize.sort((a, b) => a - b);
    process.stdout.write(
      `\ncall control authorize alone (admission decision incl. first hold), ${CONCURRENCY} in flight: ` +
        `p50 ${percentile(authorizeOnly, 50).toFixed(3)} ms, p99 ${percentile(authorizeOnly, 99).toFixed(3)} ms\n`,
    );

    const ping = results.find((r) => r.label === 'redis PING (raw round trip)')!;
    const pingSerial = results.find((r) => r.label === 'redis PING, 1 in flight')!;
    const a50 = percentile(serialAuthorize, 50);
    const a99 = percentile(serialAuthorize, 99);
    process.stdout.write(
      `call control authorize alone, 1 in flight: p50 ${a50.toFixed(3)} ms (${(a50 / pingSerial.p50Ms).toFixed(1)}x a PING), ` +
        `p99 ${a99.toFixed(3)} ms (${(a99 / pingSerial.p99Ms).toFixed(1)}x a PING)\n`,
    );
    for (const r of results.filter((x) => !x.label.startsWith('redis') && !x.label.endsWith('1 in flight'))) {
      process.stdout.write(
        `${r.label}: ${(r.p50Ms / ping.p50Ms).toFixed(1)}x the PING p50 latency, ${(ping.perSecond / r.perSecond).toFixed(1)}x fewer ops/s than PING\n`,
      );
    }
    for (const [label, n] of perCall) process.stdout.write(`Redis commands (round trips) per op, ${label}: ${n}\n`);
    const errors = results.reduce((n, r) => n + r.errors, 0);
    if (errors > 0) process.exitCode = 1;
    raw.disconnect();
    await ledger.close();
  } finally {
    await redis.stop();
  }
}

function holdRequest(tenantId: string, callId: string, nowMs: number) {
  return {
    tenantId,
    callId,
    sources: [{ kind: 'credits' as const }],
    rate: RATE,
    requirePositiveBalance: false,
    nowMs,
    draft: {
      tenantId, callId, callType: 'user_out' as const, callDirection: 'outbound' as const,
      destinationDialed: '+447700900123', destinationNumber: '+447700900123', currency: 'USD',
    },
  };
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
