/**
 * SIP benchmark: sipp drives calls through drachtio-server, into the Tollgate
 * gateway (billing every call, run from dist/ as in production) and into a
 * bare drachtio-srf B2BUA with no billing, in the same run, and prints both
 * and their ratio.
 *
 * With --rate: one fixed rate for --seconds. Without it (the step search):
 * for each, the highest offered rate with 0 failed calls (from --from in steps
 * of --step, --seconds each), the post-dial delay p50/p99 at --pdd-rate
 * (caller side INVITE→180, and the gateway's INVITE in→out), then 2× Tollgate's
 * highest clean rate for --seconds: calls completed per second and calls
 * refused 503 OVERLOADED.
 *
 *   DRACHTIO_BIN=/path/to/drachtio npx tsx bench/sip-throughput.ts [--from 200 --step 50 --to 1000 --seconds 20 --pdd-rate 300] [--hold-ms 1000]
 *   DRACHTIO_BIN=/path/to/drachtio npx tsx bench/sip-throughput.ts --rate 300 [--seconds 20]
 */
import { execSync, spawn } from 'node:child_process';
import { parseArgs } from 'node:util';
import { findDrachtio, hasSipp, startDrachtio } from '../test/sip/support/drachtio-server.js';
import { startSipWorld } from '../test/sip/support/harness.js';
import { pddMeanMs, runUac, startUas } from '../test/sip/support/sipp.js';
import { tenantWithBalance, userOf } from '../test/sip/provisioning.js';
import { startRedisServer } from '../test/support/redis-server.js';
import { freeSipPort } from '../test/sip/support/ports.js';
import { percentile } from './api-load.js';

const { values } = parseArgs({
  options: {
    rate: { type: 'string' },
    seconds: { type: 'string', default: '20' },
    'hold-ms': { type: 'string', default: '1000' },
    from: { type: 'string', default: '200' },
    step: { type: 'string', default: '50' },
    to: { type: 'string', default: '1000' },
    'pdd-rate': { type: 'string', default: '300' },
  },
});
const seconds = Number(values.seconds);
const holdMs = Number(values['hold-ms']);

interface Figures {
  name: string;
  rate: number;
  successful: number;
  failed: number;
  wallSeconds: number;
  callsPerSecond: number;
  pddMeanMs: number | undefined;
  /** Caller side, INVITE sent → 180 received, per call (whole ms). */
  pddP50Ms?: number;
  pddP99Ms?: number;
  gatewayPddMeanMs?: number;
  gatewayPddP50Ms?: number;
  gatewayPddP99Ms?: number;
  /** Of the gateway's part, the admission decision alone (authorize, its one Redis round trip included). */
  authorizeP50Ms?: number;
  authorizeP99Ms?: number;
  /** Of the decision, the hold script's Redis round trip. */
  holdP50Ms?: number;
  holdP99Ms?: number;
  /** Calls the gateway refused 503 OVERLOADED during the run. */
  refusedOverloaded?: number;
  /** Answered calls whose 180 came after their 200 (or not at all): no caller PDD for them. */
  noRinging?: number;
}

/** A quantile from Prometheus histogram buckets ({le → cumulative count}), interpolated within its bucket as histogram_quantile does. */
function bucketQuantile(buckets: Array<[number, number]>, q: number): number | undefined {
  const total = buckets.at(-1)?.[1] ?? 0;
  if (total === 0) return undefined;
  const rank = q * total;
  let prevLe = 0;
  let prevCount = 0;
  for (const [le, count] of buckets) {
    if (count >= rank) {
      if (!Number.isFinite(le)) return prevLe;
      return prevLe + ((le - prevLe) * (rank - prevCount)) / Math.max(1, count - prevCount);
    }
    prevLe = le;
    prevCount = count;
  }
  return prevLe;
}

