/**
 * Kamailio benchmark: the same sipp load (calls held --hold-ms, at each of
 * --rates calls/s for --seconds) through Kamailio + Tollgate (the shipped
 * config, over evapi or --transport http; `tollgate run` from dist/, so run
 * `npm run build` first), Kamailio + cnxcc (money mode, Redis backend) and
 * Kamailio alone, in one run; then one call on a credit worth 5 s through
 * each credit control. Prints calls/s, failures, post-dial delay, cut-off
 * accuracy, final balance accuracy and Kamailio crashes side by side.
 *
 *   npm run build && npx tsx bench/kamailio-throughput.ts [--rates 300,600,900,1200,1500,1800] [--seconds 15] [--hold-ms 1000] [--children 16] [--transport evapi|http] [--only tollgate,cnxcc,alone]
 *
 * TOLLGATE_CPU_PROF=DIR writes a CPU profile of `tollgate run` there (node --cpu-prof);
 * TOLLGATE_GATEWAY_NODE_ARGS="--max-semi-space-size=32 …" passes Node flags to it;
 * TOLLGATE_BENCH_MAX_LAG_MS=N sets its calls.overload.maxEventLoopLagMs.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { findKamailio, startKamailio } from '../src/cli/demo-kamailio.js';
import { callRpc } from '../src/kamailio/index.js';
import { balanceOf, tenantWithBalance, usageSettled, userOf } from '../test/sip/provisioning.js';
import { freeSipPort } from '../test/sip/support/ports.js';
import { pddMeanMs, runUac, startUas, type SippResult } from '../test/sip/support/sipp.js';
import { startRedisServer } from '../test/support/redis-server.js';
import { scenario, startKamailioWorld } from '../test/kamailio/support/world.js';

const { values } = parseArgs({
  options: {
    rates: { type: 'string', default: '300,600,900,1200,1500,1800' },
    seconds: { type: 'string', default: '15' },
    'hold-ms': { type: 'string', default: '1000' },
    children: { type: 'string', default: '16' },
    transport: { type: 'string', default: 'evapi' },
    only: { type: 'string', default: 'tollgate,cnxcc,alone' },
  },
});
const rates = values.rates.split(',').map(Number);
const seconds = Number(values.seconds);
const holdMs = Number(values['hold-ms']);
const children = Number(values.children);
const transport = values.transport === 'http' ? 'http' : 'evapi';
const only = new Set(values.only.split(','));

/** CPU seconds (user + system) of the processes whose process group is pgid, or of one pid. */
function cpuSeconds(select: { pgid?: number; pid?: number }): number {
  let ticks = 0;
  for (const entry of select.pid ? [String(select.pid)] : readdirSync('/proc').filter((e) => /^\d+$/.test(e))) {
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (select.pgid !== undefined && Number(f[2]) !== select.pgid) continue;
      ticks += Number(f[11]) + Number(f[12]);
    } catch {
      // gone
    }
  }
  return ticks / 100;
}

/** The machine's busy and total CPU seconds so far (/proc/stat, every core), and the time a hypervisor gave its cores to others (steal). */
function machineSeconds(): { busy: number; total: number; steal: number } {
  const cpu = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const total = cpu.reduce((a, b) => a + b, 0);
  const idle = cpu[3]! + (cpu[4] ?? 0);
  return { busy: (total - idle) / 100, total: total / 100, steal: (cpu[7] ?? 0) / 100 };
}

/**
 * Microseconds some task waited for a core so far (/proc/pressure/cpu, Linux PSI), or undefined
 * where the kernel does not say: how contended the cores were during a rate, by us or by other work.
 */
function cpuPressureMicros(): number | undefined {
  try {
    const some = /^some .*total=(\d+)/m.exec(readFileSync('/proc/pressure/cpu', 'utf8'));
    return some ? Number(some[1]) : undefined;
  } catch {
    return undefined;
  }
}

