/**
 * A call-control test bench: the real ledger on its own key prefix of the
 * test Redis, real rate files, real entitlement, and a deterministic clock.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, inject } from 'vitest';
import { createCallControl, type CallControlOptions } from '../../src/calls/call-control.js';
import type { CallNoticeSink, RechargeRequester } from '../../src/calls/settle-effects.js';
import type { AuthorizeOutcome, CallControl, CallSession, CallSetup, CallTransport, WireEnder } from '../../src/calls/types.js';
import { validateConfig } from '../../src/config/load.js';
import type { Config } from '../../src/config/schema.js';
import type { EndReason, Tenant, UsageRecord, User } from '../../src/domain.js';
import { createLedger, ledgerOptionsFromConfig, type LedgerOptions, type RedisLedger } from '../../src/ledger/redis-ledger.js';
import { TEST_CLOCK_SKEW_MS } from '../support/ledger-fixtures.js';
import { silentLogger } from '../../src/log.js';
import { createMetrics, type Metrics } from '../../src/metrics.js';
import { RateStore } from '../../src/rating/rate-store.js';
import { FakeClock } from '../support/fake-clock.js';

/** 2025-03-10T12:00:00Z */
export const T0 = Date.UTC(2025, 2, 10, 12, 0, 0);

/**
 * USD 0.60 a minute everywhere, so 60/60 costs 600,000 micros a started
 * minute and 1/1 costs 10,000 micros (one cent) a second.
 */
const RATE_FILES: Record<string, string> = {
  'outbound.csv': [
    'prefix,country,destination,number_type,currency,price_per_minute,connection_fee,initial_increment,subsequent_increment,effective_from,premium_allowed',
    '44,GB,United Kingdom,landline,USD,0.60,0,60,60,,false',
    '447,GB,United Kingdom Mobile,mobile,USD,0.60,0,1,1,,false',
    '449,GB,United Kingdom Premium,premium,USD,3.00,0,60,60,,false',
    '33,FR,France,landline,USD,0.60,0,60,60,,false',
    '1,US,United States,landline,USD,0.60,0.10,60,60,,false',
  ].join('\n'),
  'toll-free.csv': [
    'origin_prefix,origin_country,service_country,currency,price_per_minute,connection_fee,initial_increment,subsequent_increment,effective_from',
    '44,GB,*,USD,0.60,0,1,1,',
    '1,US,*,USD,0.60,0,60,60,',
  ].join('\n'),
  'zone-a.csv': ['country,name', 'GB,United Kingdom', 'FR,France', 'US,United States'].join('\n'),
  'emergency.csv': ['country,number', '*,112', 'GB,999', 'US,911'].join('\n'),
  'high-risk.csv': ['prefix,description', '447999,Test high-risk range (rule 28)'].join('\n'),
};

export function writeRateDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'tollgate-calls-rates-'));
  for (const [name, text] of Object.entries(RATE_FILES)) writeFileSync(join(dir, name), `${text}\n`);
  return dir;
}

export const TINY_PLAN = { sku: 'TINY', name: 'Two domestic minutes', domesticMinutes: 2, internationalMinutes: 0 };

/** What the transport saw: every hang-up request with the (fake) time it came at. */
export class RecordingTransport implements CallTransport {
  readonly hangUps: Array<{ reason: EndReason; atMs: number }> = [];
  session: CallSession | undefined;
  constructor(private readonly clock: FakeClock) {}

  async hangUp(reason: EndReason): Promise<void> {
    this.hangUps.push({ reason, atMs: this.clock.now() });
    // Like the SIP layer: BYE both legs, then report the end to the session.
    await this.session?.end(reason, this.clock.now());
  }
}

export interface BenchOptions {
  calls?: Partial<Config['calls']>;
  plans?: Config['plans'];
  instanceId?: string;
  /** Share a ledger and clock with another bench (a second gateway instance). */
  ledger?: RedisLedger;
  clock?: FakeClock;
  recharge?: RechargeRequester;
  notifier?: CallNoticeSink;
  /** Ends recovered calls of other instances on the wire (a recording one in tests). */
  wireEnder?: WireEnder;
  /** Point the ledger at this URL instead of the test Redis (a Redis of the test's own, or UNREACHABLE_REDIS_URL). */
  redisUrl?: string;
  /**
   * The ledger's Redis timeouts; 5 s by default, ample for a loaded machine.
   * Shorter only where the test means a command to time out or nothing answers.
   */
  redisTimeoutsMs?: { connect?: number; command?: number };
  /** Ledger settings beyond the config (e.g. a lease of a fraction of a second for recovery tests). */
  ledgerOptions?: Partial<LedgerOptions>;
}

