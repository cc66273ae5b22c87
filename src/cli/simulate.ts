/**
 * `tollgate simulate`: N simulated calls of one throw-away tenant through the
 * real ledger and a real Redis, C at a time, on simulated call clocks; prints
 * throughput, hold/settle latency, the final balance against the usage
 * charges, and whether the tenant ever overspent.
 */
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { ConfigError, loadConfig } from '../config/load.js';
import { configSchema, type PlanConfig } from '../config/schema.js';
import { createLedger, LedgerError, LedgerUnavailableError, type RedisLedger } from '../ledger/index.js';
import { formatMoney, minorUnitProblem, MoneyFormatError, parseMoney } from '../money.js';
import { parseOptions, UsageError, usageMistake } from './args.js';
import { namingRedis } from './redis-target.js';
import { purgeSimulation } from './simulate-cleanup.js';
import type { RateTerms } from '../rating/types.js';

export interface SimulationOptions {
  ledger: RedisLedger;
  calls: number;
  concurrency: number;
  /** Opening balance of the simulated tenant, micros. */
  balance: number;
  /** Longest simulated call, seconds. */
  maxSeconds?: number;
  rate?: RateTerms;
  /** Called with the throw-away tenant's id before the first call. */
  onStart?: (tenantId: string) => void;
  /** Called as calls complete, at most once per progressEveryMs (0: after every call), and once at the end. */
  onProgress?: (done: number, total: number) => void;
  progressEveryMs?: number;
  /** Checked before each new call: true stops the run (Ctrl-C); calls in progress finish. */
  shouldStop?: () => boolean;
}

export interface SimulationReport {
  tenantId: string;
  /** Calls asked for; calls is how many ran (fewer when interrupted). */
  requested: number;
  interrupted: boolean;
  calls: number;
  admitted: number;
  refused: number;
  cutOff: number;
  wallSeconds: number;
  callsPerSecond: number;
  holdMs: { p50: number; p99: number };
  extendMs: { p50: number; p99: number };
  settleMs: { p50: number; p99: number };
  opening: number;
  finalBalance: number;
  usageCharges: number;
  lowestBalance: number;
  overspent: boolean;
  currency: string;
}

/** Simulated call clocks run up to an hour and a call ahead of real time, by design: the ledger of a simulation allows that. */
export const SIMULATION_CLOCK_SKEW_MS = 2 * 3_600_000;

const DEFAULT_RATE: RateTerms = { currency: 'USD', pricePerMinute: 20_000, connectFee: 0, initialIncrement: 60, subsequentIncrement: 6 };

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

async function timed<T>(samples: number[], fn: () => Promise<T>): Promise<T> {
  const t = performance.now();
  try {
    return await fn();
  } finally {
    samples.push(performance.now() - t);
  }
}

