/**
 * A Kamailio call's wire state: where any instance ends it on the platform
 * (the JSON-RPC endpoint and the dialog's hash entry and id), recorded with its hold.
 */
import type { DialogRef } from './json-rpc.js';

export interface KamailioWire {
  kind: 'kamailio';
  /** The JSON-RPC endpoint of the Kamailio that carries the dialog. */
  rpc: string;
  h_entry: number;
  h_id: number;
  /** The SIP Call-ID, for the operator reading a log line. */
  callId: string;
}

export function kamailioWire(rpc: string, dialog: DialogRef, callId: string): KamailioWire {
  return { kind: 'kamailio', rpc, h_entry: dialog.hEntry, h_id: dialog.hId, callId };
}

/** A recorded wire state if it is a Kamailio one, else null (the drachtio wire has no kind). */
export function parseKamailioWire(text: string): KamailioWire | null {
  try {
    const w = JSON.parse(text) as Partial<KamailioWire>;
    if (w.kind !== 'kamailio' || typeof w.rpc !== 'string' || !Number.isInteger(w.h_entry) || !Number.isInteger(w.h_id)) return null;
    return w as KamailioWire;
  } catch {
    return null;
  }
}

/** The wire's kind without parsing it twice in the dispatcher: "kamailio", or "drachtio" for the SIP layer's {edge, legs}. */
export function wireKind(text: string): 'kamailio' | 'drachtio' {
  return parseKamailioWire(text) ? 'kamailio' : 'drachtio';
}
