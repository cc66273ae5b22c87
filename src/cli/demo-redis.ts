/**
 * The demo's own redis-server: one per data directory (a lock file says whose
 * it is), started in a process group of its own so a Ctrl-C meant for the
 * gateway does not reach it, stopped by the demo after the gateway's drain,
 * and by a watcher if the demo dies without stopping it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, openSync, readFileSync, rmSync, writeSync, closeSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';

export class DemoLockError extends Error {}

interface LockContent {
  pid: number;
  redisPid?: number;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Only a process that really is a redis-server is stopped on a stale lock's word (pids are reused). */
function isRedisServer(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('redis-server');
  } catch {
    return false;
  }
}

export interface DemoLock {
  recordRedis(pid: number): void;
  release(): void;
}

/**
 * Takes dataDir for this process. A lock whose demo is gone is stale: the
 * redis-server it names (left by a killed demo) is stopped, and the lock taken.
 */
export async function lockDemoData(dataDir: string): Promise<DemoLock> {
  mkdirSync(dataDir, { recursive: true });
  const path = join(dataDir, 'tollgate-demo.lock');
  for (let attempt = 0; attempt < 3; attempt++) {
    let fd: number;
    try {
      fd = openSync(path, 'wx');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      let held: LockContent | undefined;
      try {
        held = JSON.parse(readFileSync(path, 'utf8')) as LockContent;
      } catch {
        held = undefined; // half-written by a demo that died at that moment: stale
      }
      if (held && held.pid !== process.pid && alive(held.pid)) {
        throw new DemoLockError(
          `another tollgate demo (pid ${held.pid}) is using ${dataDir}; stop it first (Ctrl-C), ` +
            'or give this one --data-dir DIR or REDIS_URL',
        );
      }
      if (held?.redisPid && alive(held.redisPid) && isRedisServer(held.redisPid)) {
        process.kill(held.redisPid, 'SIGTERM');
        for (let i = 0; i < 100 && alive(held.redisPid); i++) await new Promise((r) => setTimeout(r, 100));
      }
      rmSync(path, { force: true });
      continue;
    }
    const content: LockContent = { pid: process.pid };
    writeSync(fd, JSON.stringify(content));
    closeSync(fd);
    return {
      recordRedis(pid) {
        content.redisPid = pid;
        writeFileSync(path, JSON.stringify(content));
      },
      release() {
        rmSync(path, { force: true });
      },
    };
  }
  throw new DemoLockError(`cannot take the lock ${path}`);
}

async function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const srv = createServer();
    srv.on('error', fail);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => done(typeof addr === 'object' && addr ? addr.port : 0));
    });
  });
}

/** Stops pid once this process is gone (SIGKILL, a crash): a detached child would outlive us otherwise. */
function stopWithThisProcess(pid: number): { cancel(): void } {
  const script = `while kill -0 ${process.pid} 2>/dev/null; do sleep 1; done; kill ${pid} 2>/dev/null`;
  const watcher = spawn('sh', ['-c', script], { detached: true, stdio: 'ignore' });
  watcher.unref();
  return {
    cancel() {
      if (watcher.exitCode === null && watcher.signalCode === null) watcher.kill('SIGTERM');
    },
  };
}

export interface DemoRedis {
  url: string;
  pid: number;
  /** SIGTERM (Redis writes its AOF and exits), SIGKILL after 10 s; resolves once it has exited. */
  stop(): Promise<void>;
}

/** Starts redis-server on a free loopback port with AOF, as production should run it. */
export async function startDemoRedis(dataDir: string): Promise<DemoRedis> {
  const port = await freePort();
  mkdirSync(dataDir, { recursive: true });
  const proc: ChildProcess = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--dir', dataDir, '--appendonly', 'yes', '--appendfsync', 'everysec', '--save', ''],
    // Its own process group: the terminal's Ctrl-C goes to the gateway, which drains calls before Redis stops.
    { stdio: ['ignore', 'pipe', 'inherit'], detached: true },
  );
  const exited = new Promise<void>((done) => proc.once('exit', () => done()));
  const watcher = proc.pid ? stopWithThisProcess(proc.pid) : undefined;
  await new Promise<void>((ready, fail) => {
    let out = '';
    const timer = setTimeout(() => fail(new Error(`redis-server did not start: ${out.slice(-500)}`)), 15_000);
    proc.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes('Ready to accept connections')) {
        clearTimeout(timer);
        proc.stdout?.removeAllListeners('data');
        proc.stdout?.resume();
        ready();
      }
    });
    proc.on('error', (err) => {
      clearTimeout(timer);
      fail(new Error(`cannot start redis-server (${err.message}); install it (Debian: apt-get install redis-server) or set REDIS_URL`));
    });
    proc.on('exit', (code) => {
      clearTimeout(timer);
      fail(new Error(`redis-server exited with code ${code}: ${out.slice(-500)}`));
    });
  }).catch((err: unknown) => {
    watcher?.cancel();
    proc.kill('SIGKILL');
    throw err;
  });
  return {
    url: `redis://127.0.0.1:${port}`,
    pid: proc.pid!,
    async stop() {
      if (proc.exitCode === null && proc.signalCode === null) {
        proc.kill('SIGTERM');
        const killer = setTimeout(() => proc.kill('SIGKILL'), 10_000);
        await exited;
        clearTimeout(killer);
      }
      watcher?.cancel();
    },
  };
}
