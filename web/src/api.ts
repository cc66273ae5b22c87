/**
 * The portal's only way to the gateway: the same /v1 API everyone uses, with
 * the session cookie (sent by the browser) and the session's CSRF token on
 * every change. Errors keep the API's code, message and per-field messages.
 */
export interface FieldError {
  path: string;
  message: string;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly fields: FieldError[] = [],
    readonly retryAfter?: number,
  ) {
    super(message);
  }
  /** The message of one field (the API's path, e.g. "autoRecharge.threshold"). */
  field(path: string): string | undefined {
    return this.fields.find((f) => f.path === path)?.message;
  }
}

export interface Session {
  kind: 'operator' | 'tenant';
  tenantId?: string;
  adminId?: string;
  email?: string;
  displayName?: string;
  role: 'read' | 'manage';
  csrfToken: string;
  expiresAt: string;
  payments: 'manual' | 'http';
  plans: Array<{ sku: string; name: string }>;
}

let csrfToken = '';
let onSessionEnded: () => void = () => {};

export function useSession(s: Session | null): void {
  csrfToken = s?.csrfToken ?? '';
}
export function whenSessionEnds(fn: () => void): void {
  onSessionEnded = fn;
}

export async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET' && csrfToken) headers['x-csrf-token'] = csrfToken;
  const res = await fetch(path, { method, headers, credentials: 'same-origin', ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
  if (res.status === 204) return undefined as T;
  const data = (await res.json().catch(() => ({}))) as Record<string, unknown>;
  if (!res.ok) {
    const err = new ApiError(
      res.status,
      String(data.error ?? 'ERROR'),
      String(data.message ?? res.statusText),
      Array.isArray(data.fields) ? (data.fields as FieldError[]) : [],
      res.headers.get('retry-after') ? Number(res.headers.get('retry-after')) : undefined,
    );
    if (res.status === 401 && !path.startsWith('/portal/api/login') && !path.startsWith('/portal/api/operator-login')) onSessionEnded();
    throw err;
  }
  return data as T;
}

export const tenantPath = (tenantId: string, rest = '') => `/v1/tenants/${encodeURIComponent(tenantId)}${rest}`;

/** Digits after the point of the tenant's currency, read from money text the API wrote ("25.00" -> 2). */
export function currencyDigits(sample: string): number {
  const dot = sample.indexOf('.');
  return dot < 0 ? 0 : sample.length - dot - 1;
}

export interface Balance {
  tenantId: string;
  currency: string;
  balance: string;
  held: string;
  available: string;
  creditLimit: string;
  liveCalls: number;
  pools: Array<{ kind: 'plan' | 'dialout'; country?: string; sku?: string; scope?: string; month: string; sizeSeconds: number; usedSeconds: number; heldSeconds?: number; leftSeconds: number }>;
}

export interface Tenant {
  id: string;
  name: string;
  currency: string;
  country: string;
  creditLimit: string;
  autoRecharge?: { threshold: string; amount: string };
  noticeEmail?: string;
  noticeWebhook?: { url: string };
}

export interface User {
  id: string;
  tenantId: string;
  upn: string;
  displayName: string;
  usageCountry: string;
  number?: string;
  plan?: string;
  policy: 'international_and_domestic' | 'domestic' | 'none';
  dialOutPolicy: 'any' | 'same_country' | 'zone_a' | 'none';
  licences: Array<'communicationCredits' | 'audioConferencing'>;
  limits?: Record<string, unknown>;
}

export interface ServiceNumber {
  number: string;
  tenantId: string;
  kind: 'toll-free' | 'toll';
  service: 'conferencing' | 'auto_attendant' | 'call_queue';
  target: string;
}

export interface UsageRecord {
  usageId: string;
  callId: string;
  userId?: string;
  userDisplayName?: string;
  callType: string;
  callDirection: string;
  destinationNumber: string;
  startTime: string;
  durationSeconds: number;
  charge: string;
  currency: string;
  capability: string;
  endReason: string;
}

export interface LiveCall {
  callId: string;
  tenantId: string;
  userId?: string;
  callType: string;
  direction: string;
  state: string;
  destination: string;
  currency: string;
  answeredAt?: string;
  fundedSeconds: number;
  fundedUntil?: string;
  held: string;
  free: boolean;
}
