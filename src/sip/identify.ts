/**
 * Reads what an INVITE says about a call (payer headers from trusted bridges,
 * caller and dialed numbers) into the transport-neutral CallSetup.
 */
import type { CallSetup } from '../calls/types.js';
import type { PeerConfig } from '../config/schema.js';
import type { CallType } from '../domain.js';

export interface HeaderNames {
  tenant: string;
  user: string;
  organizer: string;
  callType: string;
  conference: string;
  reason: string;
}

/**
 * The parts of an incoming INVITE identification needs. The setup keeps the
 * strings it is given for the call's life: a transport whose values are
 * slices of a message's text gives copies (see the SIP gateway's view).
 */
export interface InviteView {
  uri: string;
  callId: string;
  get(name: string): string | undefined;
}

/** An INVITE that cannot be read; answered 400 with the header named. */
export class BadInviteError extends Error {
  readonly code = 'BAD_INVITE';
}

/** Control characters, and U+FFFD that bytes which were no UTF-8 decode to. */
const CONTROL_OR_REPLACEMENT = /[\p{Cc}\ufffd]/u;

const BRIDGE_CALL_TYPES: ReadonlySet<CallType> = new Set(['user_out', 'conf_out']);

/**
 * The user part of a sip:, sips: or tel: URI, or of a name-addr header value
 * ("Alice" <sip:+15551234@host>;tag=1). Undefined when there is none.
 */
export function userPart(value: string | undefined): string | undefined {
  if (!value) return undefined;
  const first = value.trim();
  const bracketed = /<([^>]*)>/.exec(first);
  // Unbracketed, header params follow the URI; a user part's own ';' params come before '@'.
  const uri = (bracketed ? bracketed[1]! : first.split(',')[0]!).trim();
  let user: string | undefined;
  const sip = /^sips?:([^@]*)@/i.exec(uri);
  if (sip) user = sip[1]!.split(';')[0];
  else {
    const tel = /^tel:([^;]*)/i.exec(uri);
    if (tel) user = tel[1];
  }
  if (!user) return undefined;
  try {
    return decodeURIComponent(user);
  } catch {
    return user;
  }
}

function headerValue(invite: InviteView, name: string): string | undefined {
  const v = invite.get(name)?.trim();
  return v ? v : undefined;
}

/** The caller's number: P-Asserted-Identity first (set by a trusted network), else From. */
export function callerNumber(invite: InviteView): string | undefined {
  return userPart(headerValue(invite, 'P-Asserted-Identity')) ?? userPart(headerValue(invite, 'From'));
}

/**
 * Builds the CallSetup of an INVITE from a known peer. Payer headers are read
 * only from bridges: a trunk's X-Tollgate-* headers are never trusted.
 */
export function identify(invite: InviteView, peer: PeerConfig, headers: HeaderNames, receivedAtMs: number): CallSetup {
  const dialed = userPart(invite.uri);
  if (!dialed) throw new BadInviteError(`Request-URI "${invite.uri}" has no user part (the dialed number)`);
  const setup: CallSetup = {
    callId: invite.callId,
    direction: peer.role === 'bridge' ? 'outbound' : 'inbound',
    dialed,
    receivedAtMs,
  };
  const caller = callerNumber(invite);
  if (caller) setup.callerNumber = caller;
  if (peer.role !== 'bridge') return setup;

  const callType = headerValue(invite, headers.callType);
  if (callType !== undefined) {
    if (!BRIDGE_CALL_TYPES.has(callType as CallType)) {
      throw new BadInviteError(`${headers.callType} must be user_out or conf_out, got "${callType}"`);
    }
    setup.callType = callType as CallType;
  }
  const tenantId = headerValue(invite, headers.tenant);
  const userId = headerValue(invite, headers.user);
  const organizerId = headerValue(invite, headers.organizer);
  const conferenceId = headerValue(invite, headers.conference);
  if (tenantId) setup.tenantId = tenantId;
  if (userId) setup.userId = userId;
  if (organizerId) setup.organizerId = organizerId;
  if (conferenceId) {
    // It reaches the usage record and its CSV: plain text only, or the INVITE is refused 400.
    if (conferenceId.length > 256 || CONTROL_OR_REPLACEMENT.test(conferenceId)) {
      throw new BadInviteError(`${headers.conference} must be at most 256 characters of plain text, got ${JSON.stringify(conferenceId.slice(0, 64))}`);
    }
    setup.conferenceId = conferenceId;
  }
  return setup;
}

/** Standard headers passed from the caller's INVITE to the next leg; internal headers never are. */
const FORWARDED_HEADERS = [
  'P-Asserted-Identity',
  'P-Preferred-Identity',
  'Privacy',
  'Remote-Party-ID',
  'Diversion',
  'History-Info',
  'Subject',
  'Priority',
  'Call-Info',
  'Alert-Info',
  'Accept-Language',
];

/** The header names copied to the outgoing INVITE, with every configured internal header left out. */
export function forwardedHeaders(headers: HeaderNames): string[] {
  const internal = new Set(Object.values(headers).map((h) => h.toLowerCase()));
  return FORWARDED_HEADERS.filter((h) => !internal.has(h.toLowerCase()) && !/^x-tollgate-/i.test(h));
}