interface CpuShare {
  rate: number;
  proxy: string;
  kamailio: number;
  tollgate?: number;
  redis?: number;
  machineBusy: number;
  machineTotal: number;
  /** CPU seconds the hypervisor gave to other machines. */
  steal: number;
  /** Share of the wall time some runnable task waited for a core (PSI "some"), 0..1. */
  pressure?: number;
}
const cpuRows: CpuShare[] = [];

/** Measures the CPU each part used while fn runs. */
async function withCpu<T>(rate: number, proxy: string, parts: { kamailioPgid: number; tollgatePid?: number; redisCpu?: () => Promise<number> }, fn: () => Promise<T>): Promise<T> {
  const k0 = cpuSeconds({ pgid: parts.kamailioPgid });
  const t0 = parts.tollgatePid ? cpuSeconds({ pid: parts.tollgatePid }) : 0;
  const r0 = parts.redisCpu ? await parts.redisCpu() : 0;
  const m0 = machineSeconds();
  const p0 = cpuPressureMicros();
  const w0 = performance.now();
  const out = await fn();
  const m1 = machineSeconds();
  const p1 = cpuPressureMicros();
  const wallMicros = (performance.now() - w0) * 1000;
  cpuRows.push({
    rate,
    proxy,
    // A child that crashed takes its CPU time with it: never below 0.
    kamailio: Math.max(cpuSeconds({ pgid: parts.kamailioPgid }) - k0, 0),
    ...(parts.tollgatePid ? { tollgate: cpuSeconds({ pid: parts.tollgatePid }) - t0 } : {}),
    ...(parts.redisCpu ? { redis: (await parts.redisCpu()) - r0 } : {}),
    machineBusy: m1.busy - m0.busy,
    machineTotal: m1.total - m0.total,
    steal: m1.steal - m0.steal,
    ...(p0 !== undefined && p1 !== undefined ? { pressure: (p1 - p0) / wallMicros } : {}),
  });
  return out;
}

/** Runs .ci/system-deps.sh (Debian packages the project uses, cnxcc among them); its failure only leaves cnxcc skipped. */
function installSystemDeps(): void {
  try {
    execFileSync('sh', [fileURLToPath(new URL('../.ci/system-deps.sh', import.meta.url))], { stdio: 'inherit' });
  } catch (err) {
    process.stderr.write(`  system-deps failed: ${(err as Error).message}\n`);
  }
}

/** True when Debian's kamailio-cnxcc-modules is installed (cnxcc.so beside the other Kamailio modules). */
function cnxccInstalled(): boolean {
  try {
    return readdirSync('/usr/lib').some((d) => existsSync(join('/usr/lib', d, 'kamailio/modules/cnxcc.so')));
  } catch {
    return false;
  }
}

/** Kamailio processes that died in a run (a child's segfault is logged by the main process), from its log. */
function kamailioCrashes(logFile: string): string[] {
  if (!existsSync(logFile)) return [];
  return readFileSync(logFile, 'utf8')
    .split('\n')
    .filter((l) => /exited by a signal|core dumped|segfault|child process \d+ exited/i.test(l))
    .map((l) => l.slice(0, 200));
}
const USD_CENT = 10_000;

interface LoadFigures {
  rate: number;
  ok: number;
  failed: number;
  callsPerSecond: number;
  pddMs: number | undefined;
  /** How long sipp ran (the offered seconds, the hold, and any wait for calls that never completed). */
  runSeconds: number;
  balance?: string;
}

interface Cutoff {
  fundedSeconds: number;
  cutAfterSeconds: number | undefined;
  charged: string;
}

interface ScanClient {
  scan(cursor: string, ...args: string[]): Promise<[string, string[]]>;
  hget(key: string, field: string): Promise<string | null>;
}

/** The tenant's holds that are not settled, counted by state: "12 ringing, 3 answered". */
async function liveHolds(client: ScanClient, match: string): Promise<string> {
  const states = new Map<string, number>();
  let cursor = '0';
  do {
    const [next, keys] = await client.scan(cursor, 'MATCH', match, 'COUNT', '1000');
    cursor = next;
    for (const key of keys) {
      const st = await client.hget(key, 'st');
      if (st && st !== 'settled') states.set(st, (states.get(st) ?? 0) + 1);
    }
  } while (cursor !== '0');
  const name = (st: string) => (st === 'held' ? 'ringing' : st);
  return [...states].map(([st, n]) => `${n} ${name(st)}`).join(', ') || 'no live hold';
}

