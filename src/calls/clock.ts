/**
 * The time source of call sessions: the current time and one-shot timers.
 * Sessions never read Date.now() or setTimeout directly, so tests drive them.
 */
import { performance } from 'node:perf_hooks';

/** An opaque timer id returned by setTimer. */
export type TimerHandle = unknown;

export interface Clock {
  /** Current time, UTC ms (wall clock: labels a call's start; may step). */
  now(): number;
  /** A monotonic ms count (never steps): every duration of a call is measured on it. */
  monotonic(): number;
  /**
   * Runs fn once after ms. fn may return a promise; a test clock waits for it
   * before firing the next timer, the system clock only logs its failure.
   */
  setTimer(fn: () => unknown, ms: number): TimerHandle;
  clearTimer(handle: TimerHandle): void;
}

/** Wall-clock time, the monotonic performance clock, and Node timers. */
export const systemClock: Clock = {
  now: () => Date.now(),
  monotonic: () => performance.now(),
  setTimer(fn, ms) {
    return setTimeout(() => {
      // A timer's work is already guarded by its owner; this only keeps a
      // stray rejection from crashing the process.
      Promise.resolve()
        .then(fn)
        .catch(() => undefined);
    }, Math.max(0, ms));
  },
  clearTimer(handle) {
    clearTimeout(handle as ReturnType<typeof setTimeout>);
  },
};
