/**
 * What an answered call keeps of its SIP messages. drachtio-srf's dialogs keep
 * the request and response that set them up for as long as they last (the
 * INVITE and 200 OK of each leg: their raw text, parsed headers, transaction
 * listeners), and every header value read from a message is a slice of its
 * raw text, so a 20-byte tag keeps the whole message alive. At thousands of
 * live calls that is most of a call's memory.
 *
 * Once a call is connected, each dialog gets a small view of its setup
 * messages in their place, holding exactly what a drachtio-srf 5 dialog reads
 * of them afterwards (Dialog#id, #dialogType, #subscribeEvent, #socket:
 * the response's stack dialog id, the request's method, its Event header and
 * its socket), and the strings the dialog keeps (tags, Call-ID, contacts,
 * URIs, SDP, the id srf files it under) are copied out of the message text.
 */
import type Srf from 'drachtio-srf';

/**
 * A string of its own: a copy that shares no storage with the text it was
 * cut from, so keeping it keeps nothing else alive. Short strings are never
 * slices in V8 and are returned as they are.
 */
export function ownString<T extends string | undefined>(s: T): T {
  if (s === undefined || s.length < 13) return s;
  return Buffer.from(s, 'utf8').toString('utf8') as T;
}

/** What a dialog reads of its setup request once it exists. */
class SetupRequestView {
  constructor(
    readonly method: string,
    readonly socket: unknown,
    private readonly event: string | undefined,
  ) {}

  get(name: string): string | undefined {
    return name.toLowerCase() === 'event' ? this.event : undefined;
  }
}

/** What a dialog reads of its setup response once it exists. */
class SetupResponseView {
  constructor(
    readonly stackDialogId: string,
    readonly agent: unknown,
  ) {}
}

interface DialogInternals {
  srf: { findDialogById(id: string): unknown; removeDialog(dialog: unknown): void; addDialog(dialog: unknown): void };
  req: { method: string; socket: unknown; get(name: string): string | undefined };
  res: { stackDialogId: string; agent: unknown };
  sip: { callId: string; localTag: string; remoteTag: string };
  local: { uri: string; sdp: string; contact: string };
  remote: { uri: string; sdp: string };
}

/** SIP methods by name, so that a dialog's method is one shared string, not a copy per call. */
const METHODS = new Map(['INVITE', 'SUBSCRIBE', 'REFER', 'NOTIFY'].map((m) => [m, m]));

/**
 * Lets the connected dialogs of one call go of their setup messages. Every
 * in-dialog action (BYE, re-INVITE, UPDATE, INFO, the far end's requests)
 * works as before; what the dialogs no longer have is the messages
 * themselves, which Tollgate reads (for the call's wire state) before calling
 * this. Equal strings of the call's dialogs (a B2BUA's two legs carry the
 * same SDP offer and answer) become one copy.
 */
export function releaseSetupMessages(...dialogs: Srf.Dialog[]): void {
  const copies = new Map<string, string>();
  const own = <T extends string | undefined>(s: T): T => {
    if (s === undefined) return s;
    let copy = copies.get(s);
    if (copy === undefined) copies.set(s, (copy = ownString(s)));
    return copy as T;
  };
  for (const dialog of dialogs) release(dialog, own);
}

function release(dialog: Srf.Dialog, own: <T extends string | undefined>(s: T) => T): void {
  const d = dialog as unknown as DialogInternals;
  if (d.req instanceof SetupRequestView) return;
  const req = d.req;
  const res = d.res;
  // srf finds a dialog by its id for every in-dialog request; the key it was filed under is a slice too.
  const srf = d.srf;
  const filed = srf.findDialogById(res.stackDialogId) === dialog;
  if (filed) srf.removeDialog(dialog);
  const method = METHODS.get(req.method) ?? own(req.method);
  d.req = new SetupRequestView(method, req.socket, method === 'SUBSCRIBE' ? own(req.get('Event')) : undefined);
  d.res = new SetupResponseView(own(res.stackDialogId), res.agent);
  if (filed) srf.addDialog(dialog);
  d.sip.callId = own(d.sip.callId);
  d.sip.localTag = own(d.sip.localTag);
  d.sip.remoteTag = own(d.sip.remoteTag);
  d.local.uri = own(d.local.uri);
  d.local.sdp = own(d.local.sdp);
  d.local.contact = own(d.local.contact);
  d.remote.uri = own(d.remote.uri);
  d.remote.sdp = own(d.remote.sdp);
}
