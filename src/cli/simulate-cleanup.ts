/**
 * What `tollgate simulate` leaves in Redis: nothing. Every key of its
 * throw-away tenant (settled holds kept for idempotent repeats included) is
 * deleted, and the prefix's shared keys (slot outboxes, the slot set) once no
 * other simulation has a tenant under the prefix.
 */
import type { Cluster, Redis } from 'ioredis';

function masters(client: Redis | Cluster): Redis[] {
  return 'nodes' in client && typeof (client as Cluster).nodes === 'function' && (client as Cluster).isCluster
    ? (client as Cluster).nodes('master')
    : [client as Redis];
}

async function scanAll(client: Redis | Cluster, pattern: string): Promise<string[]> {
  const found: string[] = [];
  for (const node of masters(client)) {
    let cursor = '0';
    do {
      const [next, keys] = await node.scan(cursor, 'MATCH', pattern, 'COUNT', 500);
      cursor = next;
      found.push(...keys);
    } while (cursor !== '0');
  }
  return found;
}

/** Keys on a Cluster live in different slots: deleted one by one (in parallel), never in one multi-key DEL. */
async function deleteKeys(client: Redis | Cluster, keys: string[]): Promise<void> {
  for (let i = 0; i < keys.length; i += 200) await Promise.all(keys.slice(i, i + 200).map((k) => client.del(k)));
}

/** Returns how many keys were deleted. */
export async function purgeSimulation(client: Redis | Cluster, prefix: string, tenantId: string): Promise<number> {
  const own = await scanAll(client, `${prefix}:{${tenantId}}:*`);
  await deleteKeys(client, own);
  const othersRunning = (await scanAll(client, `${prefix}:{*`)).length > 0;
  if (othersRunning) return own.length;
  const shared = await scanAll(client, `${prefix}:*`);
  await deleteKeys(client, shared);
  return own.length + shared.length;
}
