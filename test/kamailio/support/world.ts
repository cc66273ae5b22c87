/**
 * The Kamailio suite's world: Kamailio on free loopback ports with the shipped
 * config (generated per run), the real `tollgate run` (Kamailio front only,
 * no drachtio-server), Redis, and the loopback ports sipp plays peers on.
 * Kamailio is required: a machine without it fails the suite, never skips it.
 * Tollgate takes Kamailio's questions over evapi (the default transport; the
 * world waits until Kamailio has welcomed each instance) or over HTTP.
 * For fault drills: `startPeer` adds another `tollgate run` on the same Redis,
 * key prefix and Kamailio JSON-RPC (and evapi), and `kill` SIGKILLs the first one.
 */
import { spawn } from 'node:child_process';
import { createWriteStream, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { afterAll, afterEach, beforeAll, inject } from 'vitest';
import { findKamailio, startKamailio, type RunningKamailio } from '../../../src/cli/demo-kamailio.js';
import { configSchema, type Config } from '../../../src/config/schema.js';
import { createLedger, ledgerOptionsFromConfig, type RedisLedger } from '../../../src/ledger/index.js';
import { silentLogger } from '../../../src/log.js';
import { stopWithOwner } from '../../support/watchdog.js';
import { startTcpProxy, type TcpProxy } from '../../support/tcp-proxy.js';
import { callRpc } from '../../../src/kamailio/json-rpc.js';
import { evapiInstanceTag } from '../../../src/kamailio/evapi-link.js';
import { spawnGateway, writeRates, type GatewayProcess } from '../../sip/support/harness.js';
import { freeSipPort } from '../../sip/support/ports.js';
import { runUac, startUas, stopAllSipp } from '../../sip/support/sipp.js';
import { hasSipp } from '../../sip/support/drachtio-server.js';

export const CONTROL_TOKEN = 'kamailio-suite-control-token';

export interface KamailioWorld {
  kamailio: RunningKamailio;
  config: Config;
  /** The first Tollgate's instance id (its evapi tag is tg:<id>). */
  instanceId: string;
  ledger: RedisLedger;
  ports: { bridge: number; carrierIn: number; carrier: number; service: number; stranger: number };
  httpUrl: string;
  gateway: GatewayProcess;
  metric(name: string): Promise<number>;
  /** Another `tollgate run` on the same Redis (or another URL to it, e.g. a proxy), key prefix and Kamailio JSON-RPC; Kamailio keeps reporting to the first. */
  startPeer(opts?: { redisUrl?: string }): Promise<GatewayProcess>;
  /** SIGKILL of the first `tollgate run`: it dies with its calls up (a lost instance). */
  kill(): Promise<void>;
  /** The transport Kamailio asks Tollgate over. */
  transport: 'evapi' | 'http';
  /** Kamailio's evapi port (evapi transport). */
  evapiPort?: number;
  /** With evapiProxy: the TCP proxy between the first Tollgate and Kamailio's evapi (cut() drops that link). */
  evapiProxy?: TcpProxy;
  /** Resolves once Kamailio has welcomed this instance id over evapi (rejects after timeoutMs). */
  evapiConnected(instanceId: string, timeoutMs?: number): Promise<void>;
  /** Whether Kamailio currently lists this instance id as connected over evapi. */
  evapiListed(instanceId: string): Promise<boolean>;
  stop(): Promise<void>;
}

export interface KamailioWorldOptions {
  redisUrl: string;
  keyPrefix: string;
  /** Start no Tollgate (Kamailio points at a port nobody listens on): the fail-closed drill. */
  noTollgate?: boolean;
  calls?: Record<string, number>;
  /** Tollgate's log level (benchmarks: warn). */
  logLevel?: 'info' | 'debug' | 'warn';
  /** Kamailio's SIP workers (each holds one http_client request at a time). */
  children?: number;
  /** redis.* timeouts (fault drills: short, so a short lease passes validation). */
  redisTimeouts?: { connectTimeoutMs?: number; commandTimeoutMs?: number };
  /** The first Tollgate's Redis URL when it differs from the world's (a TCP proxy in front of it); peers and the suite's ledger use redisUrl. */
  gatewayRedisUrl?: string;
  /** How Kamailio asks Tollgate: evapi (default) or HTTP (http_client). */
  transport?: 'evapi' | 'http';
  /** Evapi: the first Tollgate reaches Kamailio's evapi through a TCP proxy the test can cut. */
  evapiProxy?: boolean;
  /** Kamailio's wait for an evapi decision (ms; default 2000). */
  decisionTimeoutMs?: number;
  /** Run `tollgate run` from the compiled dist/ (npm run build) instead of the TypeScript sources (benchmarks). */
  fromDist?: boolean;
  /** Kamailio's shared memory (MB). */
  sharedMemoryMb?: number;
  /** Kamailio relays calls it cannot ask Tollgate about, unbilled, to the carrier (TOLLGATE_FAIL_OPEN). */
  failOpen?: boolean;
  /** false: Kamailio's HTTP connection to Tollgate points nowhere (no HTTP fallback for evapi reports). */
  httpFallback?: boolean;
}

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

/** `tollgate run` from dist/ (compiled JS): as spawnGateway, for benchmarks that measure the gateway and not tsx. */
async function spawnDistGateway(raw: Record<string, unknown>, dir: string, name: string, httpPort: number): Promise<GatewayProcess> {
  const configFile = join(dir, `${name}.yaml`);
  writeFileSync(configFile, stringify(raw));
  const logFile = join(dir, `${name}.log`);
  const log = createWriteStream(logFile);
  log.on('error', () => undefined);
  const env = { ...process.env };
  for (const k of Object.keys(env)) if (k.startsWith('TOLLGATE_') || k === 'REDIS_URL') delete env[k];
  // Benchmarks: TOLLGATE_CPU_PROF=DIR profiles the gateway; TOLLGATE_GATEWAY_NODE_ARGS adds Node flags (e.g. --heap-prof, --max-semi-space-size=32).
  const nodeArgs = (process.env.TOLLGATE_GATEWAY_NODE_ARGS ?? '').split(' ').filter((a) => a !== '');
  const args = [
    ...(process.env.TOLLGATE_CPU_PROF ? ['--cpu-prof', '--cpu-prof-dir', process.env.TOLLGATE_CPU_PROF] : []),
    ...nodeArgs,
    join(ROOT, 'dist', 'src', 'cli.js'), 'run', '--config', configFile,
  ];
  const proc = spawn(process.execPath, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const guard = stopWithOwner([proc.pid]);
  proc.stdout?.pipe(log);
  proc.stderr?.pipe(log);
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  const httpUrl = `http://127.0.0.1:${httpPort}`;
  const kill = async (): Promise<void> => {
    if (proc.exitCode === null && proc.signalCode === null) {
      // SIGTERM first when profiling, so the profile is written.
      proc.kill(process.env.TOLLGATE_CPU_PROF || nodeArgs.length > 0 ? 'SIGTERM' : 'SIGKILL');
      await exited;
    }
  };
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`tollgate (dist) exited with ${proc.exitCode} before it was ready: see ${logFile}`);
    const ok = await fetch(`${httpUrl}/readyz`).then((r) => r.ok, () => false);
    if (ok) break;
    if (Date.now() > deadline) {
      await kill();
      throw new Error(`tollgate (dist) not ready after 30 s: see ${logFile}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    httpUrl,
    logFile,
    ...(proc.pid ? { pid: proc.pid } : {}),
    async metric(metricName) {
      const text = await (await fetch(`${httpUrl}/metrics`)).text();
      const line = text.split('\n').find((l) => l.startsWith(`${metricName} `) || l.startsWith(`${metricName}{`));
      return line ? Number(line.split(' ').at(-1)) : 0;
    },
    async terminate() {
      if (proc.exitCode === null) proc.kill('SIGTERM');
      return exited;
    },
    kill,
    async stop() {
      await kill();
      guard.cancel();
      log.end();
    },
  };
}

/** The kamailio binary, or an error saying how to get it: this suite never skips silently. */
export function requireKamailio(): string {
  const bin = findKamailio();
  if (!bin) {
    throw new Error('Kamailio suite: no kamailio binary. `npm test` installs it (.ci/system-deps.sh: kamailio kamailio-utils-modules kamailio-extra-modules); or set KAMAILIO_BIN');
  }
  if (!hasSipp()) throw new Error('Kamailio suite: no sipp on PATH (Debian package sip-tester)');
  return bin;
}

export async function startKamailioWorld(opts: KamailioWorldOptions): Promise<KamailioWorld> {
  const bin = requireKamailio();
  const dir = mkdtempSync(join(tmpdir(), 'tollgate-kamailio-world-'));
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
  const httpPort = await freeSipPort();
  const sipPort = await freeSipPort();
  const rpcPort = await freeSipPort();
  const transport = opts.transport ?? 'evapi';
  const evapiPort = transport === 'evapi' ? await freeSipPort() : undefined;
  let evapiProxy: TcpProxy | undefined;
  if (evapiPort && opts.evapiProxy) evapiProxy = await startTcpProxy(evapiPort, 'evapi');
  const evapiOf = (port: number | undefined) => (port ? [{ host: '127.0.0.1', port }] : []);
  const raw = {
    instanceId: `kamailio-suite-${process.pid}`,
    log: { level: opts.logLevel ?? (process.env.TOLLGATE_TEST_LOGS ? 'debug' : 'info') },
    redis: {
      url: opts.gatewayRedisUrl ?? opts.redisUrl,
      keyPrefix: opts.keyPrefix,
      ...opts.redisTimeouts,
      // Benchmarks: TOLLGATE_BENCH_AUTO_PIPELINING=1 runs the gateway with redis.autoPipelining on (off by default).
      ...(process.env.TOLLGATE_BENCH_AUTO_PIPELINING === '1' ? { autoPipelining: true } : {}),
    },
    http: { host: '127.0.0.1', port: httpPort, adminToken: 'kamailio-suite-admin-token' },
    rates: { dir: ratesDir, watch: false },
    calls: {
      sliceSeconds: 60, extendAheadSeconds: 10, leaseSeconds: 30,
      // Benchmarks: TOLLGATE_BENCH_MAX_LAG_MS=N runs the gateway with calls.overload.maxEventLoopLagMs N.
      ...(process.env.TOLLGATE_BENCH_MAX_LAG_MS ? { overload: { maxEventLoopLagMs: Number(process.env.TOLLGATE_BENCH_MAX_LAG_MS) } } : {}),
      ...opts.calls,
    },
    drachtio: { enabled: false },
    kamailio: { controlToken: CONTROL_TOKEN, rpcUrl: `http://127.0.0.1:${rpcPort}/RPC`, evapi: evapiOf(evapiProxy ? evapiProxy.port : evapiPort) },
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
  const spawn_ = opts.fromDist ? spawnDistGateway : spawnGateway;
  const rpcUrl = `http://127.0.0.1:${rpcPort}/RPC`;
  const evapiListed = async (instanceId: string): Promise<boolean> => {
    const v = await callRpc(rpcUrl, 'htable.get', ['tgconn', `tag::tg:${evapiInstanceTag(instanceId)}`], 1000).catch(() => undefined);
    return v !== undefined && v !== null;
  };
  const evapiConnected = async (instanceId: string, timeoutMs = 15_000): Promise<void> => {
    const deadline = Date.now() + timeoutMs;
    while (!(await evapiListed(instanceId))) {
      if (Date.now() > deadline) throw new Error(`Kamailio did not list ${instanceId} as connected over evapi within ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  const ledger = createLedger(ledgerOptionsFromConfig(config, { logger: silentLogger }));
  const dirGuard = stopWithOwner([], process.env.TOLLGATE_KEEP_LOGS ? [] : [dir]);
  let kamailio: RunningKamailio | undefined;
  let gateway: GatewayProcess | undefined;
  const peers: GatewayProcess[] = [];
  const cleanup = async (): Promise<void> => {
    for (const g of [...peers.splice(0), ...(gateway ? [gateway] : [])]) await g.stop();
    await kamailio?.stop();
    await evapiProxy?.close();
    await ledger.close();
    dirGuard.cancel();
    if (!process.env.TOLLGATE_KEEP_LOGS) rmSync(dir, { recursive: true, force: true });
  };
  try {
    await ledger.ready();
    kamailio = await startKamailio(
      join(dir, 'kamailio'),
      {
        sipPort,
        rpcPort,
        tollgateUrl: opts.httpFallback === false ? 'http://127.0.0.1:9' : `http://127.0.0.1:${httpPort}`,
        controlToken: CONTROL_TOKEN,
        ...(opts.failOpen ? { failOpenUri: `sip:127.0.0.1:${ports.carrier}` } : {}),
        retryAfterSeconds: 7,
        children: opts.children ?? 4,
        sharedMemoryMb: opts.sharedMemoryMb ?? (opts.children ? 256 : 64),
        ...(evapiPort ? { evapiPort } : {}),
        ...(opts.decisionTimeoutMs ? { decisionTimeoutMs: opts.decisionTimeoutMs } : {}),
      },
      { bin },
    );
    if (!opts.noTollgate) {
      gateway = await spawn_(raw, dir, 'tollgate', httpPort);
      if (evapiPort) await evapiConnected(raw.instanceId);
    }
  } catch (err) {
    await cleanup();
    throw err;
  }
  const main = gateway;
  return {
    kamailio,
    config,
    instanceId: raw.instanceId,
    ledger,
    ports,
    httpUrl: `http://127.0.0.1:${httpPort}`,
    get gateway() {
      if (!main) throw new Error('this world runs no Tollgate');
      return main;
    },
    metric: (name) => (main ? main.metric(name) : Promise.resolve(0)),
    transport,
    ...(evapiPort ? { evapiPort } : {}),
    ...(evapiProxy ? { evapiProxy } : {}),
    evapiConnected,
    evapiListed,
    async startPeer(peerOpts = {}) {
      const port = await freeSipPort();
      const n = peers.length + 1;
      const peerRaw = {
        ...raw,
        instanceId: `${raw.instanceId}-peer${n}`,
        redis: { ...raw.redis, url: peerOpts.redisUrl ?? opts.redisUrl },
        http: { ...raw.http, port },
        // Peers reach Kamailio's evapi directly (never through the first instance's proxy).
        kamailio: { ...raw.kamailio, evapi: evapiOf(evapiPort) },
      };
      const peer = await spawn_(peerRaw, dir, `peer${n}`, port);
      peers.push(peer);
      if (evapiPort) await evapiConnected(peerRaw.instanceId);
      return peer;
    },
    async kill() {
      if (!main) throw new Error('this world runs no Tollgate');
      await main.kill();
    },
    stop: cleanup,
  };
}

type UacOptions = Parameters<typeof runUac>[0];

/** A scenario of test/kamailio/scenarios (sipp's helpers look in test/sip/scenarios). */
export const scenario = (name: string): string => `../../kamailio/scenarios/${name}`;

/** A carrier or service number played by sipp with a Kamailio suite scenario. */
export const startCarrier = (name: string, port: number, durationMs?: number): ReturnType<typeof startUas> =>
  startUas(scenario(name), port, durationMs);

export interface KamailioSuite {
  readonly world: KamailioWorld;
  /** A call from the configured bridge into Kamailio. */
  bridgeCall(scenario: string, dialed: string, keys: Record<string, string>, extra?: Partial<UacOptions>): ReturnType<typeof runUac>;
  /** A call from the carrier (inbound) into Kamailio. */
  carrierCall(scenario: string, dialed: string, keys: Record<string, string>, extra?: Partial<UacOptions>): ReturnType<typeof runUac>;
}

/** One Kamailio world per test file, every sipp peer stopped after each test. */
export function kamailioSuite(keyPrefix: string, opts: Partial<KamailioWorldOptions> = {}): KamailioSuite {
  let world: KamailioWorld | undefined;
  beforeAll(async () => {
    world = await startKamailioWorld({ redisUrl: inject('redisUrl'), keyPrefix: `${keyPrefix}${process.pid}`, ...opts });
  });
  afterAll(async () => {
    await world?.stop();
  });
  afterEach(() => stopAllSipp());
  const suite: KamailioSuite = {
    get world() {
      if (!world) throw new Error('the Kamailio world is not running (used outside a test?)');
      return world;
    },
    bridgeCall: (name, dialed, keys, extra = {}) =>
      runUac({ scenario: scenario(name), target: suite.world.kamailio.sipPort, localPort: suite.world.ports.bridge, dialed, keys, ...extra }),
    carrierCall: (name, dialed, keys, extra = {}) =>
      runUac({ scenario: scenario(name), target: suite.world.kamailio.sipPort, localPort: suite.world.ports.carrierIn, dialed, keys, ...extra }),
  };
  return suite;
}
