/**
 * The history outbox: per-slot streams (P:slot:{S}:history) that settle,
 * add_usage and top_up append to in the same step as the change (DOMAIN
 * rule 33). The history writer reads them in the consumer group `history`
 * and deletes each entry once PostgreSQL has committed it, so Redis keeps
 * only what is not yet written.
 */
import type { LedgerContext } from './context.js';
import { liveSlots } from './holds.js';
import { slotKeys } from './keys.js';

export const HISTORY_GROUP = 'history';

export interface HistoryStreamEntry {
  slot: number;
  /** Stream entry id ("ms-seq", Redis time). */
  id: string;
  fields: Record<string, string>;
}

export interface HistoryBacklog {
  /** Entries waiting (not yet written), over the live slots. */
  entries: number;
  /** Redis time (ms) of the oldest waiting entry; undefined when none. */
  oldestMs?: number;
}

export interface HistoryOutbox {
  /**
   * Up to count entries for this consumer: first its own unacknowledged ones
   * (a failed write), then, with claimIdleMs, entries another consumer left
   * pending that long, then new ones.
   */
  read(consumer: string, opts: { count: number; claimIdleMs?: number }): Promise<HistoryStreamEntry[]>;
  /** Written: acknowledged and deleted from their streams. */
  ack(entries: HistoryStreamEntry[]): Promise<void>;
  backlog(): Promise<HistoryBacklog>;
  /** Every waiting entry of one tenant (reconciliation counts them with what PostgreSQL has). */
  pendingOf(tenantId: string): Promise<HistoryStreamEntry[]>;
}

type RawEntry = [id: string, fields: string[] | null];

function fieldsOf(flat: string[]): Record<string, string> {
  const f: Record<string, string> = {};
  for (let i = 0; i + 1 < flat.length; i += 2) f[flat[i]!] = flat[i + 1]!;
  return f;
}

const SLOTS_IN_FLIGHT = 256;

export function createHistoryOutbox(ctx: LedgerContext): HistoryOutbox {
  const groups = new Set<number>();
  const key = (slot: number) => slotKeys(ctx.prefix, slot).history;

  async function ensureGroup(slot: number): Promise<void> {
    if (groups.has(slot)) return;
    try {
      await ctx.guard.run('history', () => ctx.client.xgroup('CREATE', key(slot), HISTORY_GROUP, '0', 'MKSTREAM'));
    } catch (err) {
      if (!/BUSYGROUP/.test(err instanceof Error ? err.message : String(err))) throw err;
    }
    groups.add(slot);
  }

  async function slotsInUse(): Promise<number[]> {
    return (await liveSlots(ctx, 'history')).map((s) => s.slot);
  }

  async function readSlot(slot: number, consumer: string, count: number, claimIdleMs?: number): Promise<HistoryStreamEntry[]> {
    await ensureGroup(slot);
    const k = key(slot);
    const raw: RawEntry[] = [];
    const group = (id: string) =>
      ctx.guard.run('history', () => ctx.client.xreadgroup('GROUP', HISTORY_GROUP, consumer, 'COUNT', count, 'STREAMS', k, id)) as Promise<
        Array<[string, RawEntry[]]> | null
      >;
    // Own entries delivered before and not acknowledged: a write that failed, or a restart under the same name.
    for (const [, entries] of (await group('0')) ?? []) raw.push(...entries);
    if (claimIdleMs !== undefined && raw.length < count) {
      const claimed = (await ctx.guard.run('history', () =>
        ctx.client.xautoclaim(k, HISTORY_GROUP, consumer, claimIdleMs, '0-0', 'COUNT', count - raw.length),
      )) as [string, RawEntry[]];
      raw.push(...(claimed[1] ?? []).filter((e) => Array.isArray(e)));
    }
    if (raw.length < count) {
      for (const [, entries] of (await group('>')) ?? []) raw.push(...entries);
    }
    const seen = new Set<string>();
    const out: HistoryStreamEntry[] = [];
    for (const [id, flat] of raw) {
      if (seen.has(id)) continue;
      seen.add(id);
      // A deleted entry still pending shows no fields: written already; the ack clears it.
      out.push({ slot, id, fields: flat ? fieldsOf(flat) : {} });
    }
    return out;
  }

  return {
    async read(consumer, { count, claimIdleMs }) {
      const slots = await slotsInUse();
      const out: HistoryStreamEntry[] = [];
      for (let i = 0; i < slots.length && out.length < count; i += SLOTS_IN_FLIGHT) {
        const found = await Promise.all(slots.slice(i, i + SLOTS_IN_FLIGHT).map((slot) => readSlot(slot, consumer, count, claimIdleMs)));
        out.push(...found.flat());
      }
      return out;
    },
    async ack(entries) {
      const bySlot = new Map<number, string[]>();
      for (const e of entries) bySlot.set(e.slot, [...(bySlot.get(e.slot) ?? []), e.id]);
      await Promise.all(
        [...bySlot].map(async ([slot, ids]) => {
          await ctx.guard.run('history', () => ctx.client.xack(key(slot), HISTORY_GROUP, ...ids));
          await ctx.guard.run('history', () => ctx.client.xdel(key(slot), ...ids));
        }),
      );
    },
    async backlog() {
      const slots = await slotsInUse();
      let entries = 0;
      let oldestMs: number | undefined;
      for (let i = 0; i < slots.length; i += SLOTS_IN_FLIGHT) {
        const found = await Promise.all(
          slots.slice(i, i + SLOTS_IN_FLIGHT).map(async (slot) => {
            const n = await ctx.guard.run('history', () => ctx.client.xlen(key(slot)));
            if (n === 0) return { n, first: undefined };
            const first = (await ctx.guard.run('history', () => ctx.client.xrange(key(slot), '-', '+', 'COUNT', 1)))[0];
            return { n, first: first ? Number(first[0].split('-')[0]) : undefined };
          }),
        );
        for (const { n, first } of found) {
          entries += n;
          if (first !== undefined) oldestMs = Math.min(oldestMs ?? first, first);
        }
      }
      return { entries, ...(oldestMs !== undefined ? { oldestMs } : {}) };
    },
    async pendingOf(tenantId) {
      const slot = ctx.keys(tenantId).slot;
      const out: HistoryStreamEntry[] = [];
      let start = '-';
      for (;;) {
        const from = start;
        const page = (await ctx.guard.run('history', () => ctx.client.xrange(key(slot), from, '+', 'COUNT', 1000))) as Array<[string, string[]]>;
        for (const [id, flat] of page) {
          const fields = fieldsOf(flat);
          if (fields.t === tenantId) out.push({ slot, id, fields });
        }
        if (page.length < 1000) return out;
        start = `(${page[page.length - 1]![0]}`;
      }
    },
  };
}
