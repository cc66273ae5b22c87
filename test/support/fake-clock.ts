/**
 * A deterministic clock for call-session tests: time moves only when the test
 * advances it, and each due timer runs (and is awaited) in time order.
 */
import type { Clock, TimerHandle } from '../../src/calls/clock.js';

interface PendingTimer {
  id: number;
  at: number;
  fn: () => unknown;
}

export class FakeClock implements Clock {
  private current: number;
  private nextId = 1;
  private timers: PendingTimer[] = [];
  private wallOffset = 0;

  constructor(startMs: number = Date.UTC(2025, 0, 15, 12, 0, 0)) {
    this.current = startMs;
  }

  now(): number {
    return this.current + this.wallOffset;
  }

  /** The monotonic clock: only advance() moves it. */
  monotonic(): number {
    return this.current;
  }

  /** Steps the wall clock (as NTP or an operator would) without moving monotonic time or firing timers. */
  stepWall(ms: number): void {
    this.wallOffset += ms;
  }

  setTimer(fn: () => unknown, ms: number): TimerHandle {
    const timer = { id: this.nextId++, at: this.current + Math.max(0, ms), fn };
    this.timers.push(timer);
    return timer.id;
  }

  clearTimer(handle: TimerHandle): void {
    this.timers = this.timers.filter((t) => t.id !== handle);
  }

  /** Timers not yet fired, as absolute due times (ms), earliest first. */
  pendingTimes(): number[] {
    return this.timers.map((t) => t.at).sort((a, b) => a - b);
  }

  /**
   * Moves time forward by ms, firing every timer due on the way at its exact
   * due time (ties in creation order) and awaiting the work it returns.
   */
  async advance(ms: number): Promise<void> {
    await this.advanceTo(this.current + ms);
  }

  async advanceTo(targetMs: number): Promise<void> {
    if (targetMs < this.current) throw new Error(`cannot move time back from ${this.current} to ${targetMs}`);
    for (;;) {
      const due = this.timers
        .filter((t) => t.at <= targetMs)
        .sort((a, b) => a.at - b.at || a.id - b.id)[0];
      if (!due) break;
      this.timers = this.timers.filter((t) => t !== due);
      this.current = due.at;
      await due.fn();
    }
    this.current = targetMs;
  }
}
