/**
 * The ledger's typed errors: a stable code the caller can act on and a
 * message a human can act on. Redis being unreachable is LedgerUnavailableError.
 */
import { ScriptCode } from './codes.js';

export type LedgerErrorCode =
  | 'BAD_INPUT'
  | 'UNKNOWN_TENANT'
  | 'UNKNOWN_HOLD'
  | 'HOLD_ENDED'
  | 'CURRENCY_MISMATCH'
  | 'CURRENCY_LOCKED'
  | 'TENANT_BUSY'
  | 'NUMBER_TAKEN'
  | 'ADMIN_EXISTS'
  | 'CLOCK_SKEW'
  | 'SCRIPT_FAILED';

export class LedgerError extends Error {
  constructor(
    readonly code: LedgerErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'LedgerError';
  }
}

/** A time an instance sent is too far from Redis time: its clock is wrong (check NTP). */
export function clockSkewError(op: string, sentMs: number, redisMs: number, skewMs: number): LedgerError {
  const off = Math.round((sentMs - redisMs) / 1000);
  return new LedgerError(
    'CLOCK_SKEW',
    `${op}: this instance's clock is ${Math.abs(off)} s ${off > 0 ? 'ahead of' : 'behind'} Redis time ` +
      `(${new Date(sentMs).toISOString()} vs ${new Date(redisMs).toISOString()}), more than the ${Math.round(skewMs / 1000)} s ` +
      'allowed (ledger.maxClockSkewSeconds); fix its time synchronisation (NTP)',
  );
}

/** The error for a script code that is not an expected outcome of the operation. */
export function scriptFailure(op: string, code: number, subject: string): LedgerError {
  switch (code) {
    case ScriptCode.UNKNOWN_TENANT:
      return new LedgerError('UNKNOWN_TENANT', `${op}: tenant ${subject} does not exist; provision it first`);
    case ScriptCode.UNKNOWN_HOLD:
      return new LedgerError('UNKNOWN_HOLD', `${op}: no hold for call ${subject} (never held, or settled long ago)`);
    case ScriptCode.HOLD_ENDED:
      return new LedgerError('HOLD_ENDED', `${op}: call ${subject} is already settled; hang it up`);
    case ScriptCode.CURRENCY_MISMATCH:
      return new LedgerError('CURRENCY_MISMATCH', `${op}: the rate's currency differs from tenant ${subject}'s currency`);
    case ScriptCode.CURRENCY_LOCKED:
      return new LedgerError('CURRENCY_LOCKED', `${op}: tenant ${subject} holds money or live calls; its currency cannot change`);
    case ScriptCode.TENANT_BUSY:
      return new LedgerError('TENANT_BUSY', `${op}: tenant ${subject} has live calls; retry when they have ended`);
    case ScriptCode.BAD_ARGUMENT:
      return new LedgerError('BAD_INPUT', `${op}: the amount for ${subject} is out of range`);
    default:
      return new LedgerError('SCRIPT_FAILED', `${op}: unexpected script result ${ScriptCode[code] ?? code} for ${subject}`);
  }
}
