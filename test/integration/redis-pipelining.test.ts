/**
 * redis.autoPipelining: the commands a turn of the event loop issues go to
 * Redis in one write on the connection, each with its own reply — a refusal
 * among admissions stays that call's refusal — and, off, one write per
 * command. Counted on the client's socket and by the server's reads.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import type { Socket } from 'node:net';
import { connectRedis } from '../../src/ledger/connection.js';
import type { RedisLedger } from '../../src/ledger/redis-ledger.js';
import { startRedisServer } from '../support/redis-server.js';
import { holdRequest, newLedger, tenant } from '../support/ledger-fixtures.js';

let redis: Awaited<ReturnType<typeof startRedisServer>>;
let probe: Redis;
beforeAll(async () => {
  redis = await startRedisServer();
  probe = new Redis(redis.url);
});
afterAll(async () => {
  probe.disconnect();
  await redis.stop();
});

/** Read events the server has processed so far (INFO stats total_reads_processed). */
async function reads(): Promise<number> {
  const info = await probe.info('stats');
  return Number(/total_reads_processed:(\d+)/.exec(info)![1]);
}

const CALLS = 60;

/** A ledger on its own connection, and a count of the writes made on that connection's socket. */
async function ledgerCountingWrites(autoPipelining: boolean): Promise<{ ledger: RedisLedger; writes: () => number }> {
  const client = connectRedis({ url: redis.url, autoPipelining }) as Redis;
  await new Promise<void>((resolve) => client.once('ready', () => resolve()));
  const socket = (client as unknown as { stream: Socket }).stream;
  let writes = 0;
  const write = socket.write.bind(socket) as (...args: unknown[]) => boolean;
  socket.write = ((...args: unknown[]) => {
    writes++;
    return write(...args);
  }) as Socket['write'];
  return { ledger: newLedger('redis', { client }), writes: () => writes };
}

async function admitInOneTurn(ledger: RedisLedger, writes: () => number, tag: string): Promise<{ writes: number; reads: number; results: Array<{ ok: boolean }> }> {
  await ledger.putTenant(tenant('rich'));
  await ledger.topUp('rich', 'opening', 1_000_000_000, Date.now());
  await ledger.putTenant(tenant('broke'));
  // Warm: scripts loaded on the connection, so every hold below is one EVALSHA.
  await ledger.hold(holdRequest('rich', `${tag}-warm`));
  await ledger.release('rich', `${tag}-warm`, Date.now(), 'cancelled');
  const before = await reads();
  const written = writes();
  // One turn: every hold is issued before any reply can come back.
  const results = await Promise.all(
    Array.from({ length: CALLS }, (_, i) => ledger.hold(holdRequest(i % 10 === 0 ? 'broke' : 'rich', `${tag}-${i}`))),
  );
  // The probe's own INFO is one read more.
  return { writes: writes() - written, reads: (await reads()) - before - 1, results };
}

describe('redis.autoPipelining', () => {
  it('on: one turn of admissions goes to Redis in one write, each call with its own answer', async () => {
    const { ledger, writes } = await ledgerCountingWrites(true);
    try {
      const { writes: w, reads: n, results } = await admitInOneTurn(ledger, writes, 'on');
      expect(w).toBeLessThanOrEqual(2);
      expect(n).toBeLessThanOrEqual(w + 2);
      // The broke tenant's calls are refused, the others admitted: replies are not mixed up by the batching.
      results.forEach((r, i) => expect(r.ok, `call ${i}`).toBe(i % 10 !== 0));
    } finally {
      await ledger.close();
    }
  });

  it('off (the default): one write per command', async () => {
    const { ledger, writes } = await ledgerCountingWrites(false);
    try {
      const { writes: w, results } = await admitInOneTurn(ledger, writes, 'off');
      expect(w).toBeGreaterThanOrEqual(CALLS);
      results.forEach((r, i) => expect(r.ok, `call ${i}`).toBe(i % 10 !== 0));
    } finally {
      await ledger.close();
    }
  });
});
