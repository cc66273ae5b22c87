/**
 * Exponential backoff with jitter and abortable sleeps, shared by notice
 * delivery and recharge requests.
 */

export interface Backoff {
  /** Delay before the first retry, in ms; doubles per attempt. */
  baseMs: number;
  /** Upper bound of one delay, in ms. */
  capMs: number;
}

export const DEFAULT_BACKOFF: Backoff = { baseMs: 500, capMs: 30_000 };

/**
 * Delay before retry number `attempt` (0-based): "equal jitter", half fixed,
 * half random, so instances that failed together do not retry together.
 */
export function backoffDelay(attempt: number, backoff: Backoff, random: () => number = Math.random): number {
  const ceiling = Math.min(backoff.capMs, backoff.baseMs * 2 ** attempt);
  return Math.round(ceiling / 2 + (ceiling / 2) * random());
}

/** Sleeps ms; resolves false early when the signal aborts (shutdown), true otherwise. */
export function sleep(ms: number, signal?: AbortSignal): Promise<boolean> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve(false);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      resolve(false);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** The outcome of one attempt: transient failures are retried, permanent ones are not. */
export type Attempt<T> = { ok: true; value: T } | { ok: false; permanent: boolean; reason: string };

/**
 * Runs `attempt` up to 1 + retries times with backoff between tries. Returns
 * the first success, or the last failure (a permanent one at once).
 */
export async function withRetries<T>(
  attempt: (n: number) => Promise<Attempt<T>>,
  retries: number,
  backoff: Backoff,
  signal?: AbortSignal,
  onRetry?: (n: number, reason: string, delayMs: number) => void,
): Promise<Attempt<T>> {
  let last: Attempt<T> = { ok: false, permanent: false, reason: 'not attempted' };
  for (let n = 0; n <= retries; n++) {
    last = await attempt(n);
    if (last.ok || last.permanent || n === retries) return last;
    const delay = backoffDelay(n, backoff);
    onRetry?.(n + 1, last.reason, delay);
    if (!(await sleep(delay, signal))) {
      return { ok: false, permanent: false, reason: `${last.reason}; gave up at shutdown` };
    }
  }
  return last;
}

/** A readable reason from a thrown fetch/socket error ("timeout", "ECONNREFUSED"). */
export function errorReason(err: unknown): string {
  if (err instanceof Error) {
    if (err.name === 'TimeoutError' || err.name === 'AbortError') return 'timed out';
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    if (cause?.code) return `${err.message} (${cause.code})`;
    return err.message;
  }
  return String(err);
}
