/**
 * The Kamailio suite's world: Kamailio on free loopback ports with the shipped
 * config (generated per run), the real `tollgate run` (Kamailio front only,
 * no drachtio-server), Redis, and the loopback ports sipp plays peers on.
 * Kamailio is required: a machine without it fails the suite, never skips it.
 * For fault drills: `startPeer` adds another `tollgate run` on the same Redis,
 * key prefix and Kamailio JSON-RPC, and `kill` SIGKILLs the first one.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, inject } from 'vitest';
import { findKamailio, startKamailio, type RunningKamailio } from '../../../src/cli/demo-kamailio.js';
import { configSchema, type Config } from '../../../src/config/schema.js';
import { createLedger, ledgerOptionsFromConfig, type RedisLedger } from '../../../src/ledger/index.js';
import { silentLogger } from '../../../src/log.js';
import { stopWithOwner } from '../../support/watchdog.js';
import { spawnGateway, writeRates, type GatewayProcess } from '../../sip/support/harness.js';
import { freeSipPort } from '../../sip/support/ports.js';
import { runUac, startUas, stopAllSipp } from '../../sip/support/sipp.js';
import { hasSipp } from '../../sip/support/drachtio-server.js';

export const CONTROL_TOKEN = 'kamailio-suite-control-token';

export interface KamailioWorld {
  kamailio: RunningKamailio;
  config: Config;
  ledger: RedisLedger;
  ports: { bridge: number; carrierIn: number; carrier: number; service: number; stranger: number };
  httpUrl: string;
  gateway: GatewayProcess;
  metric(name: string): Promise<number>;
  /** Another `tollgate run` on the same Redis (or another URL to it, e.g. a proxy), key prefix and Kamailio JSON-RPC; Kamailio keeps reporting to the first. */
  startPeer(opts?: { redisUrl?: string }): Promise<GatewayProcess>;
  /** SIGKILL of the first `tollgate run`: it dies with its calls up (a lost instance). */
  kill(): Promise<void>;
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
  const raw = {
    instanceId: `kamailio-suite-${process.pid}`,
    log: { level: opts.logLevel ?? (process.env.TOLLGATE_TEST_LOGS ? 'debug' : 'info') },
    redis: { url: opts.gatewayRedisUrl ?? opts.redisUrl, keyPrefix: opts.keyPrefix, ...opts.redisTimeouts },
    http: { host: '127.0.0.1', port: httpPort, adminToken: 'kamailio-suite-admin-token' },
    rates: { dir: ratesDir, watch: false },
    calls: { sliceSeconds: 60, extendAheadSeconds: 10, leaseSeconds: 30, ...opts.calls },
    drachtio: { enabled: false },
    kamailio: { controlToken: CONTROL_TOKEN, rpcUrl: `http://127.0.0.1:${rpcPort}/RPC` },
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
  const dirGuard = stopWithOwner([], process.env.TOLLGATE_KEEP_LOGS ? [] : [dir]);
  let kamailio: RunningKamailio | undefined;
  let gateway: GatewayProcess | undefined;
  const peers: GatewayProcess[] = [];
  const cleanup = async (): Promise<void> => {
    for (const g of [...peers.splice(0), ...(gateway ? [gateway] : [])]) await g.stop();
    await kamailio?.stop();
    await ledger.close();
    dirGuard.cancel();
    if (!process.env.TOLLGATE_KEEP_LOGS) rmSync(dir, { recursive: true, force: true });
  };
  try {
    await ledger.ready();
    kamailio = await startKamailio(
      join(dir, 'kamailio'),
      { sipPort, rpcPort, tollgateUrl: `http://127.0.0.1:${httpPort}`, controlToken: CONTROL_TOKEN, retryAfterSeconds: 7, children: opts.children ?? 4, sharedMemoryMb: opts.children ? 256 : 64 },
      { bin },
    );
    if (!opts.noTollgate) gateway = await spawnGateway(raw, dir, 'tollgate', httpPort);
  } catch (err) {
    await cleanup();
    throw err;
  }
  const main = gateway;
  return {
    kamailio,
    config,
    ledger,
    ports,
    httpUrl: `http://127.0.0.1:${httpPort}`,
    get gateway() {
      if (!main) throw new Error('this world runs no Tollgate');
      return main;
    },
    metric: (name) => (main ? main.metric(name) : Promise.resolve(0)),
    async startPeer(peerOpts = {}) {
      const port = await freeSipPort();
      const n = peers.length + 1;
      const peerRaw = {
        ...raw,
        instanceId: `${raw.instanceId}-peer${n}`,
        redis: { ...raw.redis, url: peerOpts.redisUrl ?? opts.redisUrl },
        http: { ...raw.http, port },
      };
      const peer = await spawnGateway(peerRaw, dir, `peer${n}`, port);
      peers.push(peer);
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
