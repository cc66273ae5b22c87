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
  /** "127.0.0.1:port" of each master (as created). */
  nodes: string[];
  /** Kills one node at once (SIGKILL), as a crashed host would. */
  kill(address: string): void;
  stop(): Promise<void>;
}

export interface ClusterOptions {
  /** Replicas per master (default 0). */
  replicas?: number;
  /** cluster-node-timeout: how long a node may be silent before the others fail it over (default 5000). */
  nodeTimeoutMs?: number;
}

interface Node {
  port?: number;
  proc: ChildProcess;
  guard: Watchdog;
}

async function startNode(port: number, dir: string, nodeTimeoutMs: number): Promise<Node> {
  const proc = spawn(
    'redis-server',
    [
      '--port', String(port), '--bind', '127.0.0.1', '--cluster-enabled', 'yes',
      '--cluster-config-file', `nodes-${port}.conf`, '--cluster-node-timeout', String(nodeTimeoutMs),
      '--save', '', '--appendonly', 'no', '--dir', dir,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  // Guarded from the start: a run killed while the cluster forms leaves no node behind.
  const node = { port, proc, guard: stopWithOwner([proc.pid], [dir]) };
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

/** A master, or a replica whose link to its master is up (its data in sync). */
async function replicaSynced(port: number): Promise<boolean> {
  const { stdout } = await run('redis-cli', ['-p', String(port), 'info', 'replication'], { timeout: CLI_TIMEOUT_MS });
  return stdout.includes('role:master') || stdout.includes('master_link_status:up');
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

async function startOnce(masters: number, opts: ClusterOptions): Promise<RunningRedisCluster> {
  const replicas = opts.replicas ?? 0;
  const dir = mkdtempSync(join(tmpdir(), 'tollgate-redis-cluster-'));
  const nodes: Node[] = [];
  const stop = async () => {
    await Promise.all(nodes.map(stopNode));
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const ports = await nodePorts(masters * (1 + replicas));
    for (const port of ports) nodes.push(await startNode(port, dir, opts.nodeTimeoutMs ?? 5000));
    const addresses = ports.map((p) => `127.0.0.1:${p}`);
    await run('redis-cli', ['--cluster', 'create', ...addresses, '--cluster-replicas', String(replicas), '--cluster-yes'], { timeout: CLI_TIMEOUT_MS });
    const deadline = Date.now() + 20_000;
    for (;;) {
      const states = await Promise.all(ports.map(clusterOk));
      if (states.every(Boolean) && (replicas === 0 || (await Promise.all(ports.map(replicaSynced))).every(Boolean))) break;
      if (Date.now() > deadline) throw new Error(`Redis Cluster on ${addresses.join(', ')} did not reach cluster_state:ok`);
      await new Promise((r) => setTimeout(r, 100));
    }
    return {
      nodes: addresses.slice(0, masters),
      kill: (address) => nodes.find((n) => `127.0.0.1:${n.port}` === address)?.proc.kill('SIGKILL'),
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

export async function startRedisCluster(masters = 3, opts: ClusterOptions = {}): Promise<RunningRedisCluster> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(masters, opts);
    } catch (err) {
      // A port (or bus port) was taken by another process between the check and the bind.
      if (err instanceof PortTakenError && attempt < 5) continue;
      throw err;
    }
  }
}
