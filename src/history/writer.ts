/**
 * The history writer: takes usage records and balance movements from the
 * history outbox in Redis, writes them to PostgreSQL in batches (one
 * transaction each, idempotent on primary keys) and only then acknowledges
 * and deletes them in Redis. PostgreSQL slow or down never touches a call:
 * entries wait in Redis, the writer backs off and catches up later.
 */
import type { HistoryOutbox, HistoryStreamEntry } from '../ledger/history-outbox.js';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics.js';
import { parseEntry, type BalanceRow, type UsageRow } from './entries.js';
import { forgetPartitions, writeBatch, type RejectRow } from './insert.js';
import { migrate } from './migrate.js';
import type { PgPool } from './pg.js';

export interface HistoryWriterOptions {
  outbox: HistoryOutbox;
  pool: PgPool;
  /** This instance's name in the consumer group. */
  consumer: string;
  logger: Logger;
  metrics?: Metrics;
  /** Entries per transaction. */
  batchSize?: number;
  pollMs?: number;
  /** Entries another consumer left pending this long are claimed (it died between commit and ack). */
  claimIdleMs?: number;
  /** Longest wait between attempts while PostgreSQL fails. */
  maxBackoffMs?: number;
  /** Run the migrations before the first write (start-up runs them too; this covers a PostgreSQL that was down then). */
  migrate?: boolean;
  /** Test seam: runs after COMMIT and before the acknowledgement. */
  afterCommit?: (entries: HistoryStreamEntry[]) => Promise<void> | void;
}

export interface HistoryWriter {
  /** One batch now: resolves to the entries written (0 when none waited or PostgreSQL failed). */
  runOnce(): Promise<number>;
  /** Writes until nothing waits (or until PostgreSQL fails); resolves to the entries written. */
  drain(): Promise<number>;
  stop(): Promise<void>;
}

const CLAIM_EVERY = 10;

export function startHistoryWriter(opts: HistoryWriterOptions, autoStart = true): HistoryWriter {
  const { outbox, pool, logger, metrics } = opts;
  const batchSize = opts.batchSize ?? 500;
  const pollMs = opts.pollMs ?? 500;
  const claimIdleMs = opts.claimIdleMs ?? 30_000;
  const maxBackoffMs = opts.maxBackoffMs ?? 30_000;
  let migrated = opts.migrate !== true;
  let failures = 0;
  let passes = 0;
  let claimAgain = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<number> | undefined;
  let stopped = false;
  let lastErrorLog = 0;

  async function observeBacklog(): Promise<void> {
    if (!metrics) return;
    const b = await outbox.backlog();
    metrics.historyPending.set(b.entries);
    metrics.historyOldestAge.set(b.oldestMs === undefined ? 0 : Math.max(0, (Date.now() - b.oldestMs) / 1000));
  }

  async function pass(): Promise<number> {
    passes++;
    if (!migrated) {
      await migrate(pool);
      migrated = true;
    }
    // A claim that filled the batch may have left more: claim again next pass.
    const claim = claimAgain || passes % CLAIM_EVERY === 1;
    const entries = await outbox.read(opts.consumer, { count: batchSize, ...(claim ? { claimIdleMs } : {}) });
    claimAgain = claim && entries.length >= batchSize;
    if (entries.length === 0) return 0;
    const usage: UsageRow[] = [];
    const balance: BalanceRow[] = [];
    const rejects: RejectRow[] = [];
    for (const entry of entries) {
      if (Object.keys(entry.fields).length === 0) continue; // deleted already: only the ack is left
      try {
        const parsed = parseEntry(entry.fields);
        if (parsed.usage) usage.push(parsed.usage);
        if (parsed.balance) balance.push(parsed.balance);
      } catch (err) {
        // Kept whole in PostgreSQL rather than blocking every entry behind it, or being lost.
        rejects.push({ slot: entry.slot, streamId: entry.id, fields: entry.fields, problem: err instanceof Error ? err.message : String(err) });
        logger.error({ slot: entry.slot, id: entry.id, err }, 'history entry not readable; kept in history_rejects');
      }
    }
    await writeBatch(pool, usage, balance, rejects);
    await opts.afterCommit?.(entries);
    await outbox.ack(entries);
    metrics?.historyWritten.inc(entries.length);
    return entries.length;
  }

  function runOnce(): Promise<number> {
    running ??= pass()
      .then((n) => {
        if (failures > 0) logger.info({ failures }, 'history writer: PostgreSQL writes work again');
        failures = 0;
        return n;
      })
      .catch((err: unknown) => {
        failures++;
        metrics?.historyWriteErrors.inc();
        forgetPartitions(pool);
        // The same outage says the same thing every pass: once a minute is enough.
        if (Date.now() - lastErrorLog > 60_000) {
          lastErrorLog = Date.now();
          logger.warn({ err, failures }, 'history writer: batch not written; its entries wait in Redis');
        }
        return 0;
      })
      .finally(() => {
        running = undefined;
      });
    return running;
  }

  async function drain(): Promise<number> {
    let total = 0;
    for (;;) {
      const before = failures;
      const n = await runOnce();
      total += n;
      if (n === 0 || failures > before) return total;
    }
  }

  function schedule(): void {
    if (stopped) return;
    const delay = failures === 0 ? pollMs : Math.min(maxBackoffMs, pollMs * 2 ** Math.min(failures, 10));
    timer = setTimeout(async () => {
      timer = undefined;
      // A full batch means more is waiting: go on at once.
      let n: number;
      do {
        n = await runOnce();
      } while (!stopped && n >= batchSize && failures === 0);
      await observeBacklog().catch(() => {});
      schedule();
    }, delay);
    timer.unref?.();
  }
  if (autoStart) schedule();

  return {
    runOnce,
    drain,
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      timer = undefined;
      await running;
    },
  };
}
