/**
 * The ledger's Redis connection: a single Redis, a Redis Sentinel group or a
 * Redis Cluster, one code path above it; bounded waits everywhere; the guard
 * that turns a slow or failed Redis into LedgerUnavailableError so callers
 * fail closed, and that acknowledges a money change only once a replica has it.
 */
import { performance } from 'node:perf_hooks';
import { Cluster, Redis } from 'ioredis';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics.js';
import { LedgerError } from './errors.js';
import { LedgerUnavailableError } from './types.js';

export interface RedisConnectionOptions {
  /** redis:// or rediss:// URL of a single Redis. */
  url?: string;
  /** Seed nodes ("host:port") of a Redis Cluster; when set, url is ignored. */
  clusterNodes?: string[];
  connectTimeoutMs?: number;
  commandTimeoutMs?: number;
  /** Redis Sentinel: "host:port" of each sentinel and the master's name; when set, url and clusterNodes are ignored. */
  sentinels?: string[];
  masterName?: string;
  password?: string;
  sentinelPassword?: string;
  /** TLS to the servers (and sentinels) in Sentinel and Cluster modes. */
  tls?: boolean;
  /** Commands issued in the same event-loop turn are written to Redis together (default false; single Redis and Sentinel). */
  autoPipelining?: boolean;
}

function hostPort(n: string): { host: string; port: number } {
  const at = n.lastIndexOf(':');
  return { host: n.slice(0, at), port: Number(n.slice(at + 1)) };
}

export function connectRedis(opts: RedisConnectionOptions): Redis | Cluster {
  const connectTimeout = opts.connectTimeoutMs ?? 2000;
  const commandTimeout = opts.commandTimeoutMs ?? 1000;
  const enableAutoPipelining = opts.autoPipelining ?? false;
  const auth = { ...(opts.password ? { password: opts.password } : {}), ...(opts.tls ? { tls: {} } : {}) };
  if (opts.sentinels && opts.sentinels.length > 0) {
    return new Redis({
      sentinels: opts.sentinels.map(hostPort),
      name: opts.masterName ?? 'mymaster',
      ...auth,
      ...(opts.sentinelPassword ? { sentinelPassword: opts.sentinelPassword } : {}),
      ...(opts.tls ? { enableTLSForSentinelMode: true } : {}),
      // Told by the sentinels of a new master at once, not only when the old one stops answering.
      failoverDetector: true,
      connectTimeout,
      commandTimeout,
      enableAutoPipelining,
      maxRetriesPerRequest: 1,
      enableOfflineQueue: false,
      retryStrategy: (times) => Math.min(50 * times, 1000),
      sentinelRetryStrategy: (times) => Math.min(100 * times, 1000),
    });
  }
  if (opts.clusterNodes && opts.clusterNodes.length > 0) {
    const nodes = opts.clusterNodes.map(hostPort);
    // No auto-pipelining on a Cluster: ioredis refuses a pipeline whose commands' keys map to
    // different slot groups, and the scripts of one turn name many tenants.
    return new Cluster(nodes, {
      enableOfflineQueue: false,
      clusterRetryStrategy: (times) => Math.min(100 * times, 2000),
      slotsRefreshTimeout: connectTimeout,
      retryDelayOnFailover: 100,
      retryDelayOnClusterDown: 100,
      redisOptions: { connectTimeout, commandTimeout, maxRetriesPerRequest: 1, ...auth },
    });
  }
  return new Redis(opts.url ?? 'redis://127.0.0.1:6379', {
    ...(opts.password ? { password: opts.password } : {}),
    connectTimeout,
    commandTimeout,
    enableAutoPipelining,
    maxRetriesPerRequest: 1,
    // Commands never wait in a queue for a connection that may not come back.
    enableOfflineQueue: false,
    retryStrategy: (times) => Math.min(50 * times, 1000),
  });
}

/**
 * Runs a pipeline and returns each command's result, throwing the first
 * command error (exec itself resolves with per-command errors).
 */
export async function execPipeline(pipeline: ReturnType<Redis['pipeline']>): Promise<unknown[]> {
  const results = await pipeline.exec();
  if (!results) throw new Error('the pipeline was discarded');
  return results.map(([err, value]) => {
    if (err) throw err;
    return value;
  });
}

