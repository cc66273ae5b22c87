/**
 * Benchmark: what one call costs on the call-control path — Redis round trips
 * (by command), log lines at info, and time per call — for outbound credit
 * calls through createCallControl against a real redis-server. With
 * CPU_PROF=1 it writes a V8 CPU profile of the measured part (call-path.cpuprofile);
 * with HEAP_PROF=1 a sampling heap profile of every allocation, collected or
 * not (call-path.heapprofile), and prints the bytes allocated per call by site.
 *
 *   npx tsx bench/call-path.ts          (env: CALLS=5000 CONCURRENCY=32 TENANTS=16)
 *
 * BENCH_REDIS_URL=redis://127.0.0.1:PORT runs against a redis-server started by
 * hand (say under `valgrind --tool=callgrind`, to count the instructions a
 * call's scripts cost, repeatable on a noisy machine) instead of its own;
 * that server's data is flushed first.
 */
import { writeFileSync } from 'node:fs';
import { Session as InspectorSession } from 'node:inspector/promises';
import { Writable } from 'node:stream';
import { performance } from 'node:perf_hooks';
import { Redis } from 'ioredis';
import { createCallControl } from '../src/calls/call-control.js';
import type { CallSession, CallTransport } from '../src/calls/types.js';
import { validateConfig } from '../src/config/load.js';
import { createLedger, ledgerOptionsFromConfig } from '../src/ledger/index.js';
import { createLogger, silentLogger } from '../src/log.js';
import { createMetrics } from '../src/metrics.js';
import { RateStore } from '../src/rating/index.js';
import { startRedisServer } from '../test/support/redis-server.js';
import { countCommands, envInt, runLoad } from './api-load.js';

const CALLS = envInt('CALLS', 5000);
const CONCURRENCY = envInt('CONCURRENCY', 32);
const TENANTS = envInt('TENANTS', 16);

class NoTransport implements CallTransport {
  session: CallSession | undefined;
  async hangUp(): Promise<void> {
    await this.session?.end('shutdown');
  }
}

/** Microseconds Redis spent executing commands since the last CONFIG RESETSTAT (commands called by scripts are inside the script's time). */
async function redisMicros(raw: Redis): Promise<number> {
  const info = await raw.info('commandstats');
  let total = 0;
  for (const m of info.matchAll(/^cmdstat_(\w+):calls=\d+,usec=(\d+)/gm)) {
    if (m[1] === 'evalsha' || m[1] === 'eval') total += Number(m[2]);
  }
  return total;
}

