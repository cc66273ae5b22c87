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
 * sessions), in fields or in logged request headers.
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
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
  };
  if (o.pretty) {
    const destination = o.destination ?? process.stdout;
    const colorize = destination === process.stdout && process.stdout.isTTY === true;
    // Synchronous: lines written just before the process exits are not lost.
    return pino(options, prettyStream({ sync: true, colorize, destination, translateTime: 'SYS:yyyy-mm-dd HH:MM:ss.l o', ignore: 'pid,hostname' }));
  }
  return o.destination ? pino(options, o.destination) : pino(options);
}

/** A logger that stamps callId (and any other fields) on each line. */
export function callLogger(root: Logger, callId: string, fields: Record<string, unknown> = {}): Logger {
  return root.child({ callId, ...fields });
}

/** A silent logger for tests and one-shot commands. */
export const silentLogger: Logger = pino({ level: 'silent' });