async function load(target: number, localPort: number, rate: number, keys: Record<string, string>): Promise<Omit<LoadFigures, 'balance'>> {
  const calls = rate * seconds;
  const started = Date.now();
  const result = await runUac({
    scenario: scenario('uac-bench-answered.xml'),
    target,
    localPort,
    dialed: '2125550100',
    keys,
    calls,
    rate,
    limit: Math.max(100, rate * Math.ceil(holdMs / 1000) * 4),
    // The scenario waits up to 100 ms after its ACK for a 180 that trailed the 200, then pauses -d.
    durationMs: Math.max(holdMs - 100, 1),
    timeoutSeconds: seconds + 60,
    traceMessages: false,
    stats: true,
  });
  // Calls completed per second of offered load (the run's own length includes sipp waiting out stragglers).
  const runSeconds = (Date.now() - started) / 1000;
  if (result.failed > 0 || result.errors) {
    // What went wrong, in sipp's own words: each kind of event its error log names, counted.
    process.stderr.write(`  ${rate}/s: ${result.failed} failed; sipp's error log: ${sippEvents(result.errors)}\n`);
  }
  return { rate, ok: result.successful, failed: result.failed + (calls - result.successful - result.failed), callsPerSecond: result.successful / seconds, pddMs: pddMeanMs(result), runSeconds };
}

