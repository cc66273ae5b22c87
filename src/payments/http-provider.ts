/**
 * One recharge request to the HTTP payment provider: a JSON POST with the
 * recharge reference as idempotency key, a timeout, and a decline/transient split.
 */
import { errorReason, type Attempt } from '../notify/retry.js';

export interface RechargeRequest {
  tenantId: string;
  /** Decimal text in the tenant's currency ("50.00"). */
  amount: string;
  currency: string;
  /** Deterministic per threshold crossing; the provider must charge once per key. */
  reference: string;
}

export interface ProviderEndpoint {
  url: string;
  token?: string;
  timeoutMs: number;
}

/** What a provider answered when it took the payment. */
export interface ProviderReceipt {
  status: number;
  /** The provider's own payment id, when its answer carries one. */
  paymentId?: string;
}

async function readJson(res: Response): Promise<Record<string, unknown>> {
  try {
    const body: unknown = await res.json();
    return typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

function declineReason(status: number, body: Record<string, unknown>): string {
  for (const key of ['reason', 'message', 'error']) {
    const v = body[key];
    if (typeof v === 'string' && v.trim() !== '') return v.trim().slice(0, 200);
  }
  return `HTTP ${status}`;
}

/**
 * 2xx: paid. 408, 429, 5xx, timeouts and network errors: transient, retried
 * with the same idempotency key. Any other 4xx (402 card declined, 400, 401):
 * a decline, final.
 */
export async function postRecharge(endpoint: ProviderEndpoint, req: RechargeRequest, shutdown?: AbortSignal): Promise<Attempt<ProviderReceipt>> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new DOMException('provider timed out', 'TimeoutError')), endpoint.timeoutMs);
  const onShutdown = () => controller.abort(new DOMException('shutting down', 'AbortError'));
  shutdown?.addEventListener('abort', onShutdown, { once: true });
  try {
    const res = await fetch(endpoint.url, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/json',
        'User-Agent': 'tollgate',
        'Idempotency-Key': req.reference,
        ...(endpoint.token ? { Authorization: `Bearer ${endpoint.token}` } : {}),
      },
      body: JSON.stringify(req),
      signal: controller.signal,
    });
    const body = await readJson(res);
    if (res.ok) {
      const id = body.id ?? body.paymentId;
      return { ok: true, value: { status: res.status, ...(typeof id === 'string' ? { paymentId: id } : {}) } };
    }
    const transient = res.status >= 500 || res.status === 408 || res.status === 429;
    const reason = declineReason(res.status, body);
    return { ok: false, permanent: !transient, reason: transient ? `provider unavailable (${reason})` : reason };
  } catch (err) {
    const reason = controller.signal.aborted ? errorReason(controller.signal.reason) : errorReason(err);
    return { ok: false, permanent: false, reason: `provider unreachable (${reason})` };
  } finally {
    clearTimeout(timer);
    shutdown?.removeEventListener('abort', onShutdown);
  }
}
