/**
 * A tenant's own notice webhook: a URL a tenant admin typed, fetched by the
 * gateway, so it must not reach the operator's own network. Under the
 * default policy ("public-https", config notify.tenantWebhooks) the URL is
 * https, names no local or private address, and the connection itself
 * refuses a name that resolves to one (the check is in the socket's DNS
 * lookup, so a name cannot change between the check and the connect).
 */
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { request } from 'node:https';
import { isIP } from 'node:net';
import { errorReason, type Attempt } from './retry.js';
import { EVENT_ID_HEADER, postWebhook, signBody, SIGNATURE_HEADER, type Webhook } from './webhook.js';

export type TenantWebhookPolicy = 'public-https' | 'any';

const V4_PRIVATE: Array<[number, number]> = [
  [0x00000000, 8], [0x0a000000, 8], [0x64400000, 10], [0x7f000000, 8], [0xa9fe0000, 16], [0xac100000, 12],
  [0xc0000000, 24], [0xc0a80000, 16], [0xc6120000, 15], [0xe0000000, 4], [0xf0000000, 4],
];

function v4Number(ip: string): number {
  return ip.split('.').reduce((n, part) => n * 256 + Number(part), 0);
}

/** Loopback, private, link-local, carrier-grade NAT, multicast, reserved, unspecified (IPv4 and IPv6). */
export function isPrivateAddress(ip: string): boolean {
  if (isIP(ip) === 4) {
    const n = v4Number(ip);
    return V4_PRIVATE.some(([base, bits]) => (n >>> (32 - bits)) === (base >>> (32 - bits)));
  }
  const a = ip.toLowerCase();
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(a);
  if (mapped) return isPrivateAddress(mapped[1]!);
  // The same, as URL parsing writes it: ::ffff:a00:1 is 10.0.0.1.
  const hex = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(a);
  if (hex) {
    const [hi, lo] = [parseInt(hex[1]!, 16), parseInt(hex[2]!, 16)];
    return isPrivateAddress(`${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`);
  }
  return a === '::' || a === '::1' || /^f[cd]/.test(a) || /^fe[89ab]/.test(a) || a.startsWith('ff');
}

/** What is wrong with a tenant's webhook URL under the policy, or undefined. */
export function webhookUrlProblem(text: string, policy: TenantWebhookPolicy): string | undefined {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return 'an https:// URL, e.g. "https://hooks.example.com/tollgate"';
  }
  if (url.protocol !== 'https:' && (policy !== 'any' || url.protocol !== 'http:')) return 'must start with https://';
  if (url.username || url.password) return 'must not carry a user name or password';
  if (policy === 'any') return undefined;
  const host = url.hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (host === 'localhost' || host.endsWith('.localhost')) return 'must not name this machine';
  if (isIP(host) && isPrivateAddress(host)) return 'must be a public address, not a local or private one';
  return undefined;
}

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/** The socket's DNS lookup: refuses a name any of whose addresses is private. */
function publicOnlyLookup(hostname: string, options: { all?: boolean; family?: number }, callback: LookupCallback): void {
  dnsLookup(hostname, { all: true, ...(options.family ? { family: options.family } : {}) }, (err, addresses) => {
    if (err) return callback(err, '');
    const list = addresses as LookupAddress[];
    if (list.length === 0 || list.some((a) => isPrivateAddress(a.address))) {
      return callback(Object.assign(new Error(`${hostname} resolves to a local or private address`), { code: 'EPRIVATE' }), '');
    }
    if (options.all) return callback(null, list);
    return callback(null, list[0]!.address, list[0]!.family);
  });
}

/** One delivery to a tenant's webhook under the policy: signed as every webhook is; a private target is a final failure. */
export async function postTenantWebhook(hook: Webhook, eventId: string, body: string, timeoutMs: number, policy: TenantWebhookPolicy): Promise<Attempt<number>> {
  if (policy === 'any') return postWebhook(hook, eventId, body, timeoutMs);
  const problem = webhookUrlProblem(hook.url, policy);
  if (problem) return { ok: false, permanent: true, reason: `tenant webhook ${problem}` };
  return new Promise((resolve) => {
    const req = request(
      hook.url,
      {
        method: 'POST',
        lookup: publicOnlyLookup as never,
        timeout: timeoutMs,
        headers: {
          'Content-Type': 'application/json',
          'Content-Length': Buffer.byteLength(body),
          'User-Agent': 'tollgate',
          [SIGNATURE_HEADER]: signBody(body, hook.secret),
          [EVENT_ID_HEADER]: eventId,
        },
      },
      (res) => {
        res.resume();
        const status = res.statusCode ?? 0;
        if (status >= 200 && status < 300) return resolve({ ok: true, value: status });
        resolve({ ok: false, permanent: status < 500 && status !== 408 && status !== 429, reason: `HTTP ${status}` });
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', (err: NodeJS.ErrnoException) => resolve({ ok: false, permanent: err.code === 'EPRIVATE', reason: errorReason(err) }));
    req.end(body);
  });
}
