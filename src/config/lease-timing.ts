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

/**
 * Why a recovery interval cannot keep a lost instance's calls billed to within
 * one renewal interval of their real end, or undefined: a recovered call is
 * billed up to its lease's end less the guard and hung up by the next pass.
 */
export function recoveryTimingProblem(leaseSeconds: number, recoveryIntervalMs: number): string | undefined {
  const shortBy = recoveryIntervalMs + leaseGuardMs(leaseSeconds);
  if (shortBy <= renewEveryMs(leaseSeconds)) return undefined;
  return (
    `${recoveryIntervalMs} ms is too long: a lost instance's call would be billed up to ${shortBy} ms short of its real end ` +
    `(this interval plus the ${leaseGuardMs(leaseSeconds)} ms lease guard), more than the ${renewEveryMs(leaseSeconds)} ms renewal interval; ` +
    `use at most ${renewEveryMs(leaseSeconds) - leaseGuardMs(leaseSeconds)} ms or raise calls.leaseSeconds`
  );
}
