/**
 * The demo's SIP front: the configured drachtio-server when one answers,
 * else a Kamailio of its own on loopback with the shipped config (Tollgate's
 * Kamailio front), so a fresh machine places real calls (`tollgate demo call`).
 */
import { randomBytes } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { dirname } from 'node:path';
import type { Config } from '../config/schema.js';
import { demoSipStateFile, type DemoSipState } from './demo-call.js';
import { findKamailio, startKamailio, type RunningKamailio } from './demo-kamailio.js';

function tcpAnswers(host: string, port: number, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = connect({ host, port });
    const done = (ok: boolean) => {
      sock.destroy();
      resolve(ok);
    };
    sock.setTimeout(timeoutMs, () => done(false));
    sock.once('connect', () => done(true));
    sock.once('error', () => done(false));
  });
}

function udpFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = createSocket('udp4');
    sock.once('error', () => resolve(false));
    sock.bind(port, '127.0.0.1', () => sock.close(() => resolve(true)));
  });
}

function tcpPort(wanted: number): Promise<number> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => {
      const any = createServer();
      any.listen(0, '127.0.0.1', () => {
        const addr = any.address();
        any.close(() => resolve(typeof addr === 'object' && addr ? addr.port : 0));
      });
    });
    srv.listen(wanted, '127.0.0.1', () => srv.close(() => resolve(wanted)));
  });
}

async function sipPort(): Promise<number> {
  for (const port of [5060, 5062, 5064, 5066, 5068]) if (await udpFree(port)) return port;
  throw new Error('no free UDP port for the demo Kamailio (5060-5068 taken)');
}

export interface DemoSipFront {
  /** What the demo prints about SIP. */
  note: string;
  stop(): Promise<void>;
}

/**
 * With no drachtio-server at drachtio.host:port, starts Kamailio and switches
 * the config to the Kamailio front (drachtio off, a control token). Undefined:
 * drachtio-server answers (the config is left as it is) or no kamailio is installed.
 */
export async function startDemoSipFront(config: Config, dataDir: string): Promise<DemoSipFront | undefined> {
  if (!config.drachtio.enabled || (await tcpAnswers(config.drachtio.host, config.drachtio.port, 500))) return undefined;
  if (!findKamailio()) return undefined;
  const stateFile = demoSipStateFile(dataDir);
  const dir = dirname(stateFile);
  const token = config.kamailio.controlToken ?? `demo-${randomBytes(16).toString('hex')}`;
  const settings = {
    sipPort: await sipPort(),
    rpcPort: await tcpPort(5071),
    // Decisions over evapi (the fast transport, as production runs it); HTTP stays Kamailio's fallback for answer and end.
    evapiPort: await tcpPort(8448),
    tollgateUrl: `http://${config.http.host === '0.0.0.0' ? '127.0.0.1' : config.http.host}:${config.http.port}`,
    controlToken: token,
    retryAfterSeconds: config.sip.retryAfterSeconds,
    children: 4,
    sharedMemoryMb: 64,
  };
  mkdirSync(dir, { recursive: true });
  const kamailio: RunningKamailio = await startKamailio(dir, settings);
  config.drachtio.enabled = false;
  config.kamailio.controlToken = token;
  config.kamailio.rpcUrl = kamailio.rpcUrl;
  config.kamailio.evapi = [{ host: '127.0.0.1', port: settings.evapiPort, rpcUrl: kamailio.rpcUrl }];
  const state: DemoSipState = { sipPort: kamailio.sipPort, rpcPort: kamailio.rpcPort, pid: kamailio.pid, httpUrl: settings.tollgateUrl };
  writeFileSync(stateFile, JSON.stringify(state));
  return {
    note:
      `started Kamailio (pid ${kamailio.pid}) with config/kamailio/kamailio.cfg: SIP on udp:127.0.0.1:${kamailio.sipPort}, ` +
      `JSON-RPC on 127.0.0.1:${kamailio.rpcPort}, evapi on 127.0.0.1:${settings.evapiPort} (no drachtio-server at ${config.drachtio.host}:${config.drachtio.port}); ` +
      `log in ${kamailio.logFile}. Place a call: tollgate demo call --from alice --to +12125550100 --seconds 5`,
    async stop() {
      rmSync(stateFile, { force: true });
      await kamailio.stop();
    },
  };
}
