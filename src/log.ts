/**
 * The pino root logger, and per-call child loggers that carry the call id on
 * every line of a call. Times are ISO 8601; a human-readable mode (pino-pretty)
 * is there for a person at a terminal; a warning that only repeats itself is
 * written once, then at debug level for a while.
 */
import type { Writable } from 'node:stream';
import { pino, stdTimeFunctions, type Logger, type LogFn } from 'pino';
import { build as prettyStream } from 'pino-pretty';

export type { Logger };

export interface LoggerOptions {
  level?: string;
  /** Human-readable lines (pino-pretty) instead of JSON. */
  pretty?: boolean;
  /** Where lines go; stdout by default. */
  destination?: Writable;
  /** A warning repeated within this time goes out at debug level; default 10 minutes. */
  repeatWindowMs?: number;
}

const WARN = 40;

/**
 * Secrets a log line must never carry, wherever a caller puts them: passwords,
 * tokens and API keys, session cookies, CSRF tokens (the portal's sign-in and
 * sessions), in fields or in logged request headers. Censored by
 * censorSecrets on every line and every child logger's fields.
 */
export const REDACTED_PATHS = [
  'password',
  '*.password',
  'apiKey',
  '*.apiKey',
  'csrfToken',
  '*.csrfToken',
  'cookie',
  'headers.authorization',
  'headers.cookie',
  'headers["x-csrf-token"]',
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-csrf-token"]',
  'res.headers["set-cookie"]',
];
const CENSOR = '[redacted]';
const TOP_SECRETS = ['password', 'apiKey', 'csrfToken', 'cookie'];
const NESTED_SECRETS = ['password', 'apiKey', 'csrfToken'];
const REQUEST_HEADER_SECRETS = ['authorization', 'cookie', 'x-csrf-token'];
const RESPONSE_HEADER_SECRETS = ['set-cookie'];
const own = (o: object, k: string): boolean => Object.prototype.hasOwnProperty.call(o, k);
const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** o with each of keys it has set to the censor: o itself when it has none (nothing is copied on the way of a clean line). */
function censorKeys(o: Record<string, unknown>, keys: readonly string[]): Record<string, unknown> {
  let out = o;
  for (const k of keys) {
    if (!own(o, k)) continue;
    if (out === o) out = { ...o };
    out[k] = CENSOR;
  }
  return out;
}

/** o with its `headers` member censored by keys: o itself when there is nothing to censor. */
function censorHeadersOf(o: Record<string, unknown>, keys: readonly string[]): Record<string, unknown> {
  const headers = o.headers;
  if (!isRecord(headers)) return o;
  const clean = censorKeys(headers, keys);
  return clean === headers ? o : { ...o, headers: clean };
}

/**
 * The fields of a log line (or of a child logger) with every REDACTED_PATHS
 * secret replaced by "[redacted]"; the same object, untouched, when it
 * carries none — the common case costs a look at each field and no copy.
 */
export function censorSecrets(fields: Record<string, unknown>): Record<string, unknown> {
  let out = censorKeys(fields, TOP_SECRETS);
  for (const key in fields) {
    const value = fields[key];
    if (!isRecord(value) || TOP_SECRETS.includes(key)) continue;
    let clean = censorKeys(value, NESTED_SECRETS);
    if (key === 'headers') clean = censorKeys(clean, REQUEST_HEADER_SECRETS);
    else if (key === 'req') clean = censorHeadersOf(clean, REQUEST_HEADER_SECRETS);
    else if (key === 'res') clean = censorHeadersOf(clean, RESPONSE_HEADER_SECRETS);
    if (clean === value) continue;
    if (out === fields) out = { ...fields };
    out[key] = clean;
  }
  return out;
}
const REPEAT_WINDOW_MS = 10 * 60_000;
/** Enough distinct warnings for any real failure; the oldest are forgotten past it. */
const MAX_REMEMBERED = 500;

function errorText(value: unknown): string {
  if (value instanceof Error) return value.message;
  return typeof value === 'string' ? value : JSON.stringify(value ?? null);
}

/**
 * The same warning (same logger bindings, message and error text) is logged
 * at warn once per window, at debug in between: a link that stays down
 * (drachtio-server, Redis) says so once, not every reconnect attempt forever.
 */
function quietRepeats(windowMs: number) {
  const firstSeen = new Map<string, number>();
  return function logMethod(this: Logger, args: Parameters<LogFn>, method: LogFn, level: number): void {
    if (level === WARN) {
      const [first, second] = args as unknown[];
      const fields = typeof first === 'object' && first !== null ? (first as Record<string, unknown>) : {};
      const msg = typeof first === 'string' ? first : String(second ?? '');
      const key = `${JSON.stringify(this.bindings())}|${msg}|${errorText(fields.err ?? fields.error)}`;
      const now = Date.now();
      const seen = firstSeen.get(key);
      if (seen !== undefined && now - seen < windowMs) {
        if (this.isLevelEnabled('debug')) this.debug(...(args as [object, string]));
        return;
      }
      firstSeen.delete(key);
      firstSeen.set(key, now);
      if (firstSeen.size > MAX_REMEMBERED) firstSeen.delete(firstSeen.keys().next().value!);
    }
    method.apply(this, args);
  };
}

export function createLogger(opts: LoggerOptions | string = {}): Logger {
  const o: LoggerOptions = typeof opts === 'string' ? { level: opts } : opts;
  const level = o.level ?? process.env.TOLLGATE_LOG_LEVEL ?? 'info';
  const options = {
    name: 'tollgate',
    level,
    base: { pid: process.pid },
    timestamp: stdTimeFunctions.isoTime,
    hooks: { logMethod: quietRepeats(o.repeatWindowMs ?? REPEAT_WINDOW_MS) },
    // Not pino's redact option: it copies and walks every line (about 10 KB of garbage a line); this looks and copies only on a hit.
    formatters: { log: censorSecrets, bindings: censorSecrets },
    // pino applies formatters.bindings to the root only: every child's fields are censored by censoringChildren below.
  };
  if (o.pretty) {
    const destination = o.destination ?? process.stdout;
    const colorize = destination === process.stdout && process.stdout.isTTY === true;
    // Synchronous: lines written just before the process exits are not lost.
    return censoringChildren(pino(options, prettyStream({ sync: true, colorize, destination, translateTime: 'SYS:yyyy-mm-dd HH:MM:ss.l o', ignore: 'pid,hostname' })));
  }
  return censoringChildren(o.destination ? pino(options, o.destination) : pino(options));
}

/** Child loggers (and theirs: a child inherits its parent's methods) take censored fields. */
function censoringChildren(root: Logger): Logger {
  const child = root.child;
  root.child = function censoredChild(this: Logger, bindings: Record<string, unknown>, options?: Parameters<Logger['child']>[1]) {
    return child.call(this, censorSecrets(bindings), options);
  } as Logger['child'];
  return root;
}

/** A logger that stamps callId (and any other fields) on each line. */
export function callLogger(root: Logger, callId: string, fields: Record<string, unknown> = {}): Logger {
  return root.child({ callId, ...fields });
}

/** A silent logger for tests and one-shot commands. */
export const silentLogger: Logger = pino({ level: 'silent' });
