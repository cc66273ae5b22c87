/**
 * Event-loop lag past calls.overload.maxEventLoopLagMs refuses a share of new
 * calls (random early refusal): none at the limit, all from 1.5 × the limit,
 * linear between; the guard refuses exactly that share of its draws.
 */
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { LAG_FULL_REFUSAL, lagRefusalShare, OverloadGuard } from '../../src/calls/overload.js';

const busy = (ms: number) => {
  const until = performance.now() + ms;
  while (performance.now() < until) {
    /* the event loop is blocked */
  }
};
const turn = () => new Promise((resolve) => setTimeout(resolve, 0));

describe('lag refusal share', () => {
  it('is 0 up to the limit and with the limit off, 1 from 1.5 × the limit, linear and rising between', () => {
    expect(lagRefusalShare(0, 75)).toBe(0);
    expect(lagRefusalShare(75, 75)).toBe(0);
    expect(lagRefusalShare(93.75, 75)).toBeCloseTo(0.5, 12);
    expect(lagRefusalShare(75 * LAG_FULL_REFUSAL, 75)).toBe(1);
    expect(lagRefusalShare(10_000, 75)).toBe(1);
    expect(lagRefusalShare(500, 0)).toBe(0);
    expect(lagRefusalShare(Number.NaN, 75)).toBe(0);
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 10_000 }), fc.double({ min: 0, max: 30_000, noNaN: true }), fc.double({ min: 0, max: 30_000, noNaN: true }), (limit, a, b) => {
        const [lo, hi] = a <= b ? [a, b] : [b, a];
        const s = lagRefusalShare(lo, limit);
        expect(s).toBeGreaterThanOrEqual(0);
        expect(s).toBeLessThanOrEqual(1);
        expect(lagRefusalShare(hi, limit)).toBeGreaterThanOrEqual(s);
        if (lo > limit && lo < limit * LAG_FULL_REFUSAL) expect(s).toBeCloseTo((lo - limit) / ((LAG_FULL_REFUSAL - 1) * limit), 9);
      }),
    );
  });
});

describe('OverloadGuard under event-loop lag', () => {
  let guard: OverloadGuard | undefined;
  afterEach(() => guard?.stop());

  it('refuses exactly its lag share of 1,000 draws, and nothing once the loop has caught up', async () => {
    let draw = 0;
    const N = 1000;
    // Draws spread evenly over [0, 1): the refused count is the share's, to the draw.
    guard = new OverloadGuard({ maxEventLoopLagMs: 40, maxAdmissionsInFlight: 0, maxAdmissionLatencyMs: 0 }, () => ((draw++ % N) + 0.5) / N);
    await turn();
    // Blocks of 55 ms with the lag timer firing between them: each sample ~45 ms late, between the limit and 1.5 × it.
    for (let i = 0; i < 12; i++) {
      busy(55);
      await new Promise((resolve) => setImmediate(resolve));
      await turn();
    }
    const lag = guard.state().eventLoopLagMs;
    expect(lag).toBeGreaterThan(0);
    const share = lagRefusalShare(lag, 40);
    let refused = 0;
    for (let i = 0; i < N; i++) if (guard.overloaded() === 'event_loop_lag') refused++;
    expect(refused).toBe(Array.from({ length: N }, (_, k) => (k + 0.5) / N < share).filter(Boolean).length);
    // Caught up: the smoothed lag decays under the limit and nothing is refused.
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(lagRefusalShare(guard.state().eventLoopLagMs, 40)).toBe(0);
    for (let i = 0; i < N; i++) expect(guard.overloaded()).toBeUndefined();
  });
});
