/**
 * The history store (PostgreSQL) as the process uses it: the pool, the
 * migrations at start, the writer, and the reads the API and CLI serve.
 * PostgreSQL out of reach at start-up does not stop the gateway: the writer
 * migrates once it can, and records wait in Redis meanwhile.
 */
import type { Config } from '../config/schema.js';
import type { RedisLedger } from '../ledger/redis-ledger.js';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics.js';
import { migrate } from './migrate.js';
import { createPgPool, pgOptionsFromConfig, pgTarget, type PgPool } from './pg.js';
import { dailySpend, statement, usageFromPostgres } from './store.js';
import { startHistoryWriter, type HistoryWriter } from './writer.js';

export interface HistoryStore {
  readonly pool: PgPool;
  usage: (tenantId: string, fromMs: number, toMs: number) => AsyncIterable<import('../domain.js').UsageRecord>;
  statement: (tenantId: string, month: string, currency: string) => ReturnType<typeof statement>;
  dailySpend: (tenantId: string, fromMs: number, toMs: number) => ReturnType<typeof dailySpend>;
  close(): Promise<void>;
}

export function historyStore(pool: PgPool): HistoryStore {
  return {
    pool,
    usage: (t, from, to) => usageFromPostgres(pool, t, from, to),
    statement: (t, month, currency) => statement(pool, t, month, currency),
    dailySpend: (t, from, to) => dailySpend(pool, t, from, to),
    close: () => pool.end(),
  };
}

export interface RunningHistory extends HistoryStore {
  writer: HistoryWriter;
}

/** The store and its writer for a gateway, or undefined when postgres.url is not set. */
export async function startHistory(config: Config, ledger: RedisLedger, logger: Logger, metrics: Metrics): Promise<RunningHistory | undefined> {
  const opts = pgOptionsFromConfig(config);
  if (!opts) return undefined;
  const log = logger.child({ component: 'history' });
  const pool = createPgPool(opts);
  let migrated = false;
  try {
    const r = await migrate(pool);
    migrated = true;
    log.info({ postgres: pgTarget(opts.url), schema: r.current, applied: r.applied.map((a) => a.version) }, 'history store ready');
  } catch (err) {
    log.error({ err, postgres: pgTarget(opts.url) }, 'PostgreSQL not ready; usage and balance history wait in Redis until it is');
  }
  const writer = startHistoryWriter({
    outbox: ledger.historyOutbox,
    pool,
    consumer: config.instanceId ?? 'tollgate',
    logger: log,
    metrics,
    batchSize: config.postgres.batchSize,
    pollMs: config.postgres.pollMs,
    migrate: !migrated,
  });
  const store = historyStore(pool);
  return {
    ...store,
    writer,
    async close() {
      await writer.stop();
      await pool.end();
    },
  };
}