/** A histogram's buckets; `label` ('operation="hold"') picks one series of a labelled one (prom-client writes `le` first). */
async function histogram(httpUrl: string, name: string, label = ''): Promise<Array<[number, number]>> {
  const text = await (await fetch(`${httpUrl}/metrics`)).text();
  const out: Array<[number, number]> = [];
  const series = label ? `le="([^"]+)",${label}` : 'le="([^"]+)"';
  for (const m of text.matchAll(new RegExp(`^${name}_bucket\\{${series}\\} (\\d+)`, 'gm'))) out.push([m[1] === '+Inf' ? Infinity : Number(m[1]), Number(m[2])]);
  return out;
}

async function drive(name: string, rate: number, target: number, localPort: number, keys: Record<string, string>): Promise<Figures> {
  const calls = rate * seconds;
  const started = Date.now();
  const result = await runUac({
    scenario: 'uac-bench-answered.xml',
    target,
    localPort,
    dialed: '2125550100',
    keys,
    calls,
    rate,
    limit: Math.max(100, rate * Math.ceil(holdMs / 1000) * 4),
    // The scenario waits up to 100 ms after the ACK for a 180 that trailed its 200, then pauses.
    durationMs: Math.max(0, holdMs - 100),
    timeoutSeconds: seconds + 60,
    traceMessages: false,
    stats: true,
    responseTimes: true,
  });
  const wallSeconds = (Date.now() - started) / 1000;
  // The send phase is what the rate applies to; the last calls' hold time comes after it.
  const sendSeconds = Math.max(wallSeconds - holdMs / 1000, 0.001);
  const pdd = (result.responseTimes?.pdd ?? []).sort((a, b) => a - b);
  return {
    name,
    rate,
    successful: result.successful,
    failed: result.failed,
    wallSeconds,
    callsPerSecond: result.successful / sendSeconds,
    pddMeanMs: pddMeanMs(result),
    ...(pdd.length > 0 ? { pddP50Ms: percentile(pdd, 50), pddP99Ms: percentile(pdd, 99) } : {}),
    noRinging: Math.max(0, result.successful - pdd.length),
  };
}

/** A target the benchmark offers load to: Tollgate (with its metrics) or the bare B2BUA. */
interface Target {
  name: string;
  sipPort: number;
  bridgePort: number;
  keys: Record<string, string>;
  httpUrl?: string;
  metric?(name: string): Promise<number>;
}

/** One run at `rate`, with the gateway's own PDD percentiles and 503 OVERLOADED count over the run. */
async function run(t: Target, rate: number): Promise<Figures> {
  const before = t.httpUrl ? await histogram(t.httpUrl, 'tollgate_sip_post_dial_delay_seconds') : [];
  const authorizeBefore = t.httpUrl ? await histogram(t.httpUrl, 'tollgate_authorize_duration_seconds') : [];
  const holdBefore = t.httpUrl ? await histogram(t.httpUrl, 'tollgate_redis_operation_duration_seconds', 'operation="hold"') : [];
  const refusedBefore = t.httpUrl ? await sumMetric(t.httpUrl, 'tollgate_overload_refusals_total') : 0;
  const sumBefore = t.metric ? await t.metric('tollgate_sip_post_dial_delay_seconds_sum') : 0;
  const countBefore = t.metric ? await t.metric('tollgate_sip_post_dial_delay_seconds_count') : 0;
  const f = await drive(t.name, rate, t.sipPort, t.bridgePort, t.keys);
  if (t.httpUrl && t.metric) {
    const after = await histogram(t.httpUrl, 'tollgate_sip_post_dial_delay_seconds');
    const delta = after.map(([le, n], i): [number, number] => [le, n - (before[i]?.[1] ?? 0)]);
    const p50 = bucketQuantile(delta, 0.5);
    const p99 = bucketQuantile(delta, 0.99);
    const count = (await t.metric('tollgate_sip_post_dial_delay_seconds_count')) - countBefore;
    if (count > 0) f.gatewayPddMeanMs = (((await t.metric('tollgate_sip_post_dial_delay_seconds_sum')) - sumBefore) / count) * 1000;
    if (p50 !== undefined) f.gatewayPddP50Ms = p50 * 1000;
    if (p99 !== undefined) f.gatewayPddP99Ms = p99 * 1000;
    const authorize = (await histogram(t.httpUrl, 'tollgate_authorize_duration_seconds')).map(([le, n], i): [number, number] => [le, n - (authorizeBefore[i]?.[1] ?? 0)]);
    const a50 = bucketQuantile(authorize, 0.5);
    const a99 = bucketQuantile(authorize, 0.99);
    if (a50 !== undefined) f.authorizeP50Ms = a50 * 1000;
    if (a99 !== undefined) f.authorizeP99Ms = a99 * 1000;
    const hold = (await histogram(t.httpUrl, 'tollgate_redis_operation_duration_seconds', 'operation="hold"')).map(([le, n], i): [number, number] => [le, n - (holdBefore[i]?.[1] ?? 0)]);
    const h50 = bucketQuantile(hold, 0.5);
    const h99 = bucketQuantile(hold, 0.99);
    if (h50 !== undefined) f.holdP50Ms = h50 * 1000;
    if (h99 !== undefined) f.holdP99Ms = h99 * 1000;
    f.refusedOverloaded = (await sumMetric(t.httpUrl, 'tollgate_overload_refusals_total')) - refusedBefore;
  }
  process.stdout.write(
    `  ${t.name} at ${rate}/s: ${f.successful} ok, ${f.failed} failed, ${f.callsPerSecond.toFixed(1)}/s` +
      `${f.refusedOverloaded ? `, ${f.refusedOverloaded} refused 503 OVERLOADED` : ''}${f.noRinging ? `, ${f.noRinging} answered with no 180 before the 200` : ''}\n`,
  );
  // Let the last calls end before the next step.
  await new Promise((resolve) => setTimeout(resolve, holdMs + 3000));
  return f;
}

