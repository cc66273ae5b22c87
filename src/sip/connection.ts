/**
 * The gateway's link to drachtio-server: inbound mode (Tollgate connects and
 * reconnects with capped backoff) or outbound mode (drachtio-server connects in).
 */
import Srf from 'drachtio-srf';
import type { Config } from '../config/schema.js';
import type { Logger } from '../log.js';

export type DrachtioConfig = Config['drachtio'];

export interface DrachtioConnection {
  readonly srf: Srf;
  start(): void;
  stop(): Promise<void>;
  /** Inbound mode: authenticated to drachtio-server now. Outbound mode: listening for it. */
  isConnected(): boolean;
  /** Resolves true once connected, false when timeoutMs passes first. */
  whenConnected(timeoutMs: number): Promise<boolean>;
  /** Called on every change of the link: true once (re)connected, false when it is lost. */
  onConnectionChange(listener: (connected: boolean) => void): void;
}

/** The parts of drachtio-srf's wire layer that stop needs; not in its typings. */
interface WireInternals {
  closing?: boolean;
  reconnectVars?: { retryTimer?: NodeJS.Timeout | null };
  server?: { close(): void };
}
interface AgentInternals {
  wp?: WireInternals;
  mapServer?: Map<{ destroy(): void }, unknown>;
}

export function createDrachtioConnection(config: DrachtioConfig, logger: Logger): DrachtioConnection {
  const srf = new Srf();
  const log = logger.child({ link: 'drachtio', mode: config.mode });
  let connected = false;
  let stopped = false;
  const waiters = new Set<() => void>();
  const listeners: Array<(connected: boolean) => void> = [];

  const setConnected = (value: boolean): void => {
    const changed = connected !== value;
    connected = value;
    if (value) for (const wake of waiters) wake();
    if (changed && !stopped) for (const listener of listeners) listener(value);
  };

  srf.on('connect', (err: Error | null, hostport?: string) => {
    if (err) {
      log.error({ err: err.message }, 'drachtio-server refused the connection (check drachtio.secret)');
      return;
    }
    if (config.mode === 'inbound') setConnected(true);
    log.info({ hostport }, 'connected to drachtio-server');
  });
  srf.on('error', (err: Error) => {
    // Without a listener an 'error' would crash the process; reconnection follows on its own.
    if (!stopped) log.warn({ err: err.message }, 'drachtio connection error');
  });
  (srf as unknown as NodeJS.EventEmitter).on('close', () => {
    if (config.mode === 'inbound') {
      if (connected && !stopped) log.warn('lost the connection to drachtio-server; reconnecting');
      setConnected(false);
    }
  });
  (srf as unknown as NodeJS.EventEmitter).on('reconnecting', (info: { delay: number; attempt: number }) => {
    log.debug(info, 'reconnecting to drachtio-server');
  });
  (srf as unknown as NodeJS.EventEmitter).on('listening', () => {
    setConnected(true);
    log.info({ host: config.listenHost, port: config.listenPort }, 'listening for drachtio-server');
  });

  const wire = (): WireInternals | undefined =>
    (srf as unknown as { app?: { client?: AgentInternals } }).app?.client?.wp;

  return {
    srf,
    start() {
      if (config.mode === 'inbound') {
        const opts = {
          host: config.host,
          port: config.port,
          secret: config.secret,
          reconnect: { retryMaxDelay: config.reconnectMaxMs },
        };
        srf.connect(opts as Parameters<Srf['connect']>[0]);
      } else {
        srf.listen({ host: config.listenHost, port: config.listenPort, secret: config.secret });
      }
    },
    async stop() {
      stopped = true;
      const wp = wire();
      if (wp) {
        // drachtio-srf's retry timer ignores a later disconnect(); clear it so no reconnect follows stop.
        wp.closing = true;
        if (wp.reconnectVars?.retryTimer) {
          clearTimeout(wp.reconnectVars.retryTimer);
          wp.reconnectVars.retryTimer = null;
        }
      }
      try {
        if (config.mode === 'inbound') {
          if (connected) srf.disconnect();
        } else {
          // Stop accepting, then drop the connections drachtio-server holds open (close alone waits for them).
          const client = (srf as unknown as { app?: { client?: AgentInternals } }).app?.client;
          client?.wp?.server?.close();
          for (const socket of client?.mapServer?.keys() ?? []) socket.destroy();
        }
      } catch (err) {
        log.debug({ err: (err as Error).message }, 'drachtio disconnect');
      }
      setConnected(false);
      for (const wake of waiters) wake();
    },
    isConnected: () => connected,
    onConnectionChange(listener) {
      listeners.push(listener);
    },
    whenConnected(timeoutMs) {
      if (connected) return Promise.resolve(true);
      return new Promise((resolve) => {
        const done = (): void => {
          clearTimeout(timer);
          waiters.delete(done);
          resolve(connected);
        };
        const timer = setTimeout(done, timeoutMs);
        waiters.add(done);
      });
    },
  };
}
