/**
 * The effects outbox: entries the settle script appends to its slot's stream
 * in the same step as the money change (a recharge due, a balance depleted, a
 * pool 80/100 % used). Any instance consumes them in one consumer group;
 * entries a dead or failing consumer left pending are claimed after a while.
 */
import type { PoolRef } from '../domain.js';
import type { LedgerContext } from './context.js';
import { liveSlots } from './holds.js';
import { slotKeys } from './keys.js';

export const EFFECTS_GROUP = 'effects';

export type OutboxKind = 'recharge' | 'depleted' | 'pool' | 'limit';

export interface OutboxEntry {
  slot: number;
  /** Stream entry id. */
  id: string;
  kind: OutboxKind;
  tenantId: string;
  callId: string;
  /** Stable id of the effect ("<usage id>:recharge"): idempotency key of what it causes. */
  eventId: string;
  currency: string;
  /** Balance after the settle that raised it (micros). */
  balance: number;
  /** End of the call that raised it (ms). */
  atMs: number;
  percent?: 80 | 100;
  pool?: PoolRef;
  /** kind limit: which limit (a refusal code) and the user when it was the user's. */
  limit?: string;
  userId?: string;
}

export interface LedgerOutbox {
  /** New entries for this consumer across the live slots; with claimIdleMs, also entries left pending that long. */
  read(consumer: string, opts: { count: number; claimIdleMs?: number }): Promise<OutboxEntry[]>;
  /** Done: acknowledged and removed from the stream. */
  ack(entry: OutboxEntry): Promise<void>;
}

type RawEntry = [id: string, fields: string[]];

function entryOf(slot: number, [id, fields]: RawEntry): OutboxEntry | null {
  const f: Record<string, string> = {};
  for (let i = 0; i + 1 < fields.length; i += 2) f[fields[i]!] = fields[i + 1]!;
  if (f.k !== 'recharge' && f.k !== 'depleted' && f.k !== 'pool' && f.k !== 'limit') return null;
  return {
    slot,
    id,
    kind: f.k,
    tenantId: f.t ?? '',
    callId: f.c ?? '',
    eventId: f.e ?? id,
    currency: f.cur ?? '',
    balance: Number(f.bal ?? 0),
    atMs: Number(f.at ?? 0),
    ...(f.pct ? { percent: f.pct === '100' ? 100 : 80 } : {}),
    ...(f.pool ? { pool: JSON.parse(f.pool) as PoolRef } : {}),
    ...(f.lim ? { limit: f.lim } : {}),
    ...(f.usr ? { userId: f.usr } : {}),
  } as OutboxEntry;
}

const SLOTS_IN_FLIGHT = 256;

export function createOutbox(ctx: LedgerContext): LedgerOutbox {
  const groups = new Set<number>();

  async function ensureGroup(slot: number): Promise<void> {
    if (groups.has(slot)) return;
    try {
      await ctx.guard.run('outbox', () => ctx.client.xgroup('CREATE', slotKeys(ctx.prefix, slot).outbox, EFFECTS_GROUP, '0', 'MKSTREAM'));
    } catch (err) {
      if (!/BUSYGROUP/.test(err instanceof Error ? err.message : String(err))) throw err;
    }
    groups.add(slot);
  }

  async function readSlot(slot: number, consumer: string, count: number, claimIdleMs?: number): Promise<OutboxEntry[]> {
    await ensureGroup(slot);
    const key = slotKeys(ctx.prefix, slot).outbox;
    const raw: RawEntry[] = [];
    if (claimIdleMs !== undefined) {
      const claimed = (await ctx.guard.run('outbox', () =>
        ctx.client.xautoclaim(key, EFFECTS_GROUP, consumer, claimIdleMs, '0-0', 'COUNT', count),
      )) as [string, RawEntry[]];
      raw.push(...(claimed[1] ?? []).filter((e) => Array.isArray(e) && Array.isArray(e[1])));
    }
    const fresh = (await ctx.guard.run('outbox', () =>
      ctx.client.xreadgroup('GROUP', EFFECTS_GROUP, consumer, 'COUNT', count, 'STREAMS', key, '>'),
    )) as Array<[string, RawEntry[]]> | null;
    for (const [, entries] of fresh ?? []) raw.push(...entries);
    return raw.flatMap((e) => entryOf(slot, e) ?? []);
  }

  return {
    async read(consumer, { count, claimIdleMs }) {
      // Effects are written by settles of held calls: only live slots can have any.
      const slots = (await liveSlots(ctx, 'outbox')).map((s) => s.slot);
      const out: OutboxEntry[] = [];
      for (let i = 0; i < slots.length; i += SLOTS_IN_FLIGHT) {
        const found = await Promise.all(slots.slice(i, i + SLOTS_IN_FLIGHT).map((slot) => readSlot(slot, consumer, count, claimIdleMs)));
        out.push(...found.flat());
      }
      return out;
    },
    async ack(entry) {
      const key = slotKeys(ctx.prefix, entry.slot).outbox;
      await ctx.guard.run('outbox', () => ctx.client.xack(key, EFFECTS_GROUP, entry.id));
      await ctx.guard.run('outbox', () => ctx.client.xdel(key, entry.id));
    },
  };
}