/** The sum of every series of a counter (all label sets). */
async function sumMetric(httpUrl: string, name: string): Promise<number> {
  const text = await (await fetch(`${httpUrl}/metrics`)).text();
  let sum = 0;
  for (const m of text.matchAll(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)`, 'gm'))) sum += Number(m[1]);
  return sum;
}

/** Steps up from --from until a step has a failed call: the highest clean step, and every step run. */
async function stepSearch(t: Target): Promise<{ clean: number | undefined; steps: Figures[] }> {
  const steps: Figures[] = [];
  let clean: number | undefined;
  for (let rate = Number(values.from); rate <= Number(values.to); rate += Number(values.step)) {
    const f = await run(t, rate);
    steps.push(f);
    if (f.failed > 0 || f.successful < rate * seconds) break;
    clean = rate;
  }
  return { clean, steps };
}

async function main(): Promise<number> {
  const bin = findDrachtio();
  if (!bin || !hasSipp()) {
    process.stderr.write('sip-throughput: needs drachtio-server (DRACHTIO_BIN or PATH) and sipp\n');
    return 2;
  }
  const fixed = values.rate !== undefined ? Number(values.rate) : undefined;
  process.stdout.write('building the gateway (npm run build)…\n');
  execSync('npm run build', { stdio: 'ignore' });
  process.stdout.write(
    fixed !== undefined
      ? `SIP throughput: ${fixed} calls/s for ${seconds} s, each held ${holdMs} ms\n`
      : `SIP step search: from ${values.from}/s in steps of ${values.step}/s, ${seconds} s each, calls held ${holdMs} ms; PDD at ${values['pdd-rate']}/s\n`,
  );
  const redis = await startRedisServer();
  const report: { target: string; clean?: number; steps: Figures[]; pdd?: Figures; overload?: Figures }[] = [];
  let limited: Figures | undefined;
  try {
    // 1. Tollgate: every call identified, rated, held, metered and settled in Redis.
    const world = await startSipWorld({ drachtioBin: bin, redisUrl: redis.url, keyPrefix: 'bench', logLevel: 'warn', drachtioLogLevel: 'notice', compiled: true });
    try {
      const tenant = await tenantWithBalance(world.ledger, 1_000_000_000_000);
      const user = await userOf(world.ledger, tenant);
      const carrier = await startUas('uas-answer.xml', world.ports.carrier, 1000, false);
      const t: Target = {
        name: 'tollgate', sipPort: world.drachtio.sipPort, bridgePort: world.ports.bridge, keys: { tenant: tenant.id, user: user.id },
        httpUrl: world.httpUrl, metric: (n) => world.metric(n),
      };
      try {
        report.push(await measure(t, fixed, true));
      } finally {
        await carrier.stop();
      }
    } finally {
      await world.stop();
    }
    // 1b. The same 2x load on a gateway told its clean rate (calls.overload.maxCallsPerSecond), as an operator would set it.
    const clean = report[0]?.clean;
    if (fixed === undefined && clean !== undefined) {
      const capped = await startSipWorld({
        drachtioBin: bin, redisUrl: redis.url, keyPrefix: 'bench-capped', logLevel: 'warn', drachtioLogLevel: 'notice', compiled: true,
        calls: { overload: { maxCallsPerSecond: clean } },
      });
      try {
        const tenant = await tenantWithBalance(capped.ledger, 1_000_000_000_000);
        const user = await userOf(capped.ledger, tenant);
        const carrier = await startUas('uas-answer.xml', capped.ports.carrier, 1000, false);
        process.stdout.write(`tollgate with calls.overload.maxCallsPerSecond = ${clean}:\n`);
        try {
          limited = await run(
            { name: `tollgate, maxCallsPerSecond ${clean}`, sipPort: capped.drachtio.sipPort, bridgePort: capped.ports.bridge, keys: { tenant: tenant.id, user: user.id }, httpUrl: capped.httpUrl, metric: (n) => capped.metric(n) },
            2 * clean,
          );
        } finally {
          await carrier.stop();
        }
      } finally {
        await capped.stop();
      }
    }

    // 2. Baseline: the same drachtio-server path through a B2BUA that bills nothing.
    const drachtio = await startDrachtio({ bin, logLevel: 'notice' });
    const carrierPort = await freeSipPort();
    const bridgePort = await freeSipPort();
    const carrier = await startUas('uas-answer.xml', carrierPort, 1000, false);
    const bare = spawn(process.execPath, ['--import', 'tsx', 'bench/sip-bare-b2bua.ts', String(drachtio.adminPort), drachtio.secret, `sip:127.0.0.1:${carrierPort}`], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    try {
      await new Promise<void>((resolve, reject) => {
        bare.stdout.on('data', (c: Buffer) => c.toString().includes('connected') && resolve());
        bare.once('exit', (code) => reject(new Error(`bare b2bua exited ${code}`)));
      });
      report.push(await measure({ name: 'bare drachtio-srf B2BUA', sipPort: drachtio.sipPort, bridgePort, keys: {} }, fixed, false));
    } finally {
      bare.kill('SIGTERM');
      await carrier.stop();
      await drachtio.stop();
    }
  } finally {
    await redis.stop();
  }

  const fmt = (n: number | undefined, d = 1) => (n === undefined ? 'n/a' : n.toFixed(d));
  process.stdout.write('\n| B2BUA | offered/s | calls ok | failed | calls/s sustained | caller PDD mean / p50 / p99 (ms, INVITE→180) | gateway PDD mean / p50 / p99 (ms, INVITE in→out) | of it, the decision p50 / p99 (ms) | of that, the hold script round trip to Redis p50 / p99 (ms) | refused 503 OVERLOADED |\n|---|---|---|---|---|---|---|---|---|---|\n');
  for (const r of report) {
    for (const f of [...r.steps, ...(r.pdd && !r.steps.includes(r.pdd) ? [r.pdd] : []), ...(r.overload ? [r.overload] : []), ...(r === report[0] && limited ? [limited] : [])]) {
      process.stdout.write(
        `| ${f.name} | ${f.rate} | ${f.successful} | ${f.failed} | ${fmt(f.callsPerSecond)} | ${fmt(f.pddMeanMs, 2)} / ${fmt(f.pddP50Ms, 0)} / ${fmt(f.pddP99Ms, 0)} | ` +
          `${fmt(f.gatewayPddMeanMs, 2)} / ${fmt(f.gatewayPddP50Ms, 2)} / ${fmt(f.gatewayPddP99Ms, 2)} | ${fmt(f.authorizeP50Ms, 2)} / ${fmt(f.authorizeP99Ms, 2)} | ${fmt(f.holdP50Ms, 2)} / ${fmt(f.holdP99Ms, 2)} | ${f.refusedOverloaded ?? 'n/a'} |\n`,
      );
    }
  }
  const [gw, base] = report;
  if (fixed === undefined && gw && base) {
    process.stdout.write(`\nhighest clean rate (0 failed, steps of ${values.step}/s): tollgate ${gw.clean ?? 'below ' + values.from}/s, bare ${base.clean ?? 'below ' + values.from}/s`);
    if (gw.clean && base.clean) process.stdout.write(` — ratio ${(gw.clean / base.clean).toFixed(2)}`);
    process.stdout.write('\n');
    if (gw.pdd && base.pdd) {
      process.stdout.write(
        `caller PDD at ${values['pdd-rate']}/s, p50 / p99: tollgate ${fmt(gw.pdd.pddP50Ms, 0)} / ${fmt(gw.pdd.pddP99Ms, 0)} ms, bare ${fmt(base.pdd.pddP50Ms, 0)} / ${fmt(base.pdd.pddP99Ms, 0)} ms` +
          ` (tollgate − bare at p99: ${fmt((gw.pdd.pddP99Ms ?? NaN) - (base.pdd.pddP99Ms ?? NaN), 0)} ms)\n`,
      );
    }
    if (gw.overload && gw.clean) {
      process.stdout.write(
        `overload: ${gw.overload.rate}/s offered (2× tollgate's clean rate) for ${seconds} s: ${fmt(gw.overload.successful / seconds)} calls completed per second offered ` +
          `(${((gw.overload.successful / seconds / gw.clean) * 100).toFixed(0)} % of its clean rate; ${fmt(gw.overload.callsPerSecond)}/s over the run's whole send time), ${gw.overload.refusedOverloaded} refused 503 OVERLOADED, ` +
          `${gw.overload.failed - (gw.overload.refusedOverloaded ?? 0)} failed otherwise\n`,
      );
    }
    if (limited && gw.clean) {
      process.stdout.write(
        `overload with calls.overload.maxCallsPerSecond = ${gw.clean}: ${limited.rate}/s offered for ${seconds} s: ${fmt(limited.successful / seconds)} calls completed per second offered ` +
          `(${((limited.successful / seconds / gw.clean) * 100).toFixed(0)} % of its clean rate; ${fmt(limited.callsPerSecond)}/s over the run's whole send time), ${limited.refusedOverloaded} refused 503 OVERLOADED, ` +
          `${limited.failed - (limited.refusedOverloaded ?? 0)} failed otherwise\n`,
      );
    }
  } else if (gw && base && gw.steps[0] && base.steps[0] && base.steps[0].callsPerSecond > 0) {
    const [g, b] = [gw.steps[0], base.steps[0]];
    process.stdout.write(
      `\nratio tollgate / bare: throughput ${(g.callsPerSecond / b.callsPerSecond).toFixed(2)}` +
        (g.pddMeanMs !== undefined && b.pddMeanMs ? `, post-dial delay ${(g.pddMeanMs / b.pddMeanMs).toFixed(2)}x` : '') +
        '\n',
    );
  }
  return 0;
}

/** A fixed rate, or the step search, the PDD run and (for Tollgate) the overload run. */
async function measure(t: Target, fixed: number | undefined, overload: boolean) {
  process.stdout.write(`${t.name}:\n`);
  if (fixed !== undefined) return { target: t.name, steps: [await run(t, fixed)] };
  const pddRate = Number(values['pdd-rate']);
  const pdd = await run(t, pddRate);
  const { clean, steps } = await stepSearch(t);
  const out: { target: string; clean?: number; steps: Figures[]; pdd?: Figures; overload?: Figures } = { target: t.name, steps, pdd, ...(clean !== undefined ? { clean } : {}) };
  if (overload && clean !== undefined) out.overload = await run(t, 2 * clean);
  return out;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`sip-throughput: ${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  },
);
