/**
 * One persistent TCP connection to a Kamailio's evapi socket (Tollgate is the
 * client): netstring JSON both ways, hello with this instance's id and the
 * control token, reconnect with backoff. What the messages mean is evapi-front's.
 */
import { connect, type Socket } from 'node:net';
import type { Logger } from '../log.js';
import { createNetstringDecoder, encodeNetstring } from './netstring.js';

export interface EvapiLinkOptions {
  host: string;
  port: number;
  /** This instance's id: Kamailio tags the connection "tg:<id>" and sends this instance its calls' events. */
  instanceId: string;
  token: string;
  logger: Logger;
  reconnectMaxMs?: number;
  onMessage(message: Record<string, unknown>): void;
  /** Kamailio welcomed the hello: events flow. */
  onUp(): void;
  /** The connection is gone (atMs: when it was noticed). */
  onDown(atMs: number): void;
}

export interface EvapiLink {
  readonly name: string;
  readonly up: boolean;
  /** Queues a message for Kamailio (written at the end of this tick, with the others); false when not connected. */
  send(message: Record<string, unknown>): boolean;
  close(): Promise<void>;
}

/** Kamailio's evapi_set_tag takes up to 63 characters; the shipped config accepts [A-Za-z0-9._:-]. */
export function evapiInstanceTag(instanceId: string): string {
  return instanceId.replace(/[^A-Za-z0-9._:-]/g, '-').slice(0, 60);
}

export function openEvapiLink(opts: EvapiLinkOptions): EvapiLink {
  const name = `${opts.host}:${opts.port}`;
  const log = opts.logger.child({ evapi: name });
  const maxBackoff = opts.reconnectMaxMs ?? 2000;
  let socket: Socket | undefined;
  let up = false;
  let closed = false;
  let backoff = 100;
  let retry: NodeJS.Timeout | undefined;
  let queue: string[] = [];
  let flushScheduled = false;

  const flush = (): void => {
    flushScheduled = false;
    if (!socket || queue.length === 0) return;
    const batch = queue.join('');
    queue = [];
    socket.write(batch);
  };

  const dial = (): void => {
    if (closed) return;
    const s = connect({ host: opts.host, port: opts.port, noDelay: true, keepAlive: true, keepAliveInitialDelay: 10_000 });
    socket = s;
    const decoder = createNetstringDecoder(
      (frame) => {
        let message: unknown;
        try {
          message = JSON.parse(frame);
        } catch {
          log.warn({ frame: frame.slice(0, 200) }, 'evapi message from Kamailio is not JSON: dropped');
          return;
        }
        if (typeof message !== 'object' || message === null || Array.isArray(message)) {
          log.warn({ frame: frame.slice(0, 200) }, 'evapi message from Kamailio is no JSON object: dropped');
          return;
        }
        const m = message as Record<string, unknown>;
        if (m.event === 'welcome') {
          up = true;
          backoff = 100;
          log.info({ slot: m.slot }, 'connected to Kamailio over evapi');
          opts.onUp();
          return;
        }
        try {
          opts.onMessage(m);
        } catch (err) {
          log.error({ err: (err as Error).message, event: m.event }, 'evapi message handling failed');
        }
      },
      (bytes) => log.warn({ bytes }, 'bytes from Kamailio that are no netstring: skipped'),
    );
    s.on('connect', () => {
      s.write(encodeNetstring(JSON.stringify({ event: 'hello', instance: evapiInstanceTag(opts.instanceId), token: opts.token })));
    });
    s.on('data', (chunk: Buffer) => decoder.push(chunk));
    s.on('error', (err) => {
      if (up) log.warn({ err: err.message }, 'evapi connection error');
      else log.debug({ err: err.message }, 'evapi connect failed');
    });
    s.on('close', () => {
      if (socket === s) socket = undefined;
      queue = [];
      const wasUp = up;
      up = false;
      if (wasUp) {
        log.warn('evapi connection to Kamailio lost; reconnecting');
        opts.onDown(Date.now());
      }
      if (closed) return;
      retry = setTimeout(dial, backoff);
      retry.unref();
      backoff = Math.min(backoff * 2, maxBackoff);
    });
  };
  dial();

  return {
    name,
    get up() {
      return up;
    },
    send(message) {
      if (!up || !socket) return false;
      queue.push(encodeNetstring(JSON.stringify(message)));
      if (!flushScheduled) {
        flushScheduled = true;
        setImmediate(flush);
      }
      return true;
    },
    async close() {
      closed = true;
      clearTimeout(retry);
      flush();
      const s = socket;
      if (!s) return;
      await new Promise<void>((resolve) => {
        s.once('close', () => resolve());
        s.end();
        setTimeout(() => s.destroy(), 1000).unref();
      });
    },
  };
}
