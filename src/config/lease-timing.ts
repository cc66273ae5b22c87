/**
 * How a live call keeps its hold's lease: renewed every third of the lease,
 * and cut when a renewal has not succeeded by the lease less a guard, so the
 * call is off the wire before any instance may recover its hold (DOMAIN
 * rule 32). The one place these figures are defined; config validation uses it.
 */

/** Interval between two lease renewals of a call. */
export function renewEveryMs(leaseSeconds: number): number {
  return Math.floor((leaseSeconds * 1000) / 3);
}

/** Time kept in hand before the lease runs out: the call is hung up that long before. */
export function leaseGuardMs(leaseSeconds: number): number {
  return Math.max(2000, Math.floor((leaseSeconds * 1000) / 10));
}

/**
 * Why a lease setting cannot keep that promise, or undefined when it can: at
 * least one renewal, with its whole Redis time bound, must fit between the
 * regular renewal and the cut.
 */
export function leaseTimingProblem(leaseSeconds: number, redisOperationMs: number): string | undefined {
  const leaseMs = leaseSeconds * 1000;
  const needed = renewEveryMs(leaseSeconds) + redisOperationMs + leaseGuardMs(leaseSeconds);
  if (leaseMs >= needed) return undefined;
  return (
    `${leaseSeconds} s is too short: a renewal every ${renewEveryMs(leaseSeconds)} ms that may take ${redisOperationMs} ms ` +
    `(redis.connectTimeoutMs + 2 x redis.commandTimeoutMs) and a ${leaseGuardMs(leaseSeconds)} ms guard need ${Math.ceil(needed / 1000)} s; ` +
    'raise calls.leaseSeconds or lower the Redis timeouts'
  );
}
