/**
 * How a refused call is answered on the wire: reject code to SIP status and
 * reason phrase, plus the machine-readable reason header and Retry-After.
 */
import type { EndReason, RejectCode } from '../domain.js';

export interface SipRejection {
  status: number;
  phrase: string;
  headers: Record<string, string>;
}

const STATUS: Record<RejectCode, [number, string]> = {
  NO_FUNDS: [402, 'Payment Required'],
  POLICY: [403, 'Forbidden - Policy'],
  NO_LICENCE: [403, 'Forbidden - No Licence'],
  NO_RATE: [403, 'Forbidden - No Rate'],
  PREMIUM_BLOCKED: [403, 'Forbidden - Premium Blocked'],
  UNKNOWN_PEER: [403, 'Forbidden - Unknown Peer'],
  UNKNOWN_TENANT: [403, 'Forbidden - Unknown Tenant'],
  UNKNOWN_USER: [403, 'Forbidden - Unknown User'],
  UNKNOWN_NUMBER: [404, 'Not Found'],
  MALFORMED_NUMBER: [484, 'Address Incomplete'],
  UNAVAILABLE: [503, 'Service Unavailable'],
  DRAINING: [503, 'Service Unavailable - Draining'],
  OVERLOADED: [503, 'Service Unavailable - Overloaded'],
  LIMIT_CONCURRENT: [486, 'Busy Here - Concurrent Call Limit'],
  LIMIT_SPEND: [403, 'Forbidden - Spend Limit'],
  LIMIT_CALL_CHARGE: [403, 'Forbidden - Call Charge Limit'],
  LIMIT_RATE: [503, 'Service Unavailable - Call Attempt Limit'],
  LIMIT_DESTINATION: [403, 'Forbidden - Destination Not Allowed'],
  HIGH_RISK_DENIED: [403, 'Forbidden - High-Risk Destination'],
};

/** The final response for a refused call; 503s carry Retry-After so callers try another gateway or later. */
export function rejection(
  code: RejectCode,
  reasonHeader: string,
  retryAfterSeconds: number,
  /** sip.concurrentLimitStatus: a concurrent-call limit answered 486 (busy) or 503 (try elsewhere). */
  concurrentLimitStatus: 486 | 503 = 486,
): SipRejection {
  let [status, phrase] = STATUS[code];
  if (code === 'LIMIT_CONCURRENT' && concurrentLimitStatus === 503) [status, phrase] = [503, 'Service Unavailable - Concurrent Call Limit'];
  const headers: Record<string, string> = { [reasonHeader]: code };
  if (status === 503) headers['Retry-After'] = String(retryAfterSeconds);
  return { status, phrase, headers };
}

/** A Warning header value (RFC 3261 20.43): the text is a quoted string, so inner quotes and backslashes are replaced. */
export function warningText(message: string): string {
  return `399 tollgate "${message.replace(/["\\]/g, "'").replace(/[\r\n]+/g, ' ')}"`;
}

/** The Reason header (RFC 3326) on the BYEs the gateway sends itself; Q.850 16 = normal call clearing. */
export function byeReason(reason: EndReason): string {
  return `Q.850;cause=16;text="${reason}"`;
}
