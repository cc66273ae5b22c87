/**
 * Benchmark: a usage record made from its draft the two ways, in one run —
 * `{ ...draft, usageId, startTime, … }` (eight properties added after a
 * spread of an object made elsewhere) and `merged(draft, { … })` from
 * src/objects.ts — plus a spread that only overwrites (no new property), the
 * case that stays fast. Prints µs per object and the ratio.
 *
 *   npx tsx bench/object-merge.ts            (env: N=300000)
 */
import { merged } from '../src/objects.js';
import { envInt } from './api-load.js';

const N = envInt('N', 300_000);

// A draft as the ledger gets it back: parsed from JSON, as a settle reply's is.
const draft = JSON.parse(
  JSON.stringify({
    tenantId: 'acme', callId: 'c-0123456789', callType: 'user_out', callDirection: 'outbound', userId: 'zoe',
    upn: 'zoe@acme.example', userDisplayName: 'Zoë', userLocation: 'GB', destinationDialed: '+447700900123',
    destinationNumber: '+447700900123', currency: 'USD', rateVersion: 'sha256:0123',
  }),
) as Record<string, unknown>;

function time(label: string, make: (i: number) => { charge?: unknown; nowMs?: unknown }): number {
  let sink = 0;
  for (let i = 0; i < 20_000; i++) sink += make(i) ? 1 : 0; // warm-up
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < N; i++) sink += make(i) ? 1 : 0;
  const us = Number(process.hrtime.bigint() - t0) / N / 1000;
  process.stdout.write(`${label.padEnd(58)} ${us.toFixed(3).padStart(8)} µs${sink < 0 ? '' : ''}\n`);
  return us;
}

process.stdout.write(`object merge: ${N} objects each, Node ${process.version}\n\n`);
const spread = time('{ ...draft, eight new properties }', (i) => ({
  ...draft, usageId: 'u', startTime: i, endTime: i + 1, durationSeconds: 1, connectFee: 0, charge: 5, capability: 'credits', endReason: 'caller_hangup',
}));
const copy = time('merged(draft, { eight new properties })', (i) => merged(draft, {
  usageId: 'u', startTime: i, endTime: i + 1, durationSeconds: 1, connectFee: 0, charge: 5, capability: 'credits', endReason: 'caller_hangup',
}));
const request = { ...draft, nowMs: 0 };
time('{ ...request, nowMs } (overwrites only: the fast case)', (i) => ({ ...request, nowMs: i }));
process.stdout.write(`\nspread / merged: ${(spread / copy).toFixed(1)}x\n`);
