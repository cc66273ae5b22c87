/**
 * The ledger's Redis connection: a single Redis or a Redis Cluster, with
 * bounded waits everywhere, and the guard that turns a slow or failed Redis
 * into LedgerUnavailableError so callers fail closed.
 */
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
}

export function connectRedis(opts: RedisConnectionOptions): Redis | Cluster {
  const connectTimeout = opts.connectTimeoutMs ?? 2000;
  const commandTimeout = opts.commandTimeoutMs ?? 1000;
  if (opts.clusterNodes && opts.clusterNodes.length > 0) {
    const nodes = opts.clusterNodes.map((n) => {
      const at = n.lastIndexOf(':');
      return { host: n.slice(0, at), port: Number(n.slice(at + 1)) };
    });
    return new Cluster(nodes, {
      enableOfflineQueue: false,
      clusterRetryStrategy: (times) => Math.min(100 * times, 2000),
      slotsRefreshTimeout: connectTimeout,
      retryDelayOnFailover: 100,
      retryDelayOnClusterDown: 100,
      redisOptions: { connectTimeout, commandTimeout, maxRetriesPerRequest: 1 },
    });
  }
  return new Redis(opts.url ?? 'redis://127.0.0.1:6379', {
    connectTimeout,
    commandTimeout,
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
    private readonly opts: { connectTimeoutMs: number; operationTimeoutMs: number; metrics?: Metrics; logger?: Logger },
  ) {
    this.everReady = client.status === 'ready';
    client.on('ready', () => {
      this.everReady = true;
    });
    client.on('error', (err: Error) => opts.logger?.warn({ err: err.message }, 'redis connection error'));
  }

  /** Runs one Redis step of a ledger operation within the time bound, with typed failures. */
  async run<T>(operation: string, fn: () => Promise<T>): Promise<T> {
    try {
      await this.ready();
      return await this.withDeadline(operation, fn());
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
