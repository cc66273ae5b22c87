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
import { freePort, portFree, PortTakenError, stopProcess, waitForRedisReady } from './redis-server.js';
import { stopWithOwner, type Watchdog } from './watchdog.js';

const run = promisify(execFile);

/** Bounds redis-cli runs, so a wedged node fails the setup instead of hanging the test run. */
const CLI_TIMEOUT_MS = 60_000;

export interface RunningRedisCluster {
  /** "127.0.0.1:port" of each master. */
  nodes: string[];
  stop(): Promise<void>;
}

interface Node {
  proc: ChildProcess;
  guard: Watchdog;
}

async function startNode(port: number, dir: string): Promise<Node> {
  const proc = spawn(
    'redis-server',
    [
      '--port', String(port), '--bind', '127.0.0.1', '--cluster-enabled', 'yes',
      '--cluster-config-file', `nodes-${port}.conf`, '--cluster-node-timeout', '5000',
      '--save', '', '--appendonly', 'no', '--dir', dir,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  // Guarded from the start: a run killed while the cluster forms leaves no node behind.
  const node = { proc, guard: stopWithOwner([proc.pid], [dir]) };
  try {
    await waitForRedisReady(proc, `cluster node on ${port}`);
    return node;
  } catch (err) {
    await stopNode(node);
    throw err;
  }
}

async function stopNode(node: Node): Promise<void> {
  await stopProcess(node.proc);
  node.guard.cancel();
}

async function clusterOk(port: number): Promise<boolean> {
  const { stdout } = await run('redis-cli', ['-p', String(port), 'cluster', 'info'], { timeout: CLI_TIMEOUT_MS });
  return stdout.includes('cluster_state:ok');
}

/**
 * Free ports whose cluster bus port (port + 10000) is free as well: freePort()
 * knows nothing of the bus, and a node whose bus port is taken (by any socket,
 * a client connection's local port included) aborts at start.
 */
async function nodePorts(count: number): Promise<number[]> {
  const ports: number[] = [];
  while (ports.length < count) {
    const p = await freePort();
    const clash = ports.some((q) => q === p || q + 10_000 === p || p + 10_000 === q);
    if (p + 10_000 <= 65_535 && !clash && (await portFree(p + 10_000))) ports.push(p);
  }
  return ports;
}

async function startOnce(masters: number): Promise<RunningRedisCluster> {
  const dir = mkdtempSync(join(tmpdir(), 'tollgate-redis-cluster-'));
  const nodes: Node[] = [];
  const stop = async () => {
    await Promise.all(nodes.map(stopNode));
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const ports = await nodePorts(masters);
    for (const port of ports) nodes.push(await startNode(port, dir));
    const addresses = ports.map((p) => `127.0.0.1:${p}`);
    await run('redis-cli', ['--cluster', 'create', ...addresses, '--cluster-replicas', '0', '--cluster-yes'], { timeout: CLI_TIMEOUT_MS });
    const deadline = Date.now() + 20_000;
    for (;;) {
      const states = await Promise.all(ports.map(clusterOk));
      if (states.every(Boolean)) break;
      if (Date.now() > deadline) throw new Error(`Redis Cluster on ${addresses.join(', ')} did not reach cluster_state:ok`);
      await new Promise((r) => setTimeout(r, 100));
    }
    return { nodes: addresses, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

export async function startRedisCluster(masters = 3): Promise<RunningRedisCluster> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(masters);
    } catch (err) {
      // A port (or bus port) was taken by another process between the check and the bind.
      if (err instanceof PortTakenError && attempt < 5) continue;
      throw err;
    }
  }
}
