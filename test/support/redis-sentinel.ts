/**
 * A throw-away Redis Sentinel group for tests: a master, one replica and
 * three sentinels (Debian's redis-sentinel, or redis-server --sentinel) on
 * free loopback ports, failing over within a few seconds of the master's death.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { freePort, startRedisServer, stopProcess, type RunningRedis } from './redis-server.js';
import { stopWithOwner } from './watchdog.js';

export const MASTER_NAME = 'tollgate-test';

export interface RunningSentinels {
  master: RunningRedis;
  replica: RunningRedis;
  /** "127.0.0.1:port" of each sentinel. */
  sentinels: string[];
  /** The master's "host:port" as the sentinels see it now. */
  currentMaster(): Promise<string>;
  stop(): Promise<void>;
}

function sentinelCommand(): [string, string[]] {
  return spawnSync('redis-sentinel', ['--version'], { stdio: 'ignore' }).error === undefined
    ? ['redis-sentinel', []]
    : ['redis-server', ['--sentinel']];
}

async function startSentinel(masterPort: number, dir: string): Promise<{ port: number; proc: ChildProcess }> {
  const port = await freePort();
  const file = join(dir, `sentinel-${port}.conf`);
  writeFileSync(
    file,
    [
      `port ${port}`, 'bind 127.0.0.1', `dir ${dir}`,
      `sentinel monitor ${MASTER_NAME} 127.0.0.1 ${masterPort} 2`,
      `sentinel down-after-milliseconds ${MASTER_NAME} 1000`,
      `sentinel failover-timeout ${MASTER_NAME} 5000`,
      `sentinel parallel-syncs ${MASTER_NAME} 1`,
      '',
    ].join('\n'),
  );
  const [cmd, extra] = sentinelCommand();
  const proc = spawn(cmd, [file, ...extra], { stdio: ['ignore', 'ignore', 'ignore'] });
  // A sentinel logs no "ready" line: it is up once it answers PING.
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`sentinel on ${port} exited with ${proc.exitCode}`);
    const r = new Redis({ host: '127.0.0.1', port, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    r.on('error', () => undefined);
    try {
      await r.connect();
      await r.ping();
      return { port, proc };
    } catch {
      if (Date.now() > deadline) throw new Error(`sentinel on ${port} did not answer`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    } finally {
      r.disconnect();
    }
  }
}

export async function startSentinels(): Promise<RunningSentinels> {
  const dir = mkdtempSync(join(tmpdir(), 'tollgate-sentinel-'));
  const master = await startRedisServer();
  const replica = await startRedisServer(['--replicaof', '127.0.0.1', String(master.port)]);
  const procs: ChildProcess[] = [];
  const guard = stopWithOwner([], [dir]);
  const guards: Array<{ cancel(): void }> = [];
  const stop = async (): Promise<void> => {
    await Promise.all(procs.map((p) => stopProcess(p)));
    for (const g of guards) g.cancel();
    await Promise.all([master.stop(), replica.stop()]);
    guard.cancel();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const started: Array<{ port: number; proc: ChildProcess }> = [];
    for (let i = 0; i < 3; i++) {
      const s = await startSentinel(master.port, dir);
      procs.push(s.proc);
      started.push(s);
      guards.push(stopWithOwner([s.proc.pid]));
    }
    const sentinels = started.map((s) => `127.0.0.1:${s.port}`);
    const ask = async (q: (r: Redis) => Promise<unknown>): Promise<unknown> => {
      const r = new Redis({ host: '127.0.0.1', port: started[0]!.port, lazyConnect: true, maxRetriesPerRequest: 1 });
      r.on('error', () => undefined);
      try {
        await r.connect();
        return await q(r);
      } finally {
        r.disconnect();
      }
    };
    // Ready once the replica is in sync and every sentinel knows the others and the replica.
    const replicaInfo = new Redis(replica.url, { maxRetriesPerRequest: 1 });
    replicaInfo.on('error', () => undefined);
    try {
      const syncDeadline = Date.now() + 30_000;
      while (!(await replicaInfo.info('replication')).includes('master_link_status:up')) {
        if (Date.now() > syncDeadline) throw new Error('the replica did not sync with its master');
        await new Promise((r) => setTimeout(r, 100));
      }
    } finally {
      replicaInfo.disconnect();
    }
    const deadline = Date.now() + 30_000;
    for (;;) {
      const info = (await ask((r) => r.call('SENTINEL', 'MASTER', MASTER_NAME))) as string[];
      const f: Record<string, string> = {};
      for (let i = 0; i + 1 < info.length; i += 2) f[info[i]!] = info[i + 1]!;
      if (f['num-other-sentinels'] === '2' && f['num-slaves'] === '1') break;
      if (Date.now() > deadline) throw new Error(`sentinels did not see the group: ${JSON.stringify(f)}`);
      await new Promise((r) => setTimeout(r, 200));
    }
    return {
      master,
      replica,
      sentinels,
      async currentMaster() {
        const [host, port] = (await ask((r) => r.call('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', MASTER_NAME))) as [string, string];
        return `${host}:${port}`;
      },
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
