/**
 * The SIP gateway: admits INVITEs from known peers, refuses the rest, bridges
 * admitted calls through SipCall, and drains live calls on shutdown.
 */
import type Srf from 'drachtio-srf';
import type { Config } from '../config/schema.js';
import type { RejectCode } from '../domain.js';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics.js';
import { createDrachtioConnection } from './connection.js';
import { BadInviteError, identify } from './identify.js';
import { createPeerTable } from './peers.js';
import { rejection, warningText } from './responses.js';
import { SipCall, type CallControlPort, type CallContext } from './sip-call.js';

export type { CallControlPort } from './sip-call.js';

export interface SipGatewayOptions {
  config: Pick<Config, 'sip' | 'drachtio'>;
  calls: CallControlPort;
  metrics: Metrics;
  logger: Logger;
}

export interface SipGateway {
  /** Connects to (or listens for) drachtio-server and starts admitting calls. */
  start(): void;
  /** Hangs up what is still live (end reason shutdown) and closes the drachtio connection. */
  stop(): Promise<void>;
  /** Readiness: the link to drachtio-server is up. */
  isConnected(): boolean;
  /** Resolves true once connected, false after timeoutMs. */
  whenConnected(timeoutMs: number): Promise<boolean>;
  /** Stops admitting (503 DRAINING) and waits up to ms for live calls to end; resolves how many are still live. */
  drain(ms: number): Promise<number>;
  /** Calls admitted and not yet ended. */
  liveCalls(): number;
}

export function createSipGateway(opts: SipGatewayOptions): SipGateway {
  const { config, calls, metrics } = opts;
  const logger = opts.logger.child({ component: 'sip' });
  const peers = createPeerTable(config.sip.peers, config.sip.routes, config.sip.defaultTrunk);
  const connection = createDrachtioConnection(config.drachtio, logger);
  const srf = connection.srf;
  const ctx: CallContext = { srf, calls, peers, sip: config.sip, metrics, logger };
  const live = new Map<string, SipCall>();
  let draining = false;

  /** Refusals decided here, before the calls layer sees the call, still count as call decisions. */
  const countRefusal = (reason: string): void => {
    const labels: Record<string, string> = { decision: 'reject', reason, call_type: 'unknown' };
    if (metrics.tenantLabels) labels.tenant = 'unknown';
    metrics.callDecisions.inc(labels);
  };
  const refuse = (res: Srf.SrfResponse, code: RejectCode): void => {
    countRefusal(code);
    const r = rejection(code, config.sip.headers.reason, config.sip.retryAfterSeconds);
    res.send(r.status, r.phrase, { headers: r.headers });
  };

  srf.invite((req, res) => {
    const receivedAtMs = Date.now();
    const callId = req.get('Call-ID');
    const address = req.source_address;
    const port = Number(req.source_port);
    if (draining) {
      logger.info({ callId, decision: 'reject', code: 'DRAINING', status: 503 }, 'call decision');
      return refuse(res, 'DRAINING');
    }
    const peer = peers.match(address, port);
    if (!peer) {
      metrics.sipUnknownPeers.inc();
      logger.warn({ callId, decision: 'reject', code: 'UNKNOWN_PEER', status: 403, source: `${address}:${port}` }, 'call decision');
      return refuse(res, 'UNKNOWN_PEER');
    }
    let setup;
    try {
      setup = identify(
        { uri: req.uri, callId, get: (name) => (req.has(name) ? req.get(name) : undefined) },
        peer,
        config.sip.headers,
        receivedAtMs,
      );
    } catch (err) {
      if (!(err instanceof BadInviteError)) throw err;
      logger.warn({ callId, decision: 'reject', status: 400, peer: peer.name, err: err.message }, 'call decision');
      countRefusal('BAD_INVITE');
      return res.send(400, 'Bad Request', { headers: { [config.sip.headers.reason]: 'BAD_INVITE', Warning: warningText(err.message) } });
    }
    if (live.has(callId)) {
      // A retransmission reaching the application twice must not become a second call.
      logger.warn({ callId }, 'duplicate INVITE for a live call ignored');
      return;
    }
    const call = new SipCall(ctx, setup, req, res, peer.name);
    live.set(callId, call);
    void call.ended.then(() => live.delete(callId));
    call.run().catch((err: unknown) => {
      call.log.error({ err: (err as Error).message }, 'call handling failed');
    });
  });

  // Peers probe trunks with OPTIONS; answering keeps the gateway marked up.
  srf.use('options', (_req, res) => res.send(200));

  const waitForLive = async (ms: number): Promise<number> => {
    const deadline = new Promise<void>((resolve) => setTimeout(resolve, ms).unref());
    await Promise.race([Promise.all([...live.values()].map((c) => c.ended)), deadline]);
    return live.size;
  };

  return {
    start: () => connection.start(),
    async stop() {
      draining = true;
      const left = [...live.values()];
      if (left.length > 0) {
        logger.info({ calls: left.length }, 'hanging up live calls for shutdown');
        await Promise.all(left.map((c) => c.hangUp('shutdown')));
        await waitForLive(5000);
      }
      await connection.stop();
    },
    isConnected: () => connection.isConnected(),
    whenConnected: (ms) => connection.whenConnected(ms),
    async drain(ms) {
      draining = true;
      logger.info({ calls: live.size, waitMs: ms }, 'draining: new calls get 503');
      const left = await waitForLive(ms);
      logger.info({ calls: left }, left === 0 ? 'drained' : 'drain time over with calls still live');
      return left;
    },
    liveCalls: () => live.size,
  };
}
