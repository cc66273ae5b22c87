/**
 * Live-calls benchmark: ramps to N answered calls through drachtio-server and
 * the gateway (sipp as caller and carrier, every call held until the gateway
 * cuts it at its funded second), and prints the gateway's RSS and heap at 0,
 * N/2 and N live calls, memory per live call, Redis commands per second at
 * steady state, the spread of the cut-offs around each call's funded second,
 * and whether every call was billed exactly. The gateway runs from dist/
 * (built first), as in production.
 *
 *   DRACHTIO_BIN=/path/to/drachtio npx tsx bench/live-calls.ts [--calls 10000] [--rate 250] [--funded 60] [--node-arg=--max-semi-space-size=4] [--heap-snapshots DIR]
 *
 * --heap-snapshots DIR writes a V8 heap snapshot of the gateway at 0 and at N
 * live calls into DIR (taking one pauses the gateway for seconds: use a
 * smaller N, e.g. --calls 2000 --funded 40) and prints what grew per live
 * call, by kind of object.
 */
import { execSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import { findDrachtio, hasSipp } from '../test/sip/support/drachtio-server.js';
import { startSipWorld } from '../test/sip/support/harness.js';
import { runUac, startUas } from '../test/sip/support/sipp.js';
import { tenantWithBalance, userOf, usageOf, balanceOf } from '../test/sip/provisioning.js';
import { startRedisServer } from '../test/support/redis-server.js';
import { percentile } from './api-load.js';
import { growthPer, heapKinds, SLICED_PARENTS, snapshotWritten } from './heap-snapshot.js';

const { values } = parseArgs({
  options: {
    calls: { type: 'string', default: '10000' },
    rate: { type: 'string', default: '250' },
    funded: { type: 'string', default: '60' },
    /** A node option for the gateway (repeatable), e.g. --node-arg=--max-semi-space-size=4 to compare memory settings. */
    'node-arg': { type: 'string', multiple: true, default: [] },
    'heap-snapshots': { type: 'string' },
  },
});
const N = Number(values.calls);
const RATE = Number(values.rate);
const FUNDED = Number(values.funded);
/** The test rate for +44: USD 0.60 a minute, 1/1 — one cent (10,000 micros) a second. */
const MICROS_PER_SECOND = 10_000;

const SNAPSHOT_DIR = values['heap-snapshots'] ? resolve(values['heap-snapshots']) : undefined;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const mb = (bytes: number) => (bytes / 1048576).toFixed(1);

function rssBytes(pid: number): number {
  const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : Number.NaN;
}

/** Commands Redis executed, by name (a script's own commands counted under their names too), and in all. */
async function commandsProcessed(redis: Redis): Promise<{ byName: Map<string, number>; total: number }> {
  const stats = await redis.info('stats');
  const commands = await redis.info('commandstats');
  const total = Number(/total_commands_processed:(\d+)/.exec(stats)?.[1] ?? 0);
  const byName = new Map<string, number>();
  for (const m of commands.matchAll(/^cmdstat_([\w|]+):calls=(\d+)/gm)) byName.set(m[1]!, Number(m[2]));
  return { byName, total };
}

/** Per second between two readings: the busiest commands, and scripts run. */
function rates(a: Awaited<ReturnType<typeof commandsProcessed>>, b: Awaited<ReturnType<typeof commandsProcessed>>, seconds: number) {
  const per = [...b.byName].map(([name, n]) => [name, (n - (a.byName.get(name) ?? 0)) / seconds] as const).filter(([name, r]) => r > 0 && name !== 'info');
  const scripts = per.filter(([name]) => name === 'evalsha' || name === 'eval').reduce((sum, [, r]) => sum + r, 0);
  return { scripts, total: (b.total - a.total) / seconds, top: per.sort((x, y) => y[1] - x[1]).slice(0, 6).map(([name, r]) => `${name} ${r.toFixed(0)}`).join(', ') };
}

async function main(): Promise<number> {
  const bin = findDrachtio();
  if (!bin || !hasSipp()) {
    process.stderr.write('live-calls: needs drachtio-server (DRACHTIO_BIN or PATH) and sipp\n');
    return 2;
  }
  if (N / RATE >= FUNDED) {
    process.stderr.write(`live-calls: --funded ${FUNDED} must be longer than the ramp (${N} / ${RATE} = ${N / RATE} s) for all calls to be up at once\n`);
    return 2;
  }
  process.stdout.write('building the gateway (npm run build)…\n');
  execSync('npm run build', { stdio: 'ignore' });
  process.stdout.write(`live calls: ${N} calls at ${RATE}/s, each funded ${FUNDED} s and held until cut\n`);
  const redis = await startRedisServer();
  const raw = new Redis(redis.url);
  const nodeArgs = [...(values['node-arg'] ?? [])];
  if (SNAPSHOT_DIR) {
    mkdirSync(SNAPSHOT_DIR, { recursive: true });
    nodeArgs.push('--heapsnapshot-signal=SIGUSR2', `--diagnostic-dir=${SNAPSHOT_DIR}`);
  }
  if (nodeArgs.length > 0) process.stdout.write(`gateway node options: ${nodeArgs.join(' ')}\n`);
  const world = await startSipWorld({ drachtioBin: bin, redisUrl: redis.url, keyPrefix: 'live', logLevel: 'warn', drachtioLogLevel: 'notice', compiled: true, nodeArgs });
  const rows: Array<[string, string]> = [];
  let exit = 0;
  try {
    const opening = N * (FUNDED + 10) * MICROS_PER_SECOND;
    const tenant = await tenantWithBalance(world.ledger, opening);
    // The most one call may cost is its funded time: every call is cut at exactly FUNDED seconds.
    await world.ledger.putTenant({ ...tenant, limits: { maxCallCharge: FUNDED * MICROS_PER_SECOND } });
    const user = await userOf(world.ledger, tenant);
    const carrier = await startUas('uas-answer.xml', world.ports.carrier, 1000, false);
    await sleep(1000);
    const pid = world.gateway.pid!;
    const at0 = { rss: rssBytes(pid), heap: await world.metric('nodejs_heap_size_used_bytes') };
    const snapshots: string[] = [];
    /** Has the gateway write a heap snapshot (V8 collects garbage first) and waits until it is on disk. */
    const snapshot = async (): Promise<void> => {
      if (!SNAPSHOT_DIR) return;
      const known = new Set(readdirSync(SNAPSHOT_DIR));
      process.kill(pid, 'SIGUSR2');
      const fresh = () => readdirSync(SNAPSHOT_DIR).find((f) => f.endsWith('.heapsnapshot') && !known.has(f));
      snapshots.push(await snapshotWritten(() => { const f = fresh(); return f && join(SNAPSHOT_DIR, f); }));
    };
    await snapshot();

    const uac = runUac({
      scenario: 'uac-bench-held-until-cut.xml',
      target: world.drachtio.sipPort,
      localPort: world.ports.bridge,
      dialed: '+442079460000',
      keys: { tenant: tenant.id, user: user.id },
      calls: N,
      rate: RATE,
      limit: N + 100,
      timeoutSeconds: Math.ceil(N / RATE) + FUNDED + 120,
      traceMessages: false,
      responseTimes: true,
    });
    let half: { rss: number; heap: number } | undefined;
    let full: { rss: number; heap: number } | undefined;
    let steady: ReturnType<typeof rates> | undefined;
    let peak = 0;
    const deadline = Date.now() + (N / RATE + FUNDED + 60) * 1000;
    while (Date.now() < deadline) {
      const live = await world.metric('tollgate_active_calls');
      peak = Math.max(peak, live);
      if (!half && live >= N / 2) half = { rss: rssBytes(pid), heap: await world.metric('nodejs_heap_size_used_bytes') };
      if (!full && live >= N) {
        full = { rss: rssBytes(pid), heap: await world.metric('nodejs_heap_size_used_bytes') };
        await snapshot();
        // Steady state: every call up, none cut yet (the first is cut FUNDED s after it started).
        const window = Math.min(10, Math.max(2, FUNDED - N / RATE - 4));
        const a = await commandsProcessed(raw);
        await sleep(window * 1000);
        const b = await commandsProcessed(raw);
        steady = rates(a, b, window);
      }
      if (full && live === 0) break;
      await sleep(500);
    }
    const result = await uac;
    await carrier.stop();
    const cuts = (result.responseTimes?.cut ?? []).map((ms) => ms - FUNDED * 1000).sort((a, b) => a - b);
    await sleep(2000);
    const records = await usageOf(world.ledger, tenant.id);
    const charged = records.reduce((sum, r) => sum + r.charge, 0);
    const { balance, held } = await balanceOf(world.ledger, tenant.id);
    const exact = records.every((r) => r.durationSeconds === FUNDED && r.charge === FUNDED * MICROS_PER_SECOND);

    rows.push(['calls placed / answered and cut by the gateway (sipp)', `${N} / ${result.successful} (${result.failed} failed)`]);
    rows.push(['most live calls seen at once', String(peak)]);
    rows.push(['gateway RSS / heap used at 0 live calls', `${mb(at0.rss)} MB / ${mb(at0.heap)} MB`]);
    if (half) rows.push([`… at ${N / 2}`, `${mb(half.rss)} MB / ${mb(half.heap)} MB`]);
    if (full) {
      rows.push([`… at ${N}`, `${mb(full.rss)} MB / ${mb(full.heap)} MB`]);
      rows.push(['memory per live call (RSS, heap)', `${((full.rss - at0.rss) / N / 1024).toFixed(1)} KB, ${((full.heap - at0.heap) / N / 1024).toFixed(1)} KB`]);
    }
    if (steady) {
      rows.push([`Redis at steady state (${N} up, none cut yet): scripts/s; commands/s executed in all`, `${steady.scripts.toFixed(1)}; ${steady.total.toFixed(0)} (${steady.top})`]);
    }
    if (cuts.length > 0) {
      rows.push([
        'cut-off after the funded second, caller side (ms; p50 / p99 / max)',
        `${percentile(cuts, 50)} / ${percentile(cuts, 99)} / ${cuts.at(-1)} (earliest ${cuts[0]})`,
      ]);
    }
    rows.push(['usage records / each billed exactly the funded seconds', `${records.length} / ${exact ? 'yes' : 'NO'}`]);
    rows.push(['balance = opening - sum of charges, nothing held', `${balance === opening - charged && held === 0 ? 'yes' : 'NO'} (charged ${charged} micros)`]);
    if (snapshots.length === 2) {
      const growth = growthPer(heapKinds(snapshots[0]!), heapKinds(snapshots[1]!), N);
      const total = growth.filter((g) => g.kind !== SLICED_PARENTS).reduce((sum, g) => sum + g.bytes, 0);
      rows.push([`heap growth per live call, from the snapshots (${snapshots.join(', ')})`, `${(total / 1024).toFixed(1)} KB`]);
      for (const g of growth.slice(0, 16)) rows.push([`… ${g.kind.replaceAll('|', '/').slice(0, 70)}`, `${g.bytes.toFixed(0)} B (${g.count.toFixed(2)} objects)`]);
      const parents = growth.find((g) => g.kind === SLICED_PARENTS);
      if (parents) rows.push([`… ${SLICED_PARENTS}`, `${parents.bytes.toFixed(0)} B (${parents.count.toFixed(2)})`]);
    }
    if (result.failed > 0 && result.errors) {
      process.stderr.write(`sipp's errors (first lines):\n${result.errors.split('\n').slice(0, 12).join('\n')}\n`);
    }
    if (result.failed > 0 || !exact || records.length !== N) exit = 1;
  } finally {
    await world.stop();
    raw.disconnect();
    await redis.stop();
  }
  process.stdout.write('\n| figure | value |\n|---|---|\n');
  for (const [k, v] of rows) process.stdout.write(`| ${k} | ${v} |\n`);
  return exit;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`live-calls: ${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  },
);
