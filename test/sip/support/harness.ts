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

/** One `tollgate run` process of the world. */
export interface GatewayProcess {
  /** The gateway's process id (memory readings in the benchmarks). */
  pid?: number;
  httpUrl: string;
  logFile: string;
  /** Value of one metric series from this gateway's /metrics (0 when absent). */
  metric(name: string): Promise<number>;
  /** SIGTERM starts its drain; resolves with its exit code. */
  terminate(): Promise<number | null>;
  /** SIGKILL: the process dies with its calls up (a lost instance). */
  kill(): Promise<void>;
  stop(): Promise<void>;
}

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
  /** The world's first gateway. */
  gateway: GatewayProcess;
  /** Another gateway instance on the same drachtio-server, Redis and key prefix (or another Redis URL, e.g. a proxy). */
  startPeer(opts?: { redisUrl?: string }): Promise<GatewayProcess>;
  /** Stops drachtio-server and starts it again on the same ports (its dialogs are lost). */
  restartDrachtio(opts?: { downMs?: number }): Promise<void>;
  stop(): Promise<void>;
}

export interface WorldOptions {
  drachtioBin: string;
  redisUrl: string;
  keyPrefix: string;
  mode?: 'inbound' | 'outbound';
  logLevel?: 'info' | 'debug' | 'warn';
  /** calls.* settings (short leases for fault drills). */
  calls?: Record<string, unknown>;
  /** redis.* timeouts. */
  redisTimeouts?: { connectTimeoutMs?: number; commandTimeoutMs?: number };
  /** The first gateway's Redis URL when it differs from the world's (a proxy in front of it). */
  gatewayRedisUrl?: string;
  /** Run the gateway from the compiled JavaScript (dist/, `npm run build`) as in production, not from its TypeScript sources. */
  compiled?: boolean;
  /** Extra node options for the gateway process (e.g. --cpu-prof for a profile of a benchmark run). */
  nodeArgs?: string[];
  /** drachtio-server's log level (benchmarks: notice, so it does not write every SIP message through a pipe). */
  drachtioLogLevel?: 'info' | 'notice' | 'warning';
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

/** Starts `tollgate run` on a config file; resolves once /readyz answers 200. */
export async function spawnGateway(
  raw: Record<string, unknown>,
  dir: string,
  name: string,
  httpPort: number,
  compiled = false,
  nodeArgs: string[] = [],
): Promise<GatewayProcess> {
  const configFile = join(dir, `${name}.yaml`);
  writeFileSync(configFile, stringify(raw));
  const logFile = join(dir, `${name}.log`);
  const log = createWriteStream(logFile);
  log.on('error', () => undefined);
  const env = { ...process.env };
  for (const k of Object.keys(env)) if (k.startsWith('TOLLGATE_') || k === 'REDIS_URL') delete env[k];
  const entry = compiled ? [join(ROOT, 'dist', 'src', 'cli.js')] : ['--import', 'tsx', join(ROOT, 'src', 'cli.ts')];
  // Benchmarks: TOLLGATE_GATEWAY_NODE_ARGS adds Node flags (e.g. --cpu-prof --cpu-prof-dir=DIR); the gateway then gets SIGTERM, so a profile is written.
  const envArgs = (process.env.TOLLGATE_GATEWAY_NODE_ARGS ?? '').split(' ').filter((a) => a !== '');
  const proc = spawn(process.execPath, [...nodeArgs, ...envArgs, ...entry, 'run', '--config', configFile], {
    cwd: ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const guard = stopWithOwner([proc.pid]);
  proc.stdout?.pipe(log);
  proc.stderr?.pipe(log);
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  const httpUrl = `http://127.0.0.1:${httpPort}`;
  const kill = async (): Promise<void> => {
    if (proc.exitCode === null && proc.signalCode === null) {
      proc.kill(envArgs.length > 0 ? 'SIGTERM' : 'SIGKILL');
      await exited;
    }
  };
  const stop = async (): Promise<void> => {
    await kill();
    guard.cancel();
    proc.stdout?.unpipe(log);
    proc.stderr?.unpipe(log);
    log.end();
  };
  try {
    await waitReady(httpUrl, proc, 30_000);
  } catch (err) {
    await stop();
    throw new Error(`${(err as Error).message} (set TOLLGATE_KEEP_LOGS=1 to keep ${logFile})`);
  }
  return {
    pid: proc.pid!,
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
    kill,
    stop,
  };
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
  const logLevel = opts.drachtioLogLevel;
  let drachtio = await startDrachtio({ bin: opts.drachtioBin, mode, routeTo: `127.0.0.1:${listenPort}`, ...(logLevel ? { logLevel } : {}) });
  const raw = {
    instanceId: `sip-suite-${process.pid}`,
    log: { level: opts.logLevel ?? (process.env.TOLLGATE_TEST_LOGS ? 'debug' : 'info') },
    redis: { url: opts.gatewayRedisUrl ?? opts.redisUrl, keyPrefix: opts.keyPrefix, ...opts.redisTimeouts },
    http: { host: '127.0.0.1', port: httpPort, adminToken: 'sip-suite-admin-token' },
    rates: { dir: ratesDir, watch: false },
    calls: { sliceSeconds: 60, extendAheadSeconds: 10, leaseSeconds: 30, ...opts.calls },
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
  const config = configSchema.parse({ ...raw, redis: { ...raw.redis, url: opts.redisUrl } });
  const ledger = createLedger(ledgerOptionsFromConfig(config, { logger: silentLogger }));
  const peers: GatewayProcess[] = [];
  const dirGuard = stopWithOwner([], process.env.TOLLGATE_KEEP_LOGS ? [] : [dir]);
  let gateway: GatewayProcess | undefined;
  const cleanup = async (): Promise<void> => {
    for (const g of [...peers.splice(0), ...(gateway ? [gateway] : [])]) await g.stop();
    await ledger.close();
    await drachtio.stop();
    dirGuard.cancel();
    if (!process.env.TOLLGATE_KEEP_LOGS) rmSync(dir, { recursive: true, force: true });
  };
  try {
    await ledger.ready();
    gateway = await spawnGateway(raw, dir, 'tollgate', httpPort, opts.compiled, opts.nodeArgs);
  } catch (err) {
    await cleanup();
    throw err;
  }
  const main = gateway;
  return {
    get drachtio() {
      return drachtio;
    },
    config,
    ledger,
    ports,
    httpUrl: main.httpUrl,
    logFile: main.logFile,
    metric: (name) => main.metric(name),
    terminate: () => main.terminate(),
    gateway: main,
    async startPeer(peerOpts = {}) {
      const port = await freeSipPort();
      const peerRaw = {
        ...raw,
        instanceId: `${raw.instanceId}-peer${peers.length + 1}`,
        redis: { ...raw.redis, url: peerOpts.redisUrl ?? opts.redisUrl },
        http: { ...raw.http, port },
      };
      const peer = await spawnGateway(peerRaw, dir, `peer${peers.length + 1}`, port, opts.compiled);
      peers.push(peer);
      return peer;
    },
    async restartDrachtio(restartOpts = {}) {
      const { adminPort, sipPort } = drachtio;
      await drachtio.stop();
      if (restartOpts.downMs) await new Promise((r) => setTimeout(r, restartOpts.downMs));
      drachtio = await startDrachtio({ bin: opts.drachtioBin, mode, routeTo: `127.0.0.1:${listenPort}`, adminPort, sipPort, ...(logLevel ? { logLevel } : {}) });
    },
    stop: cleanup,
  };
}
