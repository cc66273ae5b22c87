/**
 * Starts a throw-away drachtio-server for the SIP suite and benchmarks: a
 * generated config on free loopback ports (admin TCP, SIP UDP), console log to a file.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { accessSync, constants, createWriteStream, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { stopWithOwner } from '../../support/watchdog.js';
import { freeSipPort } from './ports.js';

/** The drachtio-server binary: DRACHTIO_BIN, else `drachtio` on PATH; undefined when neither exists. */
export function findDrachtio(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const candidates = env.DRACHTIO_BIN ? [env.DRACHTIO_BIN] : (env.PATH ?? '').split(delimiter).map((d) => join(d, 'drachtio'));
  for (const file of candidates) {
    try {
      accessSync(file, constants.X_OK);
      return file;
    } catch {
      // not this one
    }
  }
  return undefined;
}

export function hasSipp(): boolean {
  return spawnSync('sipp', ['-v'], { stdio: 'ignore' }).error === undefined;
}

/** How long drachtio-server may take to open its admin port (process start on a loaded machine). */
const START_TIMEOUT_MS = 30_000;

export interface RunningDrachtio {
  adminPort: number;
  sipPort: number;
  secret: string;
  logFile: string;
  stop(): Promise<void>;
}

export interface DrachtioOptions {
  bin: string;
  /** outbound: drachtio-server asks an HTTP route handler and connects to the gateway at routeTo. */
  mode?: 'inbound' | 'outbound';
  /** Outbound mode: "host:port" of the gateway's listener. */
  routeTo?: string;
  /** Reuse ports (a restart); free ones are picked otherwise. */
  adminPort?: number;
  sipPort?: number;
  /** drachtio-server's log level: at info (the default, for tests) it logs every SIP message in full; benchmarks use notice. */
  logLevel?: 'info' | 'notice' | 'warning';
}

function waitForPort(port: number, proc: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const attempt = (): void => {
      if (proc.exitCode !== null) return reject(new Error(`drachtio-server exited with ${proc.exitCode}`));
      const sock = createConnection({ host: '127.0.0.1', port });
      sock.once('connect', () => {
        sock.destroy();
        resolve();
      });
      sock.once('error', () => {
        sock.destroy();
        if (Date.now() > deadline) reject(new Error(`drachtio-server admin port ${port} did not open`));
        else setTimeout(attempt, 100);
      });
    };
    attempt();
  });
}

/** The routing web callback drachtio-server calls in outbound mode: route every request to the gateway. */
async function startRouteHandler(routeTo: string): Promise<{ url: string; server: Server }> {
  const server = createServer((_req, res) => {
    res.setHeader('Content-Type', 'application/json');
    res.end(JSON.stringify({ action: 'route', data: { uri: routeTo } }));
  });
  const port = await freeSipPort();
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${port}/route`, server };
}

export async function startDrachtio(opts: DrachtioOptions): Promise<RunningDrachtio> {
  const dir = mkdtempSync(join(tmpdir(), 'tollgate-drachtio-'));
  const adminPort = opts.adminPort ?? (await freeSipPort());
  const sipPort = opts.sipPort ?? (await freeSipPort());
  const secret = 'tollgate-test';
  let route: { url: string; server: Server } | undefined;
  if (opts.mode === 'outbound') {
    if (!opts.routeTo) throw new Error('outbound mode needs routeTo (the gateway listener "host:port")');
    route = await startRouteHandler(opts.routeTo);
  }
  const handlers = route
    ? `<request-handlers><request-handler sip-method="INVITE" http-method="GET">${route.url}</request-handler></request-handlers>`
    : '';
  const config = `<drachtio>
  <admin port="${adminPort}" secret="${secret}">127.0.0.1</admin>
  ${handlers}
  <sip>
    <contacts><contact>sip:127.0.0.1:${sipPort};transport=udp</contact></contacts>
  </sip>
  <cdrs>false</cdrs>
  <logging><console/><sofia-loglevel>0</sofia-loglevel><loglevel>${opts.logLevel ?? 'info'}</loglevel></logging>
</drachtio>
`;
  const configFile = join(dir, 'drachtio.conf.xml');
  writeFileSync(configFile, config);
  const logFile = join(dir, 'drachtio.log');
  const log = createWriteStream(logFile);
  // The file may be gone before the stream opens (a server stopped at once); that is no test failure.
  log.on('error', () => undefined);
  const proc = spawn(opts.bin, ['-f', configFile], { stdio: ['ignore', 'pipe', 'pipe'] });
  const guard = stopWithOwner([proc.pid], process.env.TOLLGATE_KEEP_LOGS ? [] : [dir]);
  proc.stdout?.pipe(log);
  proc.stderr?.pipe(log);
  try {
    await waitForPort(adminPort, proc, START_TIMEOUT_MS);
  } catch (err) {
    proc.kill('SIGKILL');
    guard.cancel();
    route?.server.close();
    throw new Error(`${(err as Error).message}; log: ${logFile}`);
  }
  return {
    adminPort,
    sipPort,
    secret,
    logFile,
    stop: async () => {
      route?.server.close();
      if (proc.exitCode === null && proc.signalCode === null) {
        await new Promise<void>((resolve) => {
          const killer = setTimeout(() => proc.kill('SIGKILL'), 3000);
          proc.once('exit', () => {
            clearTimeout(killer);
            resolve();
          });
          proc.kill('SIGTERM');
        });
      }
      guard.cancel();
      proc.stdout?.unpipe(log);
      proc.stderr?.unpipe(log);
      log.end();
      if (!process.env.TOLLGATE_KEEP_LOGS) rmSync(dir, { recursive: true, force: true });
    },
  };
}
