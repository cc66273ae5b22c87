/**
 * The pino root logger, and per-call child loggers that carry the call id on
 * every line of a call.
 */
import { pino, type Logger } from 'pino';

export type { Logger };

export function createLogger(level: string = process.env.TOLLGATE_LOG_LEVEL ?? 'info'): Logger {
  return pino({ name: 'tollgate', level, base: { pid: process.pid } });
}

/** A logger that stamps callId (and any other fields) on each line. */
export function callLogger(root: Logger, callId: string, fields: Record<string, unknown> = {}): Logger {
  return root.child({ callId, ...fields });
}

/** A silent logger for tests and one-shot commands. */
export const silentLogger: Logger = pino({ level: 'silent' });