export interface Bench {
  clock: FakeClock;
  ledger: RedisLedger;
  control: CallControl;
  metrics: Metrics;
  config: Config;
  rates: RateStore;
  /** Authorizes a call and, when allowed, wires its transport to the session. */
  call(setup: Partial<CallSetup> & { dialed: string }): Promise<{ outcome: AuthorizeOutcome; transport: RecordingTransport; session: CallSession }>;
  usage(tenantId: string): Promise<UsageRecord[]>;
  counter(name: 'cutoffs' | 'recoveredCalls' | 'callsEnded' | 'callDecisions' | 'chargedMicros', labels?: Record<string, string>): Promise<number>;
  close(): Promise<void>;
}

let callSeq = 0;

export async function openBench(opts: BenchOptions = {}): Promise<Bench> {
  const clock = opts.clock ?? new FakeClock(T0);
  const config = validateConfig(
    {
      instanceId: opts.instanceId ?? 'gw-a',
      http: { adminToken: 'calls-test-admin-token' },
      calls: { sliceSeconds: 60, extendAheadSeconds: 10, leaseSeconds: 30, recoveryIntervalMs: 5000, ...opts.calls },
      ...(opts.plans ? { plans: opts.plans } : {}),
      log: { level: 'silent' },
    },
    'calls test',
  );
  const ownLedger = opts.ledger === undefined;
  const ledger =
    opts.ledger ??
    createLedger(
      ledgerOptionsFromConfig(config, {
        url: opts.redisUrl ?? inject('redisUrl'),
        keyPrefix: `t${randomBytes(5).toString('hex')}`,
        connectTimeoutMs: opts.redisTimeoutsMs?.connect ?? 5000,
        commandTimeoutMs: opts.redisTimeoutsMs?.command ?? 5000,
        maxClockSkewMs: TEST_CLOCK_SKEW_MS,
        ...opts.ledgerOptions,
      }),
    );
  const dir = writeRateDir();
  const rates = await RateStore.open({ dir, logger: silentLogger });
  const metrics = createMetrics();
  const options: CallControlOptions = {
    ledger,
    rates,
    config,
    clock,
    logger: silentLogger,
    metrics,
    ...(opts.recharge ? { recharge: opts.recharge } : {}),
    ...(opts.notifier ? { notifier: opts.notifier } : {}),
    ...(opts.wireEnder ? { wireEnder: opts.wireEnder } : {}),
  };
  const control = createCallControl(options);

  return {
    clock,
    ledger,
    control,
    metrics,
    config,
    rates,
    async call(partial) {
      const transport = new RecordingTransport(clock);
      const setup: CallSetup = {
        callId: `call-${++callSeq}-${randomBytes(3).toString('hex')}`,
        direction: 'outbound',
        receivedAtMs: clock.now(),
        ...partial,
      };
      const outcome = await control.authorize(setup, transport);
      if (outcome.allowed) transport.session = outcome.session;
      return {
        outcome,
        transport,
        get session(): CallSession {
          if (!outcome.allowed) throw new Error(`call refused: ${outcome.code} ${outcome.message}`);
          return outcome.session;
        },
      };
    },
    async usage(tenantId) {
      const out: UsageRecord[] = [];
      for await (const r of ledger.usage(tenantId, 0, T0 + 365 * 86_400_000)) out.push(r);
      return out;
    },
    async counter(name, labels) {
      const metric = (await metrics[name].get()).values;
      return metric
        .filter((v) => Object.entries(labels ?? {}).every(([k, want]) => (v.labels as Record<string, unknown>)[k] === want))
        .reduce((sum, v) => sum + v.value, 0);
    },
    async close() {
      try {
        await control.stop();
      } finally {
        rates.close();
        rmSync(dir, { recursive: true, force: true });
        if (ownLedger) await ledger.close();
      }
    },
  };
}

/** Opens benches for the tests of one describe block and closes them after each test, newest first. */
export function benchPerTest(): (opts?: BenchOptions) => Promise<Bench> {
  const benches: Bench[] = [];
  afterEach(async () => {
    for (const b of benches.splice(0).reverse()) await b.close();
  });
  return async (opts = {}) => {
    const b = await openBench(opts);
    benches.push(b);
    return b;
  };
}

export function tenant(id: string, overrides: Partial<Tenant> = {}): Tenant {
  return { id, name: `Tenant ${id}`, currency: 'USD', country: 'GB', creditLimit: 0, ...overrides };
}

/** A GB user with the communicationCredits licence and no plan, unless overridden. */
export function user(tenantId: string, id: string, overrides: Partial<User> = {}): User {
  return {
    id,
    tenantId,
    upn: `${id}@${tenantId}.example`,
    displayName: `User ${id}`,
    usageCountry: 'GB',
    policy: 'international_and_domestic',
    dialOutPolicy: 'any',
    licences: ['communicationCredits'],
    ...overrides,
  };
}

/** Provisions a tenant with an opening balance (micros) and its users. */
export async function provision(bench: Bench, t: Tenant, balance: number, users: User[] = []): Promise<void> {
  await bench.ledger.putTenant(t);
  if (balance > 0) await bench.ledger.topUp(t.id, `opening-${t.id}`, balance, bench.clock.now());
  for (const u of users) await bench.ledger.putUser(u);
}
