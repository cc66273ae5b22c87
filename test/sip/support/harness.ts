/**
 * The SIP suite's world: a drachtio-server, the real `tollgate run` process on a
 * generated config (Redis, rate files), and the loopback ports sipp plays peers on.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { configSchema, type Config } from '../../../src/config/schema.js';
import { createLedger, ledgerOptionsFromConfig, type RedisLedger } from '../../../src/ledger/index.js';
import { silentLogger } from '../../../src/log.js';
import { stopWithOwner } from '../../support/watchdog.js';
import { freeSipPort } from './ports.js';
import { startDrachtio, type RunningDrachtio } from './drachtio-server.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

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
  /** The suite's own ledger client on the gateway's Redis and key prefix: provisioning and checks. */
  ledger: RedisLedger;
  /** Where sipp plays each peer (local ports on 127.0.0.1). */
  ports: { bridge: number; carrierIn: number; carrier: number; service: number; stranger: number };
  httpUrl: string;
  /** Value of one metric series from the gateway's /metrics (0 when absent). */
  metric(name: string): Promise<number>;
  /** The gateway process: SIGTERM starts its drain; resolves with its exit code. */
  terminate(): Promise<number | null>;
  logFile: string;
  stop(): Promise<void>;
}

export interface WorldOptions {
  drachtioBin: string;
  redisUrl: string;
  keyPrefix: string;
  mode?: 'inbound' | 'outbound';
  logLevel?: 'info' | 'debug' | 'warn';
}

export function writeRates(dir: string, rates: Record<string, string[]> = TEST_RATES): void {
  for (const [file, lines] of Object.entries(rates)) writeFileSync(join(dir, file), `${lines.join('\n')}\n`);
}

async function waitReady(url: string, proc: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    if (proc.exitCode !== null) throw new Error(`tollgate exited with ${proc.exitCode} before it was ready`);
    try {
      const res = await fetch(`${url}/readyz`);
      last = await res.text();
      if (res.ok) return;
    } catch (err) {
      last = (err as Error).message;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`tollgate not ready after ${timeoutMs} ms: ${last}`);
}

export async function startSipWorld(opts: WorldOptions): Promise<SipWorld> {
  const dir = mkdtempSync(join(tmpdir(), 'tollgate-sip-world-'));
  const ratesDir = join(dir, 'rates');
  mkdirSync(ratesDir);
  writeRates(ratesDir);
  const ports = {
    bridge: await freeSipPort(),
    carrierIn: await freeSipPort(),
    carrier: await freeSipPort(),
    service: await freeSipPort(),
    stranger: await freeSipPort(),
  };
  const mode = opts.mode ?? 'inbound';
  const listenPort = await freeSipPort();
  const httpPort = await freeSipPort();
  const drachtio = await startDrachtio({ bin: opts.drachtioBin, mode, routeTo: `127.0.0.1:${listenPort}` });
  const raw = {
    instanceId: `sip-suite-${process.pid}`,
    log: { level: opts.logLevel ?? (process.env.TOLLGATE_TEST_LOGS ? 'debug' : 'info') },
    redis: { url: opts.redisUrl, keyPrefix: opts.keyPrefix },
    http: { host: '127.0.0.1', port: httpPort, adminToken: 'sip-suite-admin-token' },
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
      drainSeconds: 20,
    },
  };
  const config = configSchema.parse(raw);
  const configFile = join(dir, 'tollgate.yaml');
  writeFileSync(configFile, stringify(raw));
  const logFile = join(dir, 'tollgate.log');
  const log = createWriteStream(logFile);
  const env = { ...process.env };
  for (const k of Object.keys(env)) if (k.startsWith('TOLLGATE_') || k === 'REDIS_URL') delete env[k];
  const proc = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'src', 'cli.ts'), 'run', '--config', configFile], {
    cwd: ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const guard = stopWithOwner([proc.pid], process.env.TOLLGATE_KEEP_LOGS ? [] : [dir]);
  proc.stdout?.pipe(log);
  proc.stderr?.pipe(log);
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  const httpUrl = `http://127.0.0.1:${httpPort}`;
  const ledger = createLedger(ledgerOptionsFromConfig(config, { logger: silentLogger }));
  const cleanup = async (): Promise<void> => {
    if (proc.exitCode === null && proc.signalCode === null) {
      proc.kill('SIGKILL');
      await exited;
    }
    guard.cancel();
    await ledger.close();
    await drachtio.stop();
    log.end();
    if (!process.env.TOLLGATE_KEEP_LOGS) rmSync(dir, { recursive: true, force: true });
  };
  try {
    await ledger.ready();
    await waitReady(httpUrl, proc, 30_000);
  } catch (err) {
    await cleanup();
    throw new Error(`${(err as Error).message} (set TOLLGATE_KEEP_LOGS=1 to keep ${logFile})`);
  }
  return {
    drachtio,
    config,
    ledger,
    ports,
    httpUrl,
    logFile,
    async metric(name) {
      const text = await (await fetch(`${httpUrl}/metrics`)).text();
      const line = text.split('\n').find((l) => l.startsWith(`${name} `) || l.startsWith(`${name}{`));
      return line ? Number(line.split(' ').at(-1)) : 0;
    },
    async terminate() {
      if (proc.exitCode === null) proc.kill('SIGTERM');
      return exited;
    },
    stop: cleanup,
  };
}