/** Reply errors that mean "not now" rather than "wrong request". */
const TRANSIENT_REPLY = /^(LOADING|CLUSTERDOWN|TRYAGAIN|MASTERDOWN|READONLY|BUSY|NOREPLICAS)\b/;

export class RedisGuard {
  private everReady: boolean;
  private firstReady: Promise<void> | undefined;

  constructor(
    private readonly client: Redis | Cluster,
    private readonly opts: {
      connectTimeoutMs: number;
      operationTimeoutMs: number;
      metrics?: Metrics;
      logger?: Logger;
      /** Replicas a money change must reach before it is acknowledged; undefined: 1 when the master has one. */
      minReplicasAcked?: number;
      replicaAckTimeoutMs?: number;
    },
  ) {
    this.everReady = client.status === 'ready';
    client.on('ready', () => {
      this.everReady = true;
      this.noteMasters();
    });
    // A Cluster's masters change at a failover (a replica promoted): seen at the next slot refresh.
    client.on('refresh', () => this.noteMasters());
    client.on('error', (err: Error) => opts.logger?.warn({ err: err.message }, 'redis connection error'));
  }

  /** Runs one Redis step of a ledger operation within the time bound, with typed failures. */
  async run<T>(operation: string, fn: () => Promise<T>): Promise<T> {
    try {
      // Connected (the usual case): no wait to make.
      if (this.client.status !== 'ready') await this.ready();
      const histogram = this.durationOf(operation);
      const started = histogram ? performance.now() : 0;
      try {
        return await this.withDeadline(operation, fn());
      } finally {
        histogram?.observe((performance.now() - started) / 1000);
      }
    } catch (err) {
      if (err instanceof LedgerError) throw err;
      this.opts.metrics?.redisErrors.inc({ operation });
      if (err instanceof LedgerUnavailableError) throw err;
      const message = err instanceof Error ? err.message : String(err);
      if (err instanceof Error && err.name === 'ReplyError' && !TRANSIENT_REPLY.test(message)) {
        throw new LedgerError('SCRIPT_FAILED', `${operation}: Redis refused the command: ${message}`);
      }
      throw new LedgerUnavailableError(`${operation}: Redis is unavailable (${message})`);
    }
  }

  private masters = '';
  /** The duration histogram's child per operation, looked up once (a call makes three steps). */
  private readonly durations = new Map<string, { observe(seconds: number): void }>();

  private durationOf(operation: string): { observe(seconds: number): void } | undefined {
    const metric = this.opts.metrics?.redisDuration;
    if (!metric) return undefined;
    let child = this.durations.get(operation);
    if (!child) {
      child = metric.labels({ operation });
      this.durations.set(operation, child);
    }
    return child;
  }

  /** Counts a failover when the master(s) this client talks to changed since it last looked. */
  private noteMasters(): void {
    const client = this.client;
    let now: string;
    if (client instanceof Cluster) {
      now = client.nodes('master').map((n) => `${n.options.host}:${n.options.port}`).sort().join(',');
    } else {
      const stream = (client as unknown as { stream?: { remoteAddress?: string; remotePort?: number } }).stream;
      now = stream?.remotePort ? `${stream.remoteAddress}:${stream.remotePort}` : '';
    }
    if (!now) return;
    if (this.masters && this.masters !== now) {
      this.opts.metrics?.redisFailovers.inc();
      this.opts.logger?.warn({ before: this.masters, now }, 'the Redis master changed (failover)');
    }
    this.masters = now;
  }

  /** Replica counts of each master, asked at most every 10 s. */
  private readonly replicas = new Map<Redis, { count: number; atMs: number }>();

  /** The replica count asked within the last 10 s, or undefined. */
  private knownReplicas(node: Redis): number | undefined {
    const known = this.replicas.get(node);
    return known && Date.now() - known.atMs < 10_000 ? known.count : undefined;
  }

  private async replicasOf(node: Redis): Promise<number> {
    const known = this.knownReplicas(node);
    if (known !== undefined) return known;
    const info = await node.info('replication');
    const count = Number(/connected_slaves:(\d+)/.exec(info)?.[1] ?? 0);
    this.replicas.set(node, { count, atMs: Date.now() });
    return count;
  }

