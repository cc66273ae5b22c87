/**
 * A call's wire state: what any instance needs to end both legs of a call
 * that another (lost) instance carried. drachtio-server sends a request that
 * names the Call-ID of a dialog it holds inside that dialog (its own tags,
 * CSeq and route set); if the dialog is gone from it, the From/To tags and the
 * remote target let the BYE still reach the endpoint as an in-dialog request.
 */
import type Srf from 'drachtio-srf';
import type { EndReason } from '../domain.js';
import type { Logger } from '../log.js';
import { byeReason } from './responses.js';

export interface LegWire {
  callId: string;
  /** Our side of the dialog, with our tag. */
  from: string;
  /** The far side, with its tag. */
  to: string;
  /** The far side's Contact: where an out-of-dialog BYE is sent. */
  target: string;
}

export interface CallWire {
  /** The drachtio-server that carried the call ("host:port"), or "" in outbound mode. */
  edge: string;
  legs: LegWire[];
}

interface DialogMessages {
  type: 'uas' | 'uac';
  sip: { callId: string; localTag: string; remoteTag: string };
  remote: { uri: string };
  req: { get(name: string): string };
  res: { get(name: string): string };
}

function withTag(header: string, tag: string): string {
  return /;\s*tag=/i.test(header) ? header : `${header};tag=${tag}`;
}

/** The wire state of one dialog of drachtio-srf. */
export function legWire(dialog: Srf.Dialog): LegWire {
  const d = dialog as unknown as DialogMessages;
  if (d.type === 'uas') {
    return { callId: d.sip.callId, from: withTag(d.req.get('To'), d.sip.localTag), to: d.req.get('From'), target: d.remote.uri };
  }
  return { callId: d.sip.callId, from: d.req.get('From'), to: withTag(d.res.get('To'), d.sip.remoteTag), target: d.remote.uri };
}

export function parseWire(text: string): CallWire | null {
  try {
    const w = JSON.parse(text) as CallWire;
    if (!Array.isArray(w.legs)) return null;
    return w;
  } catch {
    return null;
  }
}

/** Sends BYE on every leg of a call wire through srf; resolves to the legs that answered. */
export async function byeLegs(srf: Srf, wire: CallWire, reason: EndReason, log: Logger): Promise<number> {
  let answered = 0;
  await Promise.all(
    wire.legs.map(
      (leg) =>
        new Promise<void>((resolve) => {
          const opts = { method: 'BYE', headers: { 'Call-ID': leg.callId, From: leg.from, To: leg.to, Reason: byeReason(reason) } };
          try {
            (srf.request as unknown as (uri: string, o: object, cb: (err: unknown, req?: { on(ev: string, f: (res: { status: number }) => void): void }) => void) => void)(
              leg.target,
              opts,
              (err, req) => {
                if (err || !req) {
                  log.warn({ callId: leg.callId, err: (err as Error | undefined)?.message }, 'BYE for a recovered call could not be sent');
                  return resolve();
                }
                req.on('response', (res) => {
                  if (res.status < 300 || res.status === 481) answered++;
                  resolve();
                });
              },
            );
          } catch (err) {
            log.warn({ callId: leg.callId, err: (err as Error).message }, 'BYE for a recovered call could not be sent');
            resolve();
          }
        }),
    ),
  );
  return answered;
}
