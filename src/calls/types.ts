/**
 * The one small interface a transport (the SIP layer, an HTTP API) uses to
 * drive calls: authorize a setup, then report answer and end; the transport
 * is told when to hang up. Nothing here knows SIP.
 */
import type { CallType, EndReason, RejectCode } from '../domain.js';

/** What the transport learned from the call setup, before any decision. */
export interface CallSetup {
  callId: string;
  /** outbound: from a bridge/PBX toward the PSTN; inbound: from a carrier to a service number. */
  direction: 'outbound' | 'inbound';
  /** Call type asserted by a trusted bridge (user_out or conf_out); inferred when absent. */
  callType?: CallType;
  tenantId?: string;
  userId?: string;
  organizerId?: string;
  conferenceId?: string;
  /** Caller number as received (From / P-Asserted-Identity user part). */
  callerNumber?: string;
  /** Dialed number as received (Request-URI user part: national, E.164, tel:/sip:). */
  dialed: string;
  receivedAtMs: number;
}

/** The transport's side: Tollgate asks it to end the call (both legs). */
export interface CallTransport {
  hangUp(reason: EndReason): void | Promise<void>;
}

export type SessionState = 'authorizing' | 'ringing' | 'answered' | 'ending' | 'ended';

export interface CallSession {
  readonly callId: string;
  readonly tenantId: string;
  readonly state: SessionState;
  /** The callee answered (200 OK): metering starts now. */
  answered(atMs?: number): Promise<void>;
  /** The call ended for any reason; settles or releases exactly once, idempotent. */
  end(reason: EndReason, atMs?: number): Promise<void>;
}

export type AuthorizeOutcome =
  | {
      allowed: true;
      session: CallSession;
      /** Normalized destination, E.164 with "+". */
      destination: string;
      /** For inbound service numbers: the SIP URI to route to. */
      target?: string;
    }
  | { allowed: false; code: RejectCode; message: string };
