/**
 * What the HTTP layer needs from the layers below it, as narrow ports, and
 * the dependency bundle buildApp takes. The process wiring passes the real parts.
 */
import type { FastifyPluginAsync } from 'fastify';
import type { CallControl } from '../calls/types.js';
import type { Config } from '../config/schema.js';
import type { HistoryStore } from '../history/index.js';
import type { Ledger } from '../ledger/types.js';
import type { PortalStore } from '../ledger/portal-store.js';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics.js';
import type { RateStore } from '../rating/index.js';

/** The rate store's side the API uses: the book in effect, row counts, reload. */
export type RatesPort = Pick<RateStore, 'book' | 'rows' | 'reload' | 'onSwap'> & {
  close?(): void;
  /** When the book in effect was loaded (UTC ms); the app's start time stands in when absent. */
  readonly loadedAtMs?: number;
};

/** What the API reads from the history store. */
export type HistoryPort = Pick<HistoryStore, 'usage' | 'statement' | 'dailySpend'>;

/** Live calls of this instance and the admin hang-up. */
export type CallsPort = Pick<CallControl, 'liveCalls' | 'hangUp'>;

/** One readiness check: resolves true when ready, false or throws (message shown) when not. */
export type ReadinessProbe = () => boolean | Promise<boolean>;

export interface AppDeps {
  config: Config;
  ledger: Ledger;
  rates: RatesPort;
  calls: CallsPort;
  metrics: Metrics;
  logger: Logger;
  /** The history store (PostgreSQL, postgres.url): usage export, statements, spend. Usage comes from Redis without it. */
  history?: HistoryPort;
  /** Named checks behind /readyz, e.g. { redis, drachtio, rates }. */
  readiness: Record<string, ReadinessProbe>;
  /** The call-control API a SIP platform calls (Kamailio front), mounted at /v1/control with its own token. */
  controlApi?: FastifyPluginAsync;
  /**
   * Tenant admin accounts, sessions and API keys (the Redis ledger's portal store). Without it only the
   * admin token opens /v1 and the portal is not served.
   */
  portal?: PortalStore;
  /** Where the portal's built pages are (default dist/portal beside the package); absent files: the portal answers 503. */
  portalAssetsDir?: string;
  /** Close the ledger (and the rate store's watcher) when the app closes; default true. */
  closeResources?: boolean;
  /** The clock used for balances and top-ups; Date.now by default. */
  now?: () => number;
}
