/**
 * One webhook delivery attempt: the notice as JSON, signed with HMAC-SHA256
 * over the raw body so the receiver can tell it came from this gateway.
 */
import { createHmac } from 'node:crypto';
import { errorReason, type Attempt } from './retry.js';

export const SIGNATURE_HEADER = 'X-Tollgate-Signature';
export const EVENT_ID_HEADER = 'X-Tollgate-Event-Id';

/** "sha256=<hex>" of the raw body under the webhook's secret. */
export function signBody(body: string, secret: string): string {
  return `sha256=${createHmac('sha256', secret).update(body, 'utf8').digest('hex')}`;
}

export interface Webhook {
  url: string;
  secret: string;
}

/** 2xx delivered; 408, 429, 5xx, timeouts and network errors are retried; other 4xx are final. */
export async function postWebhook(hook: Webhook, eventId: string, body: string, timeoutMs: number): Promise<Attempt<number>> {
  try {
    const res = await fetch(hook.url, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/json',
        'User-Agent': 'tollgate',
        [SIGNATURE_HEADER]: signBody(body, hook.secret),
        [EVENT_ID_HEADER]: eventId,
      },
      body,
      signal: AbortSignal.timeout(timeoutMs),
    });
    await res.body?.cancel();
    if (res.ok) return { ok: true, value: res.status };
    const permanent = res.status < 500 && res.status !== 408 && res.status !== 429;
    return { ok: false, permanent, reason: `HTTP ${res.status}` };
  } catch (err) {
    return { ok: false, permanent: false, reason: errorReason(err) };
  }
}