/** sipp's error log summed up by kind: "Aborting call on unexpected message … received 'SIP/2.0 180 Ringing'" → "unexpected 180 Ringing while pausing × 12". */
function sippEvents(errors: string): string {
  const kinds = new Map<string, number>();
  for (const line of errors.split('\n')) {
    // The caller's wait for a 180 trailing its 200 ran out (the usual case): not an error.
    if (/receive timeout on message uac-bench-answered\.xml:\d+, jumping to label/.test(line)) continue;
    const unexpected = /Aborting call on unexpected message for Call-Id '[^']*': while ([a-z]+)[^,]*, received '([^\r\n']*)/.exec(line);
    const other = /^\d{4}-\d\d-\d\d\s+\S+\s+\S+:\s+(.*)$/.exec(line);
    const kind = unexpected
      ? `unexpected "${unexpected[2]!.replace(/^SIP\/2\.0 /, '').slice(0, 40)}" while ${unexpected[1]}`
      : other
        ? other[1]!.replace(/'[^']*'/g, "'…'").replace(/\d+-\d+@[\d.]+/g, '…').slice(0, 80)
        : undefined;
    if (kind) kinds.set(kind, (kinds.get(kind) ?? 0) + 1);
  }
  return kinds.size === 0 ? 'empty' : [...kinds].sort((a, b) => b[1] - a[1]).map(([k, n]) => `${k} × ${n}`).join('; ');
}

/** Seconds from the caller's 200 OK to the BYE it received, from sipp's message trace. */
function cutAfter(result: SippResult): number | undefined {
  let okAt: number | undefined;
  let byeAt: number | undefined;
  const blocks = result.messages.split(/^-{10,} /m);
  for (const block of blocks) {
    const stamp = /^(\d{4}-\d\d-\d\d) (\d\d:\d\d:\d\d\.\d+)/.exec(block);
    if (!stamp || !/message received/.test(block)) continue;
    const at = Date.parse(`${stamp[1]}T${stamp[2]!.slice(0, 12)}Z`);
    if (okAt === undefined && /\nSIP\/2\.0 200 /.test(block) && /CSeq:\s*1 INVITE/i.test(block)) okAt = at;
    if (/\nBYE /.test(block)) byeAt = at;
  }
  return okAt !== undefined && byeAt !== undefined ? (byeAt - okAt) / 1000 : undefined;
}

async function main(): Promise<number> {
  const bin = findKamailio();
  if (!bin) {
    process.stderr.write('kamailio-throughput: needs kamailio (npm run system-deps) and sipp\n');
    return 2;
  }
  process.stdout.write(`Kamailio throughput: ${rates.join(', ')} calls/s for ${seconds} s each, calls held ${holdMs} ms, ${children} Kamailio workers, Tollgate over ${transport}\n`);
  const redis = await startRedisServer();
  const rows: Record<string, LoadFigures[]> = { 'Kamailio + Tollgate': [], 'Kamailio + cnxcc (Redis)': [], 'Kamailio alone': [] };
  const cutoffs: Record<string, Cutoff> = {};
  const crashes: Record<string, string[]> = {};
  try {
    // 1. Kamailio + Tollgate: every call identified, rated, held, metered and settled.
    const world = only.has('tollgate')
      ? await startKamailioWorld({ redisUrl: redis.url, keyPrefix: 'kbench', logLevel: 'warn', children, transport, fromDist: true, sharedMemoryMb: 512 })
      : undefined;
    if (world) try {
      const carrier = await startUas(scenario('uas-answer.xml'), world.ports.carrier, 1000, false);
      for (const rate of rates) {
        const opening = 1_000_000_000;
        const tenant = await tenantWithBalance(world.ledger, opening);
        const user = await userOf(world.ledger, tenant);
        const redisCpu = async (): Promise<number> => {
          const info = await (world.ledger.client as unknown as { info(section: string): Promise<string> }).info('cpu');
          const pick = (k: string) => Number(new RegExp(`${k}:([\\d.]+)`).exec(info)?.[1] ?? 0);
          return pick('used_cpu_sys') + pick('used_cpu_user');
        };
        const tollgatePid = (world.gateway as { pid?: number }).pid;
        const f = await withCpu(rate, 'Kamailio + Tollgate', { kamailioPgid: world.kamailio.pid, ...(tollgatePid ? { tollgatePid } : {}), redisCpu }, () =>
          load(world.kamailio.sipPort, world.ports.bridge, rate, { tenant: tenant.id, user: user.id }),
        );
        // Every call settled (nothing held), then: balance change = Σ charges = one cent per answered call.
        let after = await balanceOf(world.ledger, tenant.id);
        for (let i = 0; i < 300 && after.held > 0; i++) {
          await new Promise((r) => setTimeout(r, 100));
          after = await balanceOf(world.ledger, tenant.id);
        }
        // Still held: which calls, by state (a call still ringing is legitimately held until Kamailio's INVITE timer ends it).
        const live = after.held > 0 ? await liveHolds(world.ledger.client as unknown as ScanClient, `kbench:{${tenant.id}}:hold:*`) : '';
        const records = await usageSettled(world.ledger, tenant.id, f.ok, 30_000);
        const charged = records.reduce((s, r) => s + r.charge, 0);
        // Exact: nothing held any more and the balance moved by exactly Σ charges (a call answered but
        // abandoned by sipp is charged for the time until its dialog ended, so records may outnumber sipp's successes).
        const exact = after.held === 0 && opening - after.balance === charged;
        const billed = records.filter((r) => r.charge > 0);
        const longer = billed.filter((r) => r.charge > USD_CENT).length;
        rows['Kamailio + Tollgate']!.push({
          ...f,
          balance: `${exact ? 'exact' : 'OFF'}: ${billed.length} answered calls billed (${records.length} records), Σ ${charged / USD_CENT} ¢ = balance change ${(opening - after.balance) / USD_CENT} ¢${longer ? ` (${longer} lasted past 60 s)` : ''}${after.held ? `, ${after.held / USD_CENT} ¢ still held 30 s after the load (${live})` : ''}`,
        });
      }
      await carrier.stop();
      // A credit worth 5 s (1 cent a second, 1/1) on one call.
      const carrier2 = await startUas(scenario('uas-answer.xml'), world.ports.carrier, 1000);
      const tenant = await tenantWithBalance(world.ledger, 5 * USD_CENT);
      const user = await userOf(world.ledger, tenant);
      const r = await runUac({ scenario: scenario('uac-outbound-cutoff.xml'), target: world.kamailio.sipPort, localPort: world.ports.bridge, dialed: '+442071234567', keys: { tenant: tenant.id, user: user.id } });
      await carrier2.stop();
      const [rec] = await usageSettled(world.ledger, tenant.id, 1);
      cutoffs['Kamailio + Tollgate'] = { fundedSeconds: 5, cutAfterSeconds: cutAfter(r), charged: `${(rec?.charge ?? 0) / USD_CENT} ¢ for ${rec?.durationSeconds} s; balance ${(await balanceOf(world.ledger, tenant.id)).balance / USD_CENT} ¢` };
      crashes['Kamailio + Tollgate'] = kamailioCrashes(world.kamailio.logFile);
      // The gateway itself: still answering after the run (a crash would have failed the later rates).
      if (!(await fetch(`${world.httpUrl}/healthz`).then((r) => r.ok, () => false))) crashes['Kamailio + Tollgate'].push('tollgate run no longer answers /healthz');
    } finally {
      await world.stop();
    }

    // 2. and 3. The comparison proxy, with cnxcc and alone. cnxcc reads its Redis port into a
    // signed 16-bit field ("Servname not supported" above 32767): its Redis gets a low port.
    let cnxccRedis: Awaited<ReturnType<typeof startRedisServer>> | undefined;
    for (let port = 20000 + (process.pid % 5000); !cnxccRedis; port += 7) {
      cnxccRedis = await startRedisServer(['--port', String(port)]).catch(() => undefined);
    }
    const redisPort = new URL(cnxccRedis.url).port;
    for (const [name, cnxcc] of [['Kamailio + cnxcc (Redis)', true], ['Kamailio alone', false]] as const) {
      if (!only.has(cnxcc ? 'cnxcc' : 'alone')) continue;
      // The project's system-deps step installs it from Debian when missing (like Kamailio itself).
      if (cnxcc && !cnxccInstalled()) installSystemDeps();
      if (cnxcc && !cnxccInstalled()) {
        process.stderr.write(`  ${name}: skipped — Kamailio's cnxcc module is not installed and could not be (Debian: apt-get install kamailio-cnxcc-modules)\n`);
        crashes[name] = ['not run: kamailio-cnxcc-modules not installed'];
        continue;
      }
      const dir = mkdtempSync(join(tmpdir(), 'tollgate-kbench-'));
      const carrierPort = await freeSipPort();
      const bridgePort = await freeSipPort();
      const rpcPort = await freeSipPort();
      const kamailio = await startKamailio(
        dir,
        {
          sipPort: await freeSipPort(),
          rpcPort,
          tollgateUrl: 'http://127.0.0.1:9',
          controlToken: 'unused-unused-unused',
          children,
          sharedMemoryMb: 512,
          configFile: join(process.cwd(), 'bench', 'kamailio-compare.cfg'),
          defines: {
            CARRIER_URI: `"sip:127.0.0.1:${carrierPort}"`,
            ...(cnxcc ? { WITH_CNXCC: '', CNXCC_REDIS: `"addr=127.0.0.1;port=${redisPort};db=1"` } : {}),
          },
        },
        { bin },
      ).then(
        (k) => k,
        (err: unknown) => {
          // Say why and go on with the rest: one proxy that cannot start does not lose the others' figures.
          process.stderr.write(`  ${name}: Kamailio did not start: ${(err as Error).message.slice(0, 300)}\n`);
          crashes[name] = [`did not start: ${(err as Error).message.slice(0, 120)}`];
          return undefined;
        },
      );
      if (!kamailio) continue;
      try {
        const carrier = await startUas(scenario('uas-answer.xml'), carrierPort, 1000, false);
        for (const rate of rates) {
          const f = await withCpu(rate, name, { kamailioPgid: kamailio.pid }, () => load(kamailio.sipPort, bridgePort, rate, { tenant: `cust-${rate}`, user: '1000000' }));
          rows[name]!.push({ ...f, balance: cnxcc ? 'none kept (a customer is deleted with its last call)' : 'no billing' });
        }
        await carrier.stop();
        if (cnxcc) {
          const carrier2 = await startUas(scenario('uas-answer.xml'), carrierPort, 1000);
          // cnxcc writes no record: what it counted is read from its RPC while the call lasts (the customer goes with the call).
          let consumed: string | undefined;
          let polling = true;
          const poll = (async () => {
            while (polling) {
              const text = await callRpc(`http://127.0.0.1:${rpcPort}/RPC`, 'cnxcc.check_client', ['cutoff'], 1000).then((v) => JSON.stringify(v), () => '');
              const m = /consumed_amount[^0-9.]*([0-9.]+)/.exec(text);
              if (m) consumed = m[1];
              await new Promise((res) => setTimeout(res, 100));
            }
          })();
          const r = await runUac({ scenario: scenario('uac-outbound-cutoff.xml'), target: kamailio.sipPort, localPort: bridgePort, dialed: '+442071234567', keys: { tenant: 'cutoff', user: '0.05' } });
          polling = false;
          await poll;
          await carrier2.stop();
          cutoffs[name] = {
            fundedSeconds: 5,
            cutAfterSeconds: cutAfter(r),
            charged: `${consumed === undefined ? 'n/a' : `${(Number(consumed) * 100).toFixed(2)} ¢`} consumed at its last check (no usage record; the customer is deleted with the call)`,
          };
        }
        crashes[name] = kamailioCrashes(kamailio.logFile);
      } finally {
        await kamailio.stop();
        rmSync(dir, { recursive: true, force: true });
      }
    }
    await cnxccRedis.stop();
  } finally {
    await redis.stop();
  }

  const fmt = (n: number | undefined, d = 1) => (n === undefined ? 'n/a' : n.toFixed(d));
  process.stdout.write('\n| offered | proxy | calls ok / failed | ok calls/s | post-dial delay (ms, INVITE→180) | sipp ran | final balance |\n|---|---|---|---|---|---|---|\n');
  for (const [i, rate] of rates.entries()) {
    for (const [name, list] of Object.entries(rows)) {
      const f = list[i];
      if (f) process.stdout.write(`| ${rate}/s × ${seconds} s | ${name} | ${f.ok} / ${f.failed} | ${fmt(f.callsPerSecond)} | ${fmt(f.pddMs, 0)} | ${fmt(f.runSeconds, 0)} s | ${f.balance ?? ''} |\n`);
    }
  }
  process.stdout.write('\n| offered | proxy | CPU s: Kamailio | Tollgate | Redis (Tollgate\'s) | whole machine busy / available (stolen by the host) | CPU pressure (a task waiting for a core) |\n|---|---|---|---|---|---|---|\n');
  for (const c of cpuRows) {
    const pressure = c.pressure === undefined ? 'n/a' : `${(100 * c.pressure).toFixed(0)} % of the time`;
    process.stdout.write(`| ${c.rate}/s | ${c.proxy} | ${fmt(c.kamailio)} | ${fmt(c.tollgate)} | ${fmt(c.redis)} | ${fmt(c.machineBusy)} / ${fmt(c.machineTotal)} (${fmt(c.steal)}) | ${pressure} |\n`);
  }
  process.stdout.write('\n| credit control | funded | BYE after answer | charged |\n|---|---|---|---|\n');
  for (const [name, c] of Object.entries(cutoffs)) {
    process.stdout.write(`| ${name} | ${c.fundedSeconds} s | ${fmt(c.cutAfterSeconds, 2)} s | ${c.charged} |\n`);
  }
  for (const [name, list] of Object.entries(rows)) {
    if (list.length === 0) continue;
    const clean = list.filter((f) => f.failed === 0).map((f) => f.rate);
    const c = crashes[name] ?? [];
    process.stdout.write(`${name}: clean (0 failures) at ${clean.length ? clean.join(', ') : 'none of the rates'} calls/s; crashes: ${c.length === 0 ? 'none' : `${c.length}: ${c.slice(0, 3).join(' | ')}`}\n`);
  }
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`kamailio-throughput: ${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  },
);
