/**
 * Starts a throw-away three-master Redis Cluster on free loopback ports for
 * tests and benchmarks (redis-server --cluster-enabled, redis-cli --cluster
 * create), waits until every node reports cluster_state:ok, and stops it.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from './redis-server.js';

const run = promisify(execFile);

export interface RunningRedisCluster {
  /** "127.0.0.1:port" of each master. */
  nodes: string[];
  stop(): Promise<void>;
}

function startNode(port: number, dir: string): Promise<ChildProcess> {
  const proc = spawn(
    'redis-server',
    [
      '--port', String(port), '--bind', '127.0.0.1', '--cluster-enabled', 'yes',
      '--cluster-config-file', `nodes-${port}.conf`, '--cluster-node-timeout', '5000',
      '--save', '', '--appendonly', 'no', '--dir', dir,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`cluster node on ${port} did not start: ${out}`)), 10_000);
    proc.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes('Ready to accept connections')) {
        clearTimeout(timer);
        resolve(proc);
      }
    });
    proc.on('error', (err) => {
      clearTimeout(timer);
      reject(new Error(`cannot start redis-server (is it installed? npm test installs it): ${err.message}`));
    });
    proc.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`cluster node on ${port} exited with ${code}: ${out}`));
    });
  });
}

async function clusterOk(port: number): Promise<boolean> {
  const { stdout } = await run('redis-cli', ['-p', String(port), 'cluster', 'info']);
  return stdout.includes('cluster_state:ok');
}

function stopNode(proc: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (proc.exitCode !== null) return resolve();
    proc.once('exit', () => resolve());
    proc.kill('SIGTERM');
  });
}

/**
 * Stops the nodes if this process dies without calling stop() (a killed test
 * run), so no cluster outlives its owner.
 */
function watchdog(pids: number[], dir: string): ChildProcess {
  const script = `while kill -0 ${process.pid} 2>/dev/null; do sleep 1; done; kill ${pids.join(' ')} 2>/dev/null; rm -rf '${dir}'`;
  const proc = spawn('sh', ['-c', script], { detached: true, stdio: 'ignore' });
  proc.unref();
  return proc;
}

export async function startRedisCluster(masters = 3): Promise<RunningRedisCluster> {
  const dir = mkdtempSync(join(tmpdir(), 'tollgate-redis-cluster-'));
  const procs: ChildProcess[] = [];
  let guard: ChildProcess | undefined;
  const stop = async () => {
    guard?.kill('SIGTERM');
    await Promise.all(procs.map(stopNode));
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const ports: number[] = [];
    while (ports.length < masters) {
      const p = await freePort();
      // The cluster bus listens on port + 10000: keep both in range and distinct.
      if (p + 10_000 <= 65_535 && !ports.includes(p)) ports.push(p);
    }
    for (const port of ports) procs.push(await startNode(port, dir));
    guard = watchdog(procs.map((p) => p.pid!), dir);
    const nodes = ports.map((p) => `127.0.0.1:${p}`);
    await run('redis-cli', ['--cluster', 'create', ...nodes, '--cluster-replicas', '0', '--cluster-yes']);
    const deadline = Date.now() + 20_000;
    for (;;) {
      const states = await Promise.all(ports.map(clusterOk));
      if (states.every(Boolean)) break;
      if (Date.now() > deadline) throw new Error(`Redis Cluster on ${nodes.join(', ')} did not reach cluster_state:ok`);
      await new Promise((r) => setTimeout(r, 100));
    }
    return { nodes, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