export async function simulate(opts: SimulationOptions): Promise<SimulationReport> {
  const { ledger } = opts;
  const rate = opts.rate ?? DEFAULT_RATE;
  const maxSeconds = opts.maxSeconds ?? 600;
  const tenantId = `sim-${randomBytes(4).toString('hex')}`;
  // Real time: the ledger refuses call times far from Redis time; the simulated calls start within the next hour.
  const t0 = Date.now();
  opts.onStart?.(tenantId);
  let failed = false;
  try {
    return await runCalls(opts, ledger, rate, maxSeconds, tenantId, t0);
  } catch (err) {
    failed = true;
    throw err;
  } finally {
    // After every run, failed or interrupted too: the tenant, its settled holds, usage and shared slot keys.
    await ledger.deleteTenant(tenantId).catch(() => undefined);
    try {
      await purgeSimulation(ledger.client, ledger.keyPrefix, tenantId);
    } catch (err) {
      // A run that failed reports why it failed (Redis gone, usually), not that its cleanup failed too.
      if (!failed) throw new LedgerUnavailableError(`deleting the simulation's keys: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
}

async function runCalls(opts: SimulationOptions, ledger: RedisLedger, rate: RateTerms, maxSeconds: number, tenantId: string, t0: number): Promise<SimulationReport> {
  await ledger.putTenant({ id: tenantId, name: 'Simulated tenant', currency: rate.currency, country: 'US', creditLimit: 0 });
  if (opts.balance > 0) await ledger.topUp(tenantId, 'sim-opening', opts.balance, t0);
  const samples = { hold: [] as number[], extend: [] as number[], settle: [] as number[] };
  let admitted = 0;
  let refused = 0;
  let cutOff = 0;
  let lowest = opts.balance;
  let running = true;
  const watcher = (async () => {
    while (running) {
      lowest = Math.min(lowest, (await ledger.balance(tenantId, t0)).balance);
      await new Promise((r) => setTimeout(r, 5));
    }
  })();

  const oneCall = async (i: number) => {
    const callId = `sim-call-${i}`;
    const start = t0 + Math.floor(Math.random() * 3_600_000);
    const seconds = Math.floor(Math.random() * maxSeconds) + 1;
    const answered = Math.random() < 0.9;
    const held = await timed(samples.hold, () =>
      ledger.hold({
        tenantId, callId, sources: [{ kind: 'credits' }], rate, requirePositiveBalance: false, nowMs: start,
        draft: { tenantId, callId, callType: 'user_out', callDirection: 'outbound', destinationDialed: '+12025550199', destinationNumber: '+12025550199', currency: rate.currency },
      }),
    );
    if (!held.ok) {
      refused++;
      return;
    }
    admitted++;
    if (!answered) {
      await timed(samples.settle, () => ledger.release(tenantId, callId, start + 4000, 'cancelled'));
      return;
    }
    await ledger.answer(tenantId, callId, start);
    let funded = held.fundedSeconds;
    let exhausted = false;
    while (!exhausted && funded < seconds) {
      const ext = await timed(samples.extend, () => ledger.extend(tenantId, callId, start + Math.max(0, funded - 10) * 1000));
      funded = ext.fundedSeconds;
      exhausted = ext.exhausted;
    }
    if (exhausted && funded < seconds) cutOff++;
    const end = start + Math.min(seconds, funded) * 1000;
    await timed(samples.settle, () => ledger.settle(tenantId, callId, end, exhausted ? 'credit_exhausted' : 'caller_hangup'));
  };

  const began = performance.now();
  let next = 0;
  let done = 0;
  let lastProgress = began;
  const progressEveryMs = opts.progressEveryMs ?? 2000;
  await Promise.all(
    Array.from({ length: Math.max(1, opts.concurrency) }, async () => {
      while (next < opts.calls && !opts.shouldStop?.()) {
        await oneCall(next++);
        done++;
        const now = performance.now();
        if (opts.onProgress && done < opts.calls && now - lastProgress >= progressEveryMs) {
          lastProgress = now;
          opts.onProgress(done, opts.calls);
        }
      }
    }),
  );
  opts.onProgress?.(done, opts.calls);
  const wallSeconds = (performance.now() - began) / 1000;
  running = false;
  await watcher;

  const view = await ledger.balance(tenantId, t0);
  let usageCharges = 0;
  for await (const r of ledger.usage(tenantId, t0 - 86_400_000, t0 + 86_400_000)) usageCharges += r.charge;
  for (const s of Object.values(samples)) s.sort((a, b) => a - b);
  const round = (ms: number) => Math.round(ms * 100) / 100;
  return {
    tenantId,
    requested: opts.calls,
    interrupted: done < opts.calls,
    calls: done,
    admitted,
    refused,
    cutOff,
    wallSeconds: round(wallSeconds),
    callsPerSecond: Math.round(done / wallSeconds),
    holdMs: { p50: round(percentile(samples.hold, 50)), p99: round(percentile(samples.hold, 99)) },
    extendMs: { p50: round(percentile(samples.extend, 50)), p99: round(percentile(samples.extend, 99)) },
    settleMs: { p50: round(percentile(samples.settle, 50)), p99: round(percentile(samples.settle, 99)) },
    opening: opts.balance,
    finalBalance: view.balance,
    usageCharges,
    lowestBalance: Math.min(lowest, view.balance),
    overspent: view.balance < 0 || lowest < 0 || view.balance !== opts.balance - usageCharges || view.held !== 0,
    currency: rate.currency,
  };
}

export function formatReport(r: SimulationReport): string {
  const m = (v: number) => `${formatMoney(v, r.currency)} ${r.currency}`;
  return [
    `calls          ${r.interrupted ? `${r.calls} of ${r.requested}, interrupted` : r.calls} (${r.admitted} admitted, ${r.refused} refused for funds, ${r.cutOff} cut off when money ran out)`,
    `throughput     ${r.callsPerSecond} calls/s (${r.wallSeconds} s wall clock)`,
    `hold latency   p50 ${r.holdMs.p50} ms, p99 ${r.holdMs.p99} ms`,
    `extend latency p50 ${r.extendMs.p50} ms, p99 ${r.extendMs.p99} ms`,
    `settle latency p50 ${r.settleMs.p50} ms, p99 ${r.settleMs.p99} ms`,
    `balance        opening ${m(r.opening)}, final ${m(r.finalBalance)}, lowest seen ${m(r.lowestBalance)}`,
    `usage charges  ${m(r.usageCharges)} (opening - final = ${m(r.opening - r.finalBalance)})`,
    `overspend      ${r.overspent ? 'YES: the ledger spent money it did not have' : 'none'}`,
  ].join('\n');
}

/** Every call's latency samples are kept for the percentiles: a bound on memory and on run time. */
const MAX_CALLS = 1_000_000;
const MAX_CONCURRENCY = 1000;
const SIM_CURRENCY = 'USD';

const USAGE =
  'usage: tollgate simulate [--calls N] [--concurrency C] [--balance X] [--max-seconds S] [--redis URL] [--config FILE]\n' +
  `  runs N (default 1000, at most ${MAX_CALLS}) simulated calls, C at a time (default 50, at most ${MAX_CONCURRENCY}),\n` +
  `  of a throw-away ${SIM_CURRENCY} tenant with opening balance X (default 20.00) under key prefix "tgsim";\n` +
  '  every key it writes is deleted afterwards. Progress every 2 s on stderr; Ctrl-C stops early and\n' +
  '  prints the summary of the calls that ran (a second Ctrl-C exits at once).\n';

function wholeNumber(name: string, text: string, min: number, max: number): number {
  if (!/^\d+$/.test(text)) throw new UsageError(`--${name} "${text}" is not a whole number`);
  const n = Number(text);
  if (n < min) throw new UsageError(`--${name} ${text}: at least ${min}`);
  if (n > max) throw new UsageError(`--${name} ${text}: at most ${max}`);
  return n;
}

function options(argv: string[]) {
  const { values } = parseOptions(argv, {
    calls: { type: 'string', default: '1000' },
    concurrency: { type: 'string', default: '50' },
    balance: { type: 'string', default: '20.00' },
    'max-seconds': { type: 'string', default: '600' },
    redis: { type: 'string' },
    config: { type: 'string', short: 'c' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) return { help: true as const };
  const calls = wholeNumber('calls', values.calls, 1, MAX_CALLS);
  const concurrency = wholeNumber('concurrency', values.concurrency, 1, MAX_CONCURRENCY);
  const maxSeconds = wholeNumber('max-seconds', values['max-seconds'], 1, 86_400);
  let balance: number;
  try {
    balance = parseMoney(values.balance);
  } catch (err) {
    if (err instanceof MoneyFormatError) throw new UsageError(`--balance: ${err.message}`);
    throw err;
  }
  if (balance < 0) throw new UsageError('--balance must not be negative');
  const problem = minorUnitProblem(balance, SIM_CURRENCY);
  if (problem) throw new UsageError(`--balance: ${problem}`);
  return { help: false as const, calls, concurrency, maxSeconds, balance, redis: values.redis, config: values.config };
}

export async function run(argv: string[]): Promise<number> {
  let o;
  try {
    o = options(argv);
  } catch (err) {
    if (err instanceof UsageError) return usageMistake('simulate', err, USAGE);
    throw err;
  }
  if (o.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  let redis: { url?: string; clusterNodes?: string[]; connectTimeoutMs: number; commandTimeoutMs: number };
  let plans: PlanConfig[];
  try {
    const config = o.config || !o.redis ? loadConfig(o.config) : configSchema.parse({ http: { adminToken: 'simulate-only-no-http-here' } });
    redis = o.redis
      ? { url: o.redis, connectTimeoutMs: config.redis.connectTimeoutMs, commandTimeoutMs: config.redis.commandTimeoutMs }
      : { url: config.redis.url, clusterNodes: config.redis.clusterNodes, connectTimeoutMs: config.redis.connectTimeoutMs, commandTimeoutMs: config.redis.commandTimeoutMs };
    plans = config.plans;
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      return 1;
    }
    throw err;
  }
  const ledger = createLedger({
    ...redis, keyPrefix: 'tgsim', leaseSeconds: 30, sliceSeconds: 60, usageRetentionDays: 400, plans, dialOutMinutesPerLicence: 60,
    maxClockSkewMs: SIMULATION_CLOCK_SKEW_MS,
  });
  let stopping = false;
  const onSigint = () => {
    if (stopping) process.exit(130);
    stopping = true;
    process.stderr.write('tollgate simulate: stopping: calls in progress finish, then the summary (Ctrl-C again exits at once)\n');
  };
  process.on('SIGINT', onSigint);
  try {
    const report = await simulate({
      ledger, calls: o.calls, concurrency: o.concurrency, balance: o.balance, maxSeconds: o.maxSeconds,
      onStart: (tenantId) => process.stderr.write(`tollgate simulate: simulating ${o.calls} calls of tenant ${tenantId} (${o.concurrency} at a time)\n`),
      onProgress: (done, total) => {
        if (done < total) process.stderr.write(`tollgate simulate: ${done} of ${total} calls (${Math.floor((done / total) * 100)} %)\n`);
      },
      shouldStop: () => stopping,
    });
    process.stdout.write(`${formatReport(report)}\n`);
    if (report.overspent) return 1;
    return report.interrupted ? 130 : 0;
  } catch (err) {
    if (err instanceof LedgerUnavailableError) {
      process.stderr.write(`tollgate simulate: ${namingRedis(err.message, redis)}\n`);
      return 1;
    }
    if (err instanceof LedgerError) {
      process.stderr.write(`tollgate simulate: ${err.message}\n`);
      return 1;
    }
    throw err;
  } finally {
    process.off('SIGINT', onSigint);
    await ledger.close();
  }
}