  /** The connection that carries the keys of a cluster slot (the client itself outside a Cluster). */
  private nodeFor(slot: number): Redis | undefined {
    const client = this.client;
    if (!(client instanceof Cluster)) return client;
    const key = client.slots[slot]?.[0];
    const pool = (client as unknown as { connectionPool?: { getInstanceByKey(k: string): Redis | undefined } }).connectionPool;
    return key ? pool?.getInstanceByKey(key) : undefined;
  }

  /**
   * Acknowledges a money change only once enough replicas have it (WAIT on
   * the connection that wrote it, bounded): a failover then cannot lose what
   * a caller was told. A change no replica confirmed in time fails as
   * unavailable; every money script is idempotent, so the caller's retry is safe.
   */
  async replicated(operation: string, slot: number): Promise<void> {
    const node = this.nodeFor(slot);
    if (!node) throw new LedgerUnavailableError(`${operation}: no Redis master is known for slot ${slot}`);
    // Known (the usual case): no Redis step, so no timer and no promise of its own.
    const needed = this.opts.minReplicasAcked ?? Math.min(1, this.knownReplicas(node) ?? (await this.run(operation, () => this.replicasOf(node))));
    if (needed === 0) return;
    const timeoutMs = this.opts.replicaAckTimeoutMs ?? 500;
    const started = performance.now();
    const acked = Number(await this.run(operation, () => node.call('WAIT', needed, timeoutMs)));
    this.opts.metrics?.replicaAckSeconds.observe((performance.now() - started) / 1000);
    if (acked >= needed) {
      this.opts.metrics?.replicaAcks.inc({ outcome: 'acked' });
      return;
    }
    this.opts.metrics?.replicaAcks.inc({ outcome: 'timeout' });
    this.replicas.delete(node);
    throw new LedgerUnavailableError(
      `${operation}: ${acked} of ${needed} replica(s) confirmed the change within ${timeoutMs} ms, so a failover could lose it; retry (the operation is idempotent)`,
    );
  }

  /**
   * Waits for the first connection up to connectTimeoutMs; once the client has
   * been ready, a lost connection fails at once instead of queueing.
   */
  async ready(): Promise<void> {
    const client = this.client;
    if (client.status === 'ready') return;
    if (client.status === 'end' || client.status === 'close') {
      throw new LedgerUnavailableError(`Redis connection is ${client.status}`);
    }
    if (this.everReady) throw new LedgerUnavailableError(`Redis connection is down (${client.status})`);
    // Every operation waiting for the first connection shares one wait (one 'ready' listener, one timer).
    this.firstReady ??= this.waitForFirstReady().finally(() => {
      this.firstReady = undefined;
    });
    return this.firstReady;
  }

  private waitForFirstReady(): Promise<void> {
    const client = this.client;
    if (client.status === 'wait') client.connect().catch(() => undefined);
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        client.off('ready', onReady);
        reject(new LedgerUnavailableError(`Redis did not answer within ${this.opts.connectTimeoutMs} ms (${client.status})`));
      }, this.opts.connectTimeoutMs);
      timer.unref();
      const onReady = () => {
        clearTimeout(timer);
        resolve();
      };
      client.once('ready', onReady);
    });
  }

  private withDeadline<T>(operation: string, work: Promise<T>): Promise<T> {
    const ms = this.opts.operationTimeoutMs;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new LedgerUnavailableError(`${operation}: Redis did not answer within ${ms} ms`)),
        ms,
      );
      timer.unref();
      work.then(
        (v) => {
          clearTimeout(timer);
          resolve(v);
        },
        (e: unknown) => {
          clearTimeout(timer);
          reject(e);
        },
      );
    });
  }
}

/**
 * One timed PING: what readiness means. The connection status alone stays
 * "ready" while a hung Redis (SIGSTOP, a stuck disk) answers nothing.
 */
export async function pingRedis(client: Redis | Cluster, timeoutMs: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new LedgerUnavailableError(`Redis did not answer PING within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    await Promise.race([client.ping(), deadline]);
  } catch (err) {
    if (err instanceof LedgerUnavailableError) throw err;
    throw new LedgerUnavailableError(`Redis did not answer PING: ${err instanceof Error ? err.message : String(err)}`);
  } finally {
    clearTimeout(timer);
  }
}
