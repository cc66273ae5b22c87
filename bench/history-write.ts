/**
 * History write benchmark: a fresh redis-server and PostgreSQL; N settled
 * calls (default 100,000, each a usage record and a charge) and their
 * top-ups fill the history outbox; prints the history writer's rate into
 * PostgreSQL (read from Redis, one transaction per batch, acknowledged and
 * deleted after COMMIT) beside a plain batched insert of the same rows
 * (the same multi-row INSERT … SELECT FROM unnest, no Redis) into a second
 * database in the same run, and the usage export's rate from PostgreSQL.
 *   npx tsx bench/history-write.ts [--calls 100000] [--batch 500] [--tenants 50]
 */
import { randomUUID } from 'node:crypto';
import { Writable, Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { parseArgs } from 'node:util';
import pino from 'pino';
import { createLedger } from '../src/ledger/index.js';
import { parseEntry, type BalanceRow, type UsageRow } from '../src/history/entries.js';
import { ensurePartitions, insertBalance, insertUsage } from '../src/history/insert.js';
import { migrate } from '../src/history/migrate.js';
import { createPgPool } from '../src/history/pg.js';
import { usageFromPostgres } from '../src/history/store.js';
import { startHistoryWriter } from '../src/history/writer.js';
import { usageCsv } from '../src/usage/csv.js';
import { startRedisServer } from '../test/support/redis-server.js';
import { startPostgres } from '../test/support/postgres-server.js';

const { values } = parseArgs({ options: {
  calls: { type: 'string', default: '100000' }, batch: { type: 'string', default: '500' }, tenants: { type: 'string', default: '50' },
} });
const calls = Number(values.calls);
const batch = Number(values.batch);
const tenants = Array.from({ length: Number(values.tenants) }, (_, i) => `b${i}`);
const T0 = Date.now() - 3_600_000;

const redis = await startRedisServer();
const pg = await startPostgres();
const ledger = createLedger({
  url: redis.url, keyPrefix: 'bench', leaseSeconds: 30, sliceSeconds: 60, usageRetentionDays: 400, plans: [], dialOutMinutesPerLicence: 60,
  connectTimeoutMs: 5000, commandTimeoutMs: 10_000, history: true, instanceId: 'bench',
});
const admin = createPgPool({ url: pg.url });
await admin.query('CREATE DATABASE writer_db');
await admin.query('CREATE DATABASE plain_db');
await admin.end();
const writerPool = createPgPool({ url: pg.url.replace(/\/postgres$/, '/writer_db'), poolSize: 4, statementTimeoutMs: 120_000 });
const plainPool = createPgPool({ url: pg.url.replace(/\/postgres$/, '/plain_db'), poolSize: 4, statementTimeoutMs: 120_000 });
await migrate(writerPool);
await migrate(plainPool);

try {
  for (const t of tenants) {
    await ledger.putTenant({ id: t, name: t, currency: 'EUR', country: 'DE', creditLimit: 0 });
    await ledger.topUp(t, 'bench-funds', 900_000_000_000, Date.now());
  }
  let made = 0;
  const fillStart = performance.now();
  await Promise.all(Array.from({ length: 64 }, async () => {
    while (made < calls) {
      const n = made++;
      const t = tenants[n % tenants.length]!;
      const callId = randomUUID();
      const start = T0 + (n % 3_000_000);
      const held = await ledger.hold({
        tenantId: t, callId, sources: [{ kind: 'credits' }], requirePositiveBalance: false, nowMs: Date.now(),
        rate: { currency: 'EUR', pricePerMinute: 100_000, connectFee: 0, initialIncrement: 60, subsequentIncrement: 60 },
        draft: { tenantId: t, callId, callType: 'user_out', callDirection: 'outbound', destinationDialed: '+4930123456', destinationNumber: '+4930123456', currency: 'EUR' },
      });
      if (!held.ok) throw new Error(`hold refused: ${held.refusal}`);
      await ledger.answer(t, callId, start, Date.now());
      await ledger.settle(t, callId, start + 45_000, 'caller_hangup', { nowMs: Date.now() });
    }
  }));
  const fillSeconds = (performance.now() - fillStart) / 1000;
  const backlog = await ledger.historyOutbox.backlog();
  console.log(`history outbox: ${backlog.entries} entries from ${calls} calls (${Math.round(calls / fillSeconds)} calls/s through hold+answer+settle)`);

  // The same rows, parsed once, for the plain insert.
  const usage: UsageRow[] = [];
  const balance: BalanceRow[] = [];
  for (const t of tenants) {
    for (const e of await ledger.historyOutbox.pendingOf(t)) {
      const p = parseEntry(e.fields);
      if (p.usage) usage.push(p.usage);
      if (p.balance) balance.push(p.balance);
    }
  }

  const writer = startHistoryWriter({ outbox: ledger.historyOutbox, pool: writerPool, consumer: 'bench', logger: pino({ level: 'silent' }), batchSize: batch }, false);
  const wStart = performance.now();
  const written = await writer.drain();
  const wSeconds = (performance.now() - wStart) / 1000;
  await writer.stop();
  const left = (await ledger.historyOutbox.backlog()).entries;
  console.log(`history writer: ${written} entries (${usage.length} usage records + ${balance.length} journal entries) in ${wSeconds.toFixed(2)} s = ` +
    `${Math.round(written / wSeconds)} entries/s, ${Math.round((usage.length + balance.length) / wSeconds)} rows/s; batch ${batch}; left in Redis: ${left}`);

  const pStart = performance.now();
  await ensurePartitions(plainPool, usage, balance);
  for (let i = 0; i < Math.max(usage.length, balance.length); i += batch) {
    const client = await plainPool.connect();
    try {
      await client.query('BEGIN');
      await insertUsage(client, usage.slice(i, i + batch));
      await insertBalance(client, balance.slice(i, i + batch));
      await client.query('COMMIT');
    } finally {
      client.release();
    }
  }
  const pSeconds = (performance.now() - pStart) / 1000;
  console.log(`plain batched insert (same rows, same SQL, no Redis): ${usage.length + balance.length} rows in ${pSeconds.toFixed(2)} s = ` +
    `${Math.round((usage.length + balance.length) / pSeconds)} rows/s; the writer runs at ${((pSeconds / wSeconds) * 100).toFixed(0)} % of it`);

  let rows = 0;
  const eStart = performance.now();
  for (const t of tenants) {
    await pipeline(Readable.from(usageCsv(usageFromPostgres(writerPool, t, 0, Date.now() + 86_400_000))), new Writable({
      write(chunk: Buffer | string, _e, done) {
        const text = chunk.toString();
        for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) rows++;
        done();
      },
    }));
  }
  const eSeconds = (performance.now() - eStart) / 1000;
  rows -= tenants.length; // header lines
  console.log(`usage export from PostgreSQL (cursor, CSV): ${rows} rows in ${eSeconds.toFixed(2)} s = ${Math.round(rows / eSeconds)} rows/s`);
} finally {
  await ledger.close();
  await writerPool.end();
  await plainPool.end();
  await pg.destroy();
  await redis.stop();
}
