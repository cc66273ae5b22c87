/**
 * Starts a throw-away redis-server on a free loopback port for tests and
 * benchmarks, and stops it; a watchdog stops it too if its owner is killed.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stopWithOwner } from './watchdog.js';

export interface RunningRedis {
  port: number;
  url: string;
  stop(): Promise<void>;
  /** Freezes the server (SIGSTOP): connections stay open, nothing answers. */
  pause(): void;
  /** Thaws it (SIGCONT). */
  resume(): void;
  /** Kills it at once (SIGKILL), as a crashed host would. */
  kill(): void;
}

/**
 * A Redis URL nothing answers on, for fail-closed tests: port 1 is privileged
 * and unused, so connections are refused at once, and unlike a port that was
 * merely free a moment ago, no other test process can start listening on it.
 */
export const UNREACHABLE_REDIS_URL = 'redis://127.0.0.1:1';

/** How long a starting redis-server may take to accept connections (a loaded CI machine is slow to start processes). */
const START_TIMEOUT_MS = 30_000;

/** Starting failed because another process took the port after it was picked: pick again. */
export class PortTakenError extends Error {}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/** True when a TCP listener could bind 127.0.0.1:port right now. */
export function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.unref();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

/**
 * Resolves once the server logs that it accepts connections. Its output is
 * drained for its whole life: a full pipe would block the server's logging.
 */
export function waitForRedisReady(proc: ChildProcess, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    let out = '';
    let waiting = true;
    const fail = (err: Error): void => {
      if (!waiting) return;
      waiting = false;
      clearTimeout(timer);
      reject(err);
    };
    const timer = setTimeout(() => fail(new Error(`${what} did not start within ${START_TIMEOUT_MS} ms: ${out}`)), START_TIMEOUT_MS);
    proc.stderr?.resume();
    proc.stdout?.on('data', (chunk: Buffer) => {
      if (!waiting) return;
      out += chunk.toString();
      if (out.includes('Ready to accept connections')) {
        waiting = false;
        clearTimeout(timer);
        resolve();
      }
    });
    proc.on('exit', (code) => {
      const message = `${what} exited with ${code}: ${out}`;
      fail(/Address already in use/.test(out) ? new PortTakenError(message) : new Error(message));
    });
    proc.on('error', (err) => {
      fail(new Error(`cannot start redis-server (is it installed? npm test installs it): ${err.message}`));
    });
  });
}

/** Sends SIGTERM and resolves once the process has exited (at once if it never started or already ended). */
export function stopProcess(proc: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (proc.pid === undefined || proc.exitCode !== null || proc.signalCode !== null) return resolve();
    proc.once('exit', () => resolve());
    proc.kill('SIGTERM');
  });
}

function portArgument(args: string[]): number | undefined {
  const at = args.lastIndexOf('--port');
  return at >= 0 && args[at + 1] !== undefined ? Number(args[at + 1]) : undefined;
}

async function startOn(port: number, extraArgs: string[]): Promise<RunningRedis> {
  const dir = mkdtempSync(join(tmpdir(), 'tollgate-redis-'));
  const proc = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, ...extraArgs],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const guard = stopWithOwner([proc.pid], [dir]);
  const stop = async (): Promise<void> => {
    if (proc.exitCode === null) proc.kill('SIGCONT'); // a frozen server cannot take the stop signal
    await stopProcess(proc);
    guard.cancel();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitForRedisReady(proc, `redis-server on ${port}`);
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    port, url: `redis://127.0.0.1:${port}`, stop,
    pause: () => proc.kill('SIGSTOP'), resume: () => proc.kill('SIGCONT'), kill: () => proc.kill('SIGKILL'),
  };
}

/** extraArgs may name a `--port` (a restart on the same port); a free one is picked otherwise. */
export async function startRedisServer(extraArgs: string[] = []): Promise<RunningRedis> {
  const fixed = portArgument(extraArgs);
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOn(fixed ?? (await freePort()), extraArgs);
    } catch (err) {
      // Another process bound the port between freePort() and the server's bind.
      if (err instanceof PortTakenError && fixed === undefined && attempt < 5) continue;
      throw err;
    }
  }
}
