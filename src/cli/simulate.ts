/**
 * `tollgate simulate`: N simulated calls of one throw-away tenant through the
 * real ledger and a real Redis, C at a time, on simulated call clocks; prints
 * throughput, hold/settle latency, the final balance against the usage
 * charges, and whether the tenant ever overspent.
 */
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from '../config/load.js';
import { configSchema, type PlanConfig } from '../config/schema.js';
import { createLedger, LedgerError, LedgerUnavailableError, type RedisLedger } from '../ledger/index.js';
import { formatMoney, MoneyFormatError, parseMoney } from '../money.js';
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
}

export interface SimulationReport {
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
  const t0 = Date.UTC(2025, 0, 15, 9);
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
  await Promise.all(
    Array.from({ length: Math.max(1, opts.concurrency) }, async () => {
      while (next < opts.calls) await oneCall(next++);
    }),
  );
  const wallSeconds = (performance.now() - began) / 1000;
  running = false;
  await watcher;

  const view = await ledger.balance(tenantId, t0);
  let usageCharges = 0;
  for await (const r of ledger.usage(tenantId, 0, t0 + 86_400_000)) usageCharges += r.charge;
  await ledger.deleteTenant(tenantId);
  for (const s of Object.values(samples)) s.sort((a, b) => a - b);
  const round = (ms: number) => Math.round(ms * 100) / 100;
  return {
    calls: opts.calls,
    admitted,
    refused,
    cutOff,
    wallSeconds: round(wallSeconds),
    callsPerSecond: Math.round(opts.calls / wallSeconds),
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
    `calls          ${r.calls} (${r.admitted} admitted, ${r.refused} refused for funds, ${r.cutOff} cut off when money ran out)`,
    `throughput     ${r.callsPerSecond} calls/s (${r.wallSeconds} s wall clock)`,
    `hold latency   p50 ${r.holdMs.p50} ms, p99 ${r.holdMs.p99} ms`,
    `extend latency p50 ${r.extendMs.p50} ms, p99 ${r.extendMs.p99} ms`,
    `settle latency p50 ${r.settleMs.p50} ms, p99 ${r.settleMs.p99} ms`,
    `balance        opening ${m(r.opening)}, final ${m(r.finalBalance)}, lowest seen ${m(r.lowestBalance)}`,
    `usage charges  ${m(r.usageCharges)} (opening - final = ${m(r.opening - r.finalBalance)})`,
    `overspend      ${r.overspent ? 'YES: the ledger spent money it did not have' : 'none'}`,
  ].join('\n');
}

const USAGE = 'usage: tollgate simulate --calls N --concurrency C --balance X [--redis URL] [--config FILE] [--max-seconds S]\n' +
  '  runs N simulated calls of a throw-away tenant (deleted afterwards) under key prefix "tgsim"\n';

export async function run(argv: string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        calls: { type: 'string', default: '1000' },
        concurrency: { type: 'string', default: '50' },
        balance: { type: 'string', default: '20.00' },
        'max-seconds': { type: 'string', default: '600' },
        redis: { type: 'string' },
        config: { type: 'string', short: 'c' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (err) {
    process.stderr.write(`tollgate simulate: ${(err as Error).message}\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const calls = Number(values.calls);
  const concurrency = Number(values.concurrency);
  const maxSeconds = Number(values['max-seconds']);
  let balance: number;
  try {
    balance = parseMoney(values.balance);
  } catch (err) {
    if (!(err instanceof MoneyFormatError)) throw err;
    process.stderr.write(`tollgate simulate: --balance: ${err.message}\n`);
    return 2;
  }
  if (![calls, concurrency, maxSeconds].every((n) => Number.isInteger(n) && n > 0) || balance < 0) {
    process.stderr.write(`tollgate simulate: --calls, --concurrency and --max-seconds must be positive whole numbers, --balance not negative\n${USAGE}`);
    return 2;
  }
  let redis: { url?: string; clusterNodes?: string[]; connectTimeoutMs: number; commandTimeoutMs: number };
  let plans: PlanConfig[];
  try {
    const config = values.config || !values.redis ? loadConfig(values.config) : configSchema.parse({ http: { adminToken: 'simulate-only-no-http-here' } });
    redis = values.redis
      ? { url: values.redis, connectTimeoutMs: config.redis.connectTimeoutMs, commandTimeoutMs: config.redis.commandTimeoutMs }
      : { url: config.redis.url, clusterNodes: config.redis.clusterNodes, connectTimeoutMs: config.redis.connectTimeoutMs, commandTimeoutMs: config.redis.commandTimeoutMs };
    plans = config.plans;
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      return 1;
    }
    throw err;
  }
  const ledger = createLedger({ ...redis, keyPrefix: 'tgsim', leaseSeconds: 30, sliceSeconds: 60, usageRetentionDays: 400, plans, dialOutMinutesPerLicence: 60 });
  try {
    const report = await simulate({ ledger, calls, concurrency, balance, maxSeconds });
    process.stdout.write(`${formatReport(report)}\n`);
    return report.overspent ? 1 : 0;
  } catch (err) {
    if (err instanceof LedgerUnavailableError || err instanceof LedgerError) {
      process.stderr.write(`tollgate simulate: ${err.message}\n`);
      return 1;
    }
    throw err;
  } finally {
    await ledger.close();
  }
}
