/**
 * The scripts' integer formatter (lib/int.lua) takes a fast path through
 * '%d' for whole numbers; it must print exactly what '%.0f' prints for every
 * value a script can hold: whole numbers across the whole exact range and
 * beyond it, negatives, fractions (which '%.0f' rounds), ±inf and NaN —
 * but for negative zero, which it prints as "0" (a charge or a balance of
 * "-0" is no number a reader expects).
 * Evaluated in real Redis on the very Lua the scripts include.
 */
import fc from 'fast-check';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { scriptSource } from '../../src/ledger/scripts.js';

// Each case is a Lua expression; both formatters see the same number.
const LUA_BATCH = `${scriptSource('lib/int')}
local out = {}
for i = 1, #ARGV do
  local x = loadstring('return ' .. ARGV[i])()
  table.insert(out, int(x))
  if x == 0 and 1 / x < 0 then table.insert(out, '0') else table.insert(out, string.format('%.0f', x)) end
end
return out`;

const EDGES = [
  '0', '-0', '1', '-1', '0.5', '-0.5', '1.5', '2.5', '-2.5', '0.49999999999999994', '1e15', '-1e15', '1e15 + 1',
  '2^53 - 1', '-(2^53 - 1)', '2^53', '-(2^53)', '2^53 + 2', '2^63', '-(2^63)', '2^64', '1e300', '-1e300',
  '1/0', '-1/0', '0/0', '1733140000000', '1733140000000.4', '1733140000000.6', '4294967296', '-4294967297',
];

describe('lib/int.lua', () => {
  let redis: Redis;
  beforeAll(() => {
    redis = new Redis(inject('redisUrl'));
  });
  afterAll(async () => {
    await redis.quit();
  });

  async function both(exprs: string[]): Promise<Array<[string, string, string]>> {
    const out = (await redis.eval(LUA_BATCH, 0, ...exprs)) as string[];
    return exprs.map((e, i) => [e, out[2 * i]!, out[2 * i + 1]!]);
  }

  it("prints what '%.0f' prints at the edges (negative zero as 0) (the exact range's ends, ±inf, NaN, halves)", async () => {
    for (const [expr, fast, slow] of await both(EDGES)) expect({ expr, fast }).toEqual({ expr, fast: slow });
    // And those are the digits, not an exponent (what tostring would give).
    const [, big] = (await both(['2^53 - 1']))[0]!;
    expect(big).toBe('9007199254740991');
  });

  it("prints what '%.0f' prints for random whole numbers and fractions", async () => {
    const exprs = fc.sample(
      fc.oneof(
        fc.maxSafeInteger().map(String),
        fc.integer().map(String),
        fc.double({ noNaN: true }).map((d) => (Object.is(d, -0) ? '-0' : Number.isFinite(d) ? d.toExponential(17) : d > 0 ? '1/0' : '-1/0')),
      ),
      4000,
    );
    for (const [expr, fast, slow] of await both(exprs)) expect({ expr, fast }).toEqual({ expr, fast: slow });
  });
});