async function main(): Promise<void> {
  const external = process.env.BENCH_REDIS_URL;
  const redis = external
    ? { url: external, stop: async () => {} }
    : await startRedisServer();
  if (external) {
    const flush = new Redis(external);
    await flush.flushall();
    flush.disconnect();
  }
  const counter = countCommands();
  let lines = 0;
  const sink = new Writable({ write(chunk: Buffer, _enc, cb) { lines += chunk.toString('utf8').split('\n').length - 1; cb(); } });
  const logger = createLogger({ level: 'info', destination: sink });
  try {
    const config = validateConfig(
      { http: { adminToken: 'bench-admin-token-0000' }, redis: { url: redis.url, keyPrefix: 'bench', commandTimeoutMs: 5000 } },
      'bench',
    );
    const metrics = createMetrics();
    const ledger = createLedger(ledgerOptionsFromConfig(config, { metrics }));
    const tenantIds = Array.from({ length: TENANTS }, (_, i) => `bench-${i}`);
    for (const id of tenantIds) {
      await ledger.putTenant({ id, name: id, currency: 'USD', country: 'GB', creditLimit: 0 });
      await ledger.topUp(id, 'bench-opening', 1_000_000 * 1_000_000, Date.now());
      await ledger.putUser({
        id: 'zoe', tenantId: id, upn: `zoe@${id}.example`, displayName: 'Zoë', usageCountry: 'GB', number: `+4420794600${String(10 + tenantIds.indexOf(id)).padStart(2, '0')}`,
        policy: 'international_and_domestic', dialOutPolicy: 'any', licences: ['communicationCredits'],
      });
    }
    const raw = new Redis(redis.url);
    const rates = await RateStore.open({ dir: 'rates', logger: silentLogger });
    const control = createCallControl({ ledger, rates, config, logger, metrics });
    const call = async (label: string, i: number, byNumber: boolean) => {
      const transport = new NoTransport();
      const n = i % TENANTS;
      const outcome = await control.authorize(
        byNumber
          ? { callId: `${label}-${i}`, direction: 'outbound', callerNumber: `+4420794600${String(10 + n).padStart(2, '0')}`, dialed: '+447700900123', receivedAtMs: Date.now() }
          : { callId: `${label}-${i}`, direction: 'outbound', callType: 'user_out', tenantId: tenantIds[n]!, userId: 'zoe', dialed: '+447700900123', receivedAtMs: Date.now() },
        transport,
      );
      if (!outcome.allowed) throw new Error(`refused: ${outcome.code} ${outcome.message}`);
      transport.session = outcome.session;
      await outcome.session.answered();
      await outcome.session.end('caller_hangup');
    };
    await runLoad('warm-up', { count: 500, concurrency: CONCURRENCY, maxSeconds: 20 }, (i) => call('warm', i, i % 2 === 0));

    const profiler = process.env.CPU_PROF ? new InspectorSession() : undefined;
    if (profiler) {
      profiler.connect();
      await profiler.post('Profiler.enable');
      await profiler.post('Profiler.start');
    }
    const heapProfiler = process.env.HEAP_PROF ? new InspectorSession() : undefined;
    if (heapProfiler) {
      heapProfiler.connect();
      await heapProfiler.post('HeapProfiler.enable');
      // Every allocation counts, also what the young generation collects at once: the rate the GC has to keep up with.
      await heapProfiler.post('HeapProfiler.startSampling', { samplingInterval: 4096, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true });
    }
    let measuredCalls = 0;
    process.stdout.write(`tollgate call path: ${CALLS} outbound credit calls (authorize, answer, end), ${CONCURRENCY} in flight, ${TENANTS} tenants\n\n`);
    for (const [label, byNumber] of [['named user (tenant + user headers)', false], ['caller number (number index)', true]] as const) {
      counter.reset();
      lines = 0;
      await raw.config('RESETSTAT');
      const t0 = performance.now();
      const cpu0 = process.cpuUsage();
      const r = await runLoad(label, { count: CALLS, concurrency: CONCURRENCY, maxSeconds: 120 }, (i) => call(byNumber ? 'n' : 'u', i, byNumber));
      const ms = performance.now() - t0;
      const cpu = process.cpuUsage(cpu0);
      measuredCalls += r.ops;
      const per = (x: number) => (x / r.ops).toFixed(2);
      const parts = [...counter.byName].sort((a, b) => b[1] - a[1]).map(([name, c]) => `${name} ${per(c)}`).join(', ');
      process.stdout.write(
        `${label}: ${r.ops} calls (${r.errors} errors) in ${(ms / 1000).toFixed(2)} s = ${r.perSecond.toFixed(0)} calls/s\n` +
          `  Redis commands per call: ${per(counter.total())} (${parts}); ${per(counter.bytes())} bytes of arguments\n` +
          `  log lines per call at info: ${per(lines)}\n` +
          `  Redis CPU per call: ${(await redisMicros(raw) / r.ops).toFixed(1)} µs (INFO commandstats: scripts and commands)\n` +
          `  gateway CPU per call: ${((cpu.user + cpu.system) / r.ops).toFixed(1)} µs (this process, user ${(cpu.user / r.ops).toFixed(1)} + system ${(cpu.system / r.ops).toFixed(1)}; GC threads included)\n`,
      );
    }
    if (heapProfiler) {
      const { profile } = await heapProfiler.post('HeapProfiler.stopSampling');
      writeFileSync('call-path.heapprofile', JSON.stringify(profile));
      printAllocations(profile.head, measuredCalls);
      process.stdout.write('heap profile written to call-path.heapprofile\n');
    }
    if (profiler) {
      const { profile } = await profiler.post('Profiler.stop');
      writeFileSync('call-path.cpuprofile', JSON.stringify(profile));
      process.stdout.write('\nCPU profile written to call-path.cpuprofile\n');
    }
    await control.drain(5000);
    await control.stop();
    rates.close();
    await ledger.close();
    raw.disconnect();
  } finally {
    await redis.stop();
  }
}

interface HeapNode {
  callFrame: { functionName: string; url: string; lineNumber: number };
  selfSize: number;
  children: HeapNode[];
}

/** Bytes allocated per call in all, and by the source file that allocated them (the top ten). */
function printAllocations(head: HeapNode, calls: number): void {
  const byFile = new Map<string, number>();
  let total = 0;
  const walk = (node: HeapNode): void => {
    total += node.selfSize;
    const url = node.callFrame.url.replace(/^.*node_modules\//, '').replace(/^file:\/\/.*?\/(src|bench|test)\//, '$1/') || '(native)';
    byFile.set(url, (byFile.get(url) ?? 0) + node.selfSize);
    for (const child of node.children) walk(child);
  };
  walk(head);
  const kb = (bytes: number) => (bytes / calls / 1024).toFixed(1);
  const top = [...byFile].sort((a, b) => b[1] - a[1]).slice(0, 10).map(([file, bytes]) => `    ${kb(bytes).padStart(6)} KB  ${file}`);
  process.stdout.write(`\nallocated per call (sampled, collected or not): ${kb(total)} KB; by file:\n${top.join('\n')}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
