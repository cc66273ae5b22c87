/**
 * The SIP suite's world: a drachtio-server, the gateway wired to a real ledger
 * (Redis), real rate files and real call control, and the loopback ports sipp plays peers on.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCallControl } from '../../../src/calls/call-control.js';
import type { CallControl } from '../../../src/calls/types.js';
import { configSchema, type Config } from '../../../src/config/schema.js';
import { createLedger, ledgerOptionsFromConfig, type RedisLedger } from '../../../src/ledger/index.js';
import { createLogger, silentLogger, type Logger } from '../../../src/log.js';
import { createMetrics, type Metrics } from '../../../src/metrics.js';
import { RateStore } from '../../../src/rating/rate-store.js';
import { createSipGateway, type SipGateway } from '../../../src/sip/gateway.js';
import { freePort } from '../../support/redis-server.js';
import { startDrachtio, type RunningDrachtio } from './drachtio-server.js';

/** A few rate rows, enough for every scenario and chosen so charges come out in whole cents. */
export const TEST_RATES = {
  'outbound.csv': [
    'prefix,country,destination,number_type,currency,price_per_minute,connection_fee,initial_increment,subsequent_increment,effective_from,premium_allowed',
    // 60/60: any call under a minute costs exactly 0.01
    '1,US,United States,landline,USD,0.0100,0,60,60,2025-01-01,false',
    '1800,US,United States Toll-Free,toll-free,USD,0,0,60,60,2025-01-01,false',
    '1900,US,United States Premium,premium,USD,0.9900,0,60,60,2025-01-01,false',
    // 1/1 at 0.60 a minute: one cent a second, so 0.05 funds exactly 5 s
    '44,GB,United Kingdom,landline,USD,0.6000,0,1,1,2025-01-01,false',
  ],
  'toll-free.csv': [
    'origin_prefix,origin_country,service_country,currency,price_per_minute,connection_fee,initial_increment,subsequent_increment,effective_from',
    '44,GB,*,USD,0.6000,0,1,1,2025-01-01',
    '1,US,US,USD,0.0180,0,60,6,2025-01-01',
  ],
  'zone-a.csv': ['country,name', 'US,United States', 'GB,United Kingdom'],
  'emergency.csv': ['country,number', '*,112', 'US,911', 'GB,999'],
};

export interface SipWorld {
  drachtio: RunningDrachtio;
  config: Config;
  ledger: RedisLedger;
  calls: CallControl;
  gateway: SipGateway;
  metrics: Metrics;
  /** Where sipp plays each peer (local ports on 127.0.0.1). */
  ports: { bridge: number; carrierIn: number; carrier: number; service: number; stranger: number };
  stop(): Promise<void>;
}

export interface WorldOptions {
  drachtioBin: string;
  redisUrl: string;
  keyPrefix: string;
  mode?: 'inbound' | 'outbound';
  logger?: Logger;
}

export function writeRates(dir: string, rates: Record<string, string[]> = TEST_RATES): void {
  for (const [file, lines] of Object.entries(rates)) writeFileSync(join(dir, file), `${lines.join('\n')}\n`);
}

export async function startSipWorld(opts: WorldOptions): Promise<SipWorld> {
  const logger = opts.logger ?? (process.env.TOLLGATE_TEST_LOGS ? createLogger('debug') : silentLogger);
  const ratesDir = mkdtempSync(join(tmpdir(), 'tollgate-sip-rates-'));
  writeRates(ratesDir);
  const ports = {
    bridge: await freePort(),
    carrierIn: await freePort(),
    carrier: await freePort(),
    service: await freePort(),
    stranger: await freePort(),
  };
  const mode = opts.mode ?? 'inbound';
  const listenPort = await freePort();
  const drachtio = await startDrachtio({ bin: opts.drachtioBin, mode, routeTo: `127.0.0.1:${listenPort}` });
  const config = configSchema.parse({
    redis: { url: opts.redisUrl, keyPrefix: opts.keyPrefix },
    http: { adminToken: 'sip-suite-admin-token' },
    rates: { dir: ratesDir, watch: false },
    calls: { sliceSeconds: 60, extendAheadSeconds: 10, leaseSeconds: 30 },
    drachtio: { mode, host: '127.0.0.1', port: drachtio.adminPort, secret: drachtio.secret, listenPort, reconnectMaxMs: 1000 },
    sip: {
      peers: [
        { name: 'bridge', role: 'bridge', addresses: ['127.0.0.1'], port: ports.bridge },
        { name: 'carrier', role: 'trunk', addresses: ['127.0.0.1'], port: ports.carrierIn, uri: `sip:127.0.0.1:${ports.carrier}` },
      ],
      defaultTrunk: 'carrier',
      retryAfterSeconds: 7,
      drainSeconds: 5,
    },
  });
  const metrics = createMetrics();
  const ledger = createLedger(ledgerOptionsFromConfig(config, { metrics, logger }));
  await ledger.ready();
  const rates = await RateStore.open({ dir: ratesDir, logger, metrics });
  const calls = createCallControl({ ledger, rates, config, logger, metrics });
  const gateway = createSipGateway({ config, calls, metrics, logger });
  gateway.start();
  if (!(await gateway.whenConnected(10_000))) {
    await drachtio.stop();
    throw new Error(`the gateway did not connect to drachtio-server (${mode} mode); log: ${drachtio.logFile}`);
  }
  return {
    drachtio,
    config,
    ledger,
    calls,
    gateway,
    metrics,
    ports,
    stop: async () => {
      await gateway.stop();
      await calls.stop();
      await ledger.close();
      await drachtio.stop();
      rmSync(ratesDir, { recursive: true, force: true });
    },
  };
}

/** A free port for a sipp UAS that plays the toll-free service target. */
export { freePort };
