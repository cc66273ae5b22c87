/**
 * The PostgreSQL connection pool of the history store, from postgres.* in
 * the config: bounded connect and statement times, so a slow or stopped
 * PostgreSQL fails a write quickly and the records wait in Redis.
 */
import pg from 'pg';
import type { Config } from '../config/schema.js';

export type PgPool = pg.Pool;

export interface PgOptions {
  url: string;
  poolSize?: number;
  statementTimeoutMs?: number;
  connectTimeoutMs?: number;
}

// bigint (int8) and numeric come back as text by default; every caller turns them into safe integers itself.
export function createPgPool(opts: PgOptions): PgPool {
  const pool = new pg.Pool({
    connectionString: opts.url,
    max: opts.poolSize ?? 4,
    connectionTimeoutMillis: opts.connectTimeoutMs ?? 3000,
    statement_timeout: opts.statementTimeoutMs ?? 10_000,
    query_timeout: (opts.statementTimeoutMs ?? 10_000) + 1000,
    idleTimeoutMillis: 30_000,
    options: '-c TimeZone=UTC',
  });
  // An idle client's connection dropped (PostgreSQL restarted): the pool replaces it; nothing to do here.
  pool.on('error', () => {});
  return pool;
}

export function pgOptionsFromConfig(config: Config): PgOptions | undefined {
  const p = config.postgres;
  if (!p.url) return undefined;
  return { url: p.url, poolSize: p.poolSize, statementTimeoutMs: p.statementTimeoutMs, connectTimeoutMs: p.connectTimeoutMs };
}

/** The URL with its password hidden, for messages. */
export function pgTarget(url: string): string {
  return url.replace(/\/\/([^:@/]*):[^@/]*@/, '//$1:***@');
}

/**
 * A client of the pool for fn, given back after (destroyed when it broke). A
 * checked-out client whose server goes away emits 'error': without a listener
 * that would crash the process; the query in flight fails anyway.
 */
export async function withClient<T>(pool: PgPool, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  let broken: Error | undefined;
  const onError = (err: Error) => {
    broken = err;
  };
  client.on('error', onError);
  try {
    return await fn(client);
  } catch (err) {
    broken ??= err instanceof Error && /terminat|ECONNRESET|EPIPE|timeout/i.test(err.message) ? err : undefined;
    throw err;
  } finally {
    client.off('error', onError);
    client.release(broken);
  }
}
