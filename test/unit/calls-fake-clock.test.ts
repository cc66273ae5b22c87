import { describe, expect, it } from 'vitest';
import { FakeClock } from '../support/fake-clock.js';

describe('FakeClock (drives call-session timers in tests)', () => {
  it('fires due timers in time order at their exact due time, awaiting each', async () => {
    const clock = new FakeClock(1_000);
    const seen: Array<[string, number]> = [];
    clock.setTimer(async () => {
      await new Promise((r) => setImmediate(r));
      seen.push(['b', clock.now()]);
    }, 300);
    clock.setTimer(() => seen.push(['a', clock.now()]), 100);
    await clock.advance(250);
    expect(seen).toEqual([['a', 1_100]]);
    expect(clock.now()).toBe(1_250);
    await clock.advance(50);
    expect(seen).toEqual([
      ['a', 1_100],
      ['b', 1_300],
    ]);
  });

  it('runs timers scheduled by timers within the same advance, and ties in creation order', async () => {
    const clock = new FakeClock(0);
    const seen: string[] = [];
    clock.setTimer(() => {
      seen.push('first');
      clock.setTimer(() => seen.push(`nested@${clock.now()}`), 10);
    }, 10);
    clock.setTimer(() => seen.push('second'), 10);
    await clock.advance(100);
    expect(seen).toEqual(['first', 'second', 'nested@20']);
  });

  it('never fires a cleared timer', async () => {
    const clock = new FakeClock(0);
    let fired = false;
    const h = clock.setTimer(() => (fired = true), 5);
    clock.clearTimer(h);
    await clock.advance(10);
    expect(fired).toBe(false);
    expect(clock.pendingTimes()).toEqual([]);
  });

  it('refuses to move time backwards', async () => {
    const clock = new FakeClock(500);
    await expect(clock.advanceTo(100)).rejects.toThrow(/cannot move time back/);
  });
});
