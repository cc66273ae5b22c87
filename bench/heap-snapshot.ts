/**
 * Reads V8 heap snapshots (the .heapsnapshot files `--heapsnapshot-signal`
 * writes) and tells what grew between two of them: self bytes and object
 * counts by kind (constructor name for objects and closures, type for strings
 * and arrays), divided by how many calls were added between the snapshots.
 * Sliced strings are reported with the distinct parent strings they keep
 * alive, since a 20-byte slice of a SIP message holds the whole message text.
 */
import { closeSync, existsSync, openSync, readFileSync, readSync, statSync } from 'node:fs';

interface Snapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[]]; edge_fields: string[]; edge_types: [string[]] } };
  nodes: number[];
  edges: number[];
  strings: string[];
}

export type HeapKinds = Map<string, { count: number; bytes: number }>;

const NAMED = new Set(['object', 'closure', 'native', 'hidden', 'code', 'array']);
export const SLICED_PARENTS = 'strings kept alive by sliced strings (distinct)';

/** Self bytes and counts of a snapshot's nodes by kind. */
export function heapKinds(file: string): HeapKinds {
  const s = JSON.parse(readFileSync(file, 'utf8')) as Snapshot;
  const { node_fields: nodeFields, node_types: nodeTypes, edge_fields: edgeFields, edge_types: edgeTypes } = s.snapshot.meta;
  const nf = nodeFields.length;
  const ef = edgeFields.length;
  const [iType, iName, iSize, iEdges] = ['type', 'name', 'self_size', 'edge_count'].map((f) => nodeFields.indexOf(f)) as [number, number, number, number];
  const [eType, eName, eTo] = ['type', 'name_or_index', 'to_node'].map((f) => edgeFields.indexOf(f)) as [number, number, number];
  const types = nodeTypes[0];
  const kinds: HeapKinds = new Map();
  const parents = new Map<number, number>();
  let edge = 0;
  for (let i = 0; i < s.nodes.length; i += nf) {
    const type = types[s.nodes[i + iType]!]!;
    const kind = NAMED.has(type) ? `${type} ${s.strings[s.nodes[i + iName]!]}` : type;
    const edges = s.nodes[i + iEdges]!;
    if (type === 'sliced string') {
      for (let k = 0; k < edges; k++) {
        const at = edge + k * ef;
        if (edgeTypes[0][s.edges[at + eType]!] === 'internal' && s.strings[s.edges[at + eName]!] === 'parent') {
          const to = s.edges[at + eTo]!;
          parents.set(to, s.nodes[to + iSize]!);
        }
      }
    }
    edge += edges * ef;
    const k = kinds.get(kind) ?? { count: 0, bytes: 0 };
    k.count++;
    k.bytes += s.nodes[i + iSize]!;
    kinds.set(kind, k);
  }
  let parentBytes = 0;
  for (const b of parents.values()) parentBytes += b;
  kinds.set(SLICED_PARENTS, { count: parents.size, bytes: parentBytes });
  return kinds;
}

/** What grew from `before` to `after`, per unit (e.g. per live call), largest first. */
export function growthPer(before: HeapKinds, after: HeapKinds, units: number): Array<{ kind: string; count: number; bytes: number }> {
  const rows = [...after].map(([kind, a]) => {
    const b = before.get(kind) ?? { count: 0, bytes: 0 };
    return { kind, count: (a.count - b.count) / units, bytes: (a.bytes - b.bytes) / units };
  });
  return rows.sort((x, y) => y.bytes - x.bytes);
}

/** Waits until a snapshot file exists and has stopped growing (V8 writes it in pieces). */
export async function snapshotWritten(find: () => string | undefined, timeoutMs = 300_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  let last = -1;
  while (Date.now() < deadline) {
    const file = find();
    if (file && existsSync(file)) {
      const size = statSync(file).size;
      if (size > 2 && size === last && endsJson(file, size)) return file;
      last = size;
    }
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
  throw new Error('the heap snapshot was not written in time');
}

/** A whole snapshot ends with the closing of its top-level JSON object. */
function endsJson(file: string, size: number): boolean {
  const fd = openSync(file, 'r');
  try {
    const tail = Buffer.alloc(Math.min(16, size));
    readSync(fd, tail, 0, tail.length, size - tail.length);
    return tail.toString('latin1').trimEnd().endsWith('}');
  } finally {
    closeSync(fd);
  }
}
