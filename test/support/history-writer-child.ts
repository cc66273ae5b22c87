/**
 * A history writer in a process of its own, for the kill test: it writes one
 * batch, says "committed N" on stdout after COMMIT and then waits (before its
 * acknowledgement) until it is killed.
 * argv: redisUrl keyPrefix postgresUrl batchSize consumer
 */
import pino from 'pino';
import { createLedger } from '../../src/ledger/redis-ledger.js';
import { createPgPool } from '../../src/history/pg.js';
import { startHistoryWriter } from '../../src/history/writer.js';

const [redisUrl, keyPrefix, postgresUrl, batch, consumer] = process.argv.slice(2) as [string, string, string, string, string];
const ledger = createLedger({
  url: redisUrl, keyPrefix, leaseSeconds: 30, sliceSeconds: 60, usageRetentionDays: 400, plans: [], dialOutMinutesPerLicence: 60, history: true,
});
const pool = createPgPool({ url: postgresUrl });
const writer = startHistoryWriter({
  outbox: ledger.historyOutbox,
  pool,
  consumer,
  logger: pino({ level: 'silent' }),
  batchSize: Number(batch),
  afterCommit: async (entries) => {
    process.stdout.write(`committed ${entries.length}\n`);
    await new Promise(() => {}); // killed here: after COMMIT, before XACK/XDEL
  },
}, false);
void writer.runOnce();
