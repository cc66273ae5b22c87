/**
 * Cluster slots as a sharding unit for indexes that span tenants (the lease
 * due-index and the effects outbox): each lives in the slot of the tenants it
 * covers, under a short hash tag chosen to land in exactly that slot, so the
 * scripts that move a tenant's money write them atomically on a single Redis
 * and on a Redis Cluster alike.
 */
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
// Redis Cluster's own CRC16 key-slot function, as ioredis uses it.
const calculateSlot = require('cluster-key-slot') as (key: string) => number;

export const SLOT_COUNT = 16384;

let tags: string[] | undefined;

/** For every slot, the shortest decimal string whose key slot it is (found once, ~170k CRC16s). */
function slotTags(): string[] {
  if (tags) return tags;
  const table: Array<string | undefined> = new Array(SLOT_COUNT);
  let found = 0;
  for (let n = 0; found < SLOT_COUNT; n++) {
    const candidate = String(n);
    const slot = calculateSlot(candidate);
    if (table[slot] === undefined) {
      table[slot] = candidate;
      found++;
    }
  }
  tags = table as string[];
  return tags;
}

/** The cluster slot of a tenant's keys (their hash tag is the tenant id). */
export function tenantSlot(tenantId: string): number {
  return calculateSlot(tenantId);
}

/** A hash tag whose slot is `slot`: `{<tag>}` keys share a slot with every tenant in it. */
export function slotTag(slot: number): string {
  if (!Number.isInteger(slot) || slot < 0 || slot >= SLOT_COUNT) throw new RangeError(`slot ${slot} is not a cluster slot`);
  return slotTags()[slot]!;
}
