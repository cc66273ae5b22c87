/**
 * IndexedRateBook's outbound and toll-free lookups against the rule stated
 * plainly: a number is an optional "+" and digits only, the first not 0; its
 * row is the longest prefix's latest in effect (the first 15 digits count).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { IndexedRateBook } from '../../src/rating/rate-book.js';
import type { OutboundRate, TollFreeRate } from '../../src/rating/types.js';

const outboundRow = (prefix: string, effectiveFrom: number, n: number) => ({ prefix, effectiveFrom, source: `outbound.csv:${n + 2}` }) as OutboundRate;
const tollFreeRow = (originPrefix: string, serviceCountry: string, effectiveFrom: number, n: number) =>
  ({ originPrefix, serviceCountry, effectiveFrom, source: `toll-free.csv:${n + 2}` }) as TollFreeRate;

/** The digits of a number as a rate book takes it, or undefined for anything else. */
function digitsOf(number: string): string | undefined {
  return /^\+?[1-9]\d*$/.test(number) ? number.replace(/^\+/, '') : undefined;
}

function longest<R extends { effectiveFrom: number }>(rows: readonly R[], prefixOf: (r: R) => string, number: string, atMs: number) {
  const digits = digitsOf(number);
  if (digits === undefined) return undefined;
  for (let length = Math.min(15, digits.length); length > 0; length--) {
    let best: R | undefined;
    for (const row of rows) if (prefixOf(row) === digits.slice(0, length) && row.effectiveFrom <= atMs && (!best || row.effectiveFrom >= best.effectiveFrom)) best = row;
    if (best) return { row: best, length };
  }
  return undefined;
}

const digit = fc.constantFrom('0', '0', '1', '4', '9');
const digitString = (min: number, max: number) => fc.array(digit, { minLength: min, maxLength: max }).map((d) => d.join(''));
const prefix = fc.tuple(fc.constantFrom('1', '4', '9'), digitString(0, 6)).map(([a, b]) => a + b);
const dates = fc.constantFrom(0, 10, 20);

/** Numbers of every shape a caller might pass: with and without "+", a leading 0, stray characters anywhere, past 15 digits. */
const number = fc
  .tuple(fc.constantFrom('', '', '+', '++', '0', '+0'), digitString(0, 18), fc.constantFrom('', '', '', 'x', ' ', '+', '-1'), digitString(0, 3))
  .map(([lead, body, stray, tail]) => lead + body + stray + tail);

describe('IndexedRateBook lookups', () => {
  it('outbound finds what the plain rule finds, refusing any number that is not "+" and digits', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(prefix, dates), { maxLength: 40 }), fc.array(fc.tuple(number, fc.constantFrom(-1, 0, 15, 30)), { minLength: 1, maxLength: 40 }), (pairs, lookups) => {
        const rows = pairs.map(([p, from], n) => outboundRow(p, from, n));
        const book = new IndexedRateBook('v', { outbound: rows, tollFree: [], zoneA: new Map(), emergency: new Set() });
        const extended = [...lookups, ...rows.map((r): [string, number] => [`+${r.prefix}19`, 30])];
        for (const [n, atMs] of extended) expect(book.outbound(n, atMs)).toBe(longest(rows, (r) => r.prefix, n, atMs)?.row);
      }),
      { numRuns: 400 },
    );
  });

  it('tollFree takes the longest origin prefix, the service country winning over "*" at equal length', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(prefix, fc.constantFrom('GB', '*'), dates), { maxLength: 30 }), fc.array(fc.tuple(number, fc.constantFrom(0, 15, 30)), { minLength: 1, maxLength: 30 }), (triples, lookups) => {
        const rows = triples.map(([p, service, from], n) => tollFreeRow(p, service, from, n));
        const book = new IndexedRateBook('v', { outbound: [], tollFree: rows, zoneA: new Map(), emergency: new Set() });
        for (const [n, atMs] of lookups) {
          const exact = longest(rows.filter((r) => r.serviceCountry === 'GB'), (r) => r.originPrefix, n, atMs);
          const any = longest(rows.filter((r) => r.serviceCountry === '*'), (r) => r.originPrefix, n, atMs);
          const want = exact && (!any || exact.length >= any.length) ? exact.row : any?.row;
          expect(book.tollFree(n, 'GB', atMs)).toBe(want);
        }
      }),
      { numRuns: 300 },
    );
  });
});
