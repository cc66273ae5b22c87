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

/** Ends a call on the wire from the wire state another instance recorded (a lost instance's call). */
export interface WireEnder {
  endRemote(wire: string, reason: EndReason, ids: { callId: string; tenantId: string }): Promise<void>;
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
  /** Now on the call's timeline (its start on the wall clock plus monotonic time since): pass it to answered/end to date an event. */
  now(): number;
  /** What another instance needs to end the call on the wire (the transport's own dialog state, opaque here). */
  setWireState(state: string): void;
  /** The callee answered (200 OK): metering starts now. */
  answered(atMs?: number): Promise<void>;
  /** The call ended for any reason; settles or releases exactly once, idempotent. */
  end(reason: EndReason, atMs?: number): Promise<void>;
  /** The call as the live-call list shows it (state, funded time, held money). */
  snapshot(): LiveCall;
}

export type AuthorizeOutcome =
  | {
      allowed: true;
      session: CallSession;
      /** Normalized destination, E.164 with "+". */
      destination: string;
      /** For inbound service numbers: the SIP URI to route to. */
      target?: string;
      /** The call type decided at admission (emergency when rule 8 applied). */
      callType?: CallType;
      /** Answered seconds funded by the first hold. */
      fundedSeconds?: number;
    }
  | {
      allowed: false;
      code: RejectCode;
      message: string;
      /** LIMIT_RATE: when an attempt would be allowed again (ms). */
      retryAfterMs?: number;
    };

/** One call this instance is tracking, as shown to operators (admin API). */
export interface LiveCall {
  callId: string;
  tenantId: string;
  userId?: string;
  callType: CallType;
  direction: 'outbound' | 'inbound';
  state: SessionState;
  /** E.164 with "+" (inbound: the service number dialed; may be a short code for emergency calls). */
  destination: string;
  currency: string;
  createdAtMs: number;
  answeredAtMs?: number;
  /** Answered seconds funded so far. */
  fundedSeconds: number;
  /** When the funded time of an answered call ends (UTC ms); absent before answer and for free calls. */
  fundedUntilMs?: number;
  /** Money the ledger holds for this call (micros), as of its hold or last extension. */
  heldMicros: number;
  /** Emergency and toll inbound calls: never cut for lack of funds. */
  free: boolean;
  /** Let through without a hold while the ledger was unreachable (calls.failOpen). */
  unbilled: boolean;
  endReason?: EndReason;
}

/** What the SIP and HTTP layers use: admission, live-call registry, shutdown and recovery. */
export interface CallControl {
  /** Admission: identify payer, rate, entitle and hold the first slice; never throws. */
  authorize(setup: CallSetup, transport: CallTransport): Promise<AuthorizeOutcome>;
  /** The session of a live call of this instance (the first with this call id when no tenant is named). */
  session(callId: string, tenantId?: string): CallSession | undefined;
  liveCalls(): LiveCall[];
  /** Admin hang-up: the transport is told to hang up, the call settles as admin_hangup. False when unknown here. */
  hangUp(callId: string, tenantId?: string): Promise<boolean>;
  /** Calls tracked by this instance (authorizing, ringing, answered or ending). */
  activeCount(): number;
  /** True once drain() was called: authorize answers DRAINING. */
  readonly draining: boolean;
  /**
   * Stops admitting calls and resolves when every live call has ended. With
   * graceMs, calls still up after it are hung up with reason `shutdown`.
   */
  drain(graceMs?: number): Promise<void>;
  /** Starts the periodic recovery of expired holds (every calls.recoveryIntervalMs). */
  startRecovery(): void;
  /** One recovery pass now; resolves to the number of calls it settled. */
  recoverNow(): Promise<number>;
  /** Stops the recovery loop and every timer; live calls are left to lease recovery. */
  stop(): Promise<void>;
}
