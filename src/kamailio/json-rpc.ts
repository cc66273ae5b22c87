/**
 * A JSON-RPC 2.0 client for Kamailio's jsonrpcs module over HTTP (xhttp):
 * how Tollgate ends a dialog on the platform (dlg.end_dlg).
 */
import type { EndReason } from '../domain.js';
import { byeReason } from '../sip/responses.js';

/** Kamailio answered with a JSON-RPC error, or not at all. */
export class KamailioRpcError extends Error {
  constructor(
    readonly code: 'RPC_ERROR' | 'RPC_UNREACHABLE',
    message: string,
    /** Kamailio's own error code (e.g. 404 "Requested Dialog not found") when it answered. */
    readonly rpcCode?: number,
  ) {
    super(message);
  }
}

let nextId = 1;

export async function callRpc(url: string, method: string, params: unknown[], timeoutMs: number): Promise<unknown> {
  const id = nextId++;
  let res: Response;
  try {
    res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', method, params, id }),
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (err) {
    throw new KamailioRpcError('RPC_UNREACHABLE', `Kamailio JSON-RPC at ${url} did not answer ${method}: ${(err as Error).message}`);
  }
  const text = await res.text();
  let body: { result?: unknown; error?: { code?: number; message?: string } };
  try {
    body = JSON.parse(text) as typeof body;
  } catch {
    throw new KamailioRpcError('RPC_ERROR', `Kamailio JSON-RPC at ${url} answered ${method} with HTTP ${res.status} and no JSON: ${text.slice(0, 200)}`);
  }
  if (body.error) {
    throw new KamailioRpcError('RPC_ERROR', `Kamailio ${method} failed: ${body.error.code ?? ''} ${body.error.message ?? ''}`.trim(), body.error.code);
  }
  return body.result;
}

/** The dialog's address in Kamailio's dialog table (the dialog module's $dlg(h_entry), $dlg(h_id)). */
export interface DialogRef {
  hEntry: number;
  hId: number;
}

/**
 * Ends a confirmed dialog: Kamailio sends BYE to both sides with a Reason
 * header. Resolves false when Kamailio no longer knows the dialog (already over).
 */
export async function endDialog(url: string, dialog: DialogRef, reason: EndReason, timeoutMs: number): Promise<boolean> {
  try {
    await callRpc(url, 'dlg.end_dlg', [dialog.hEntry, dialog.hId, `Reason: ${byeReason(reason)}\r\n`], timeoutMs);
    return true;
  } catch (err) {
    if (err instanceof KamailioRpcError && err.code === 'RPC_ERROR' && err.rpcCode === 404) return false;
    throw err;
  }
}
