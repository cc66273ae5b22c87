/**
 * The SIP gateway: admits INVITEs from known peers, refuses the rest, bridges
 * admitted calls through SipCall, and drains live calls on shutdown.
 */
import type Srf from 'drachtio-srf';
import type { Config } from '../config/schema.js';
import type { RejectCode } from '../domain.js';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics.js';
import type { EndReason } from '../domain.js';
import type { WireEnder } from '../calls/types.js';
import { createDrachtioConnection, type DrachtioConnection } from './connection.js';
import { ownString } from './dialog-memory.js';
import { BadInviteError, identify, type InviteView } from './identify.js';
import { createPeerTable } from './peers.js';
import { rejection, warningText } from './responses.js';
import { SipCall, type CallControlPort, type CallContext } from './sip-call.js';
import { byeLegs, parseWire, type CallWire } from './wire.js';

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
  /** Ends on the wire a call another instance carried (lease recovery hands it here). */
  readonly wireEnder: WireEnder;
}

/** The drachtio-servers of this instance: one link each (inbound mode may list several). */
function edgeConfigs(config: Pick<Config, 'drachtio'>['drachtio']): Array<{ edge: string; config: Config['drachtio'] }> {
  if (config.mode === 'inbound' && config.servers.length > 0) {
    return config.servers.map((hostport) => {
      const at = hostport.lastIndexOf(':');
      return { edge: hostport, config: { ...config, host: hostport.slice(0, at), port: Number(hostport.slice(at + 1)) } };
    });
  }
  return [{ edge: config.mode === 'inbound' ? `${config.host}:${config.port}` : '', config }];
}

export function createSipGateway(opts: SipGatewayOptions): SipGateway {
  const { config, calls, metrics } = opts;
  const logger = opts.logger.child({ component: 'sip' });
  const peers = createPeerTable(config.sip.peers, config.sip.routes, config.sip.defaultTrunk);
  const live = new Map<string, SipCall>();
  let draining = false;
  /** Wire states of calls whose edge was lost, waiting for a link to send their BYEs. */
  const pendingByes: Array<{ wire: CallWire; reason: EndReason }> = [];

  const edges = edgeConfigs(config.drachtio).map(({ edge, config: dc }) => {
    const connection = createDrachtioConnection(dc, logger.child({ edge }));
    return { edge, connection, ctx: { srf: connection.srf, edge, calls, peers, sip: config.sip, metrics, logger } as CallContext };
  });

  /** Any connected edge, preferring the one that carried the call. */
  const edgeFor = (wanted: string): DrachtioConnection | undefined =>
    edges.find((e) => e.edge === wanted && e.connection.isConnected())?.connection ?? edges.find((e) => e.connection.isConnected())?.connection;

  async function sendByes(wire: CallWire, reason: EndReason): Promise<boolean> {
    const connection = edgeFor(wire.edge);
    if (!connection) return false;
    const answered = await byeLegs(connection.srf, wire, reason, logger);
    metrics.wireEnds.inc({ outcome: answered === wire.legs.length ? 'ended' : 'sent' });
    return true;
  }

  async function flushPendingByes(): Promise<void> {
    for (const item of pendingByes.splice(0)) {
      if (!(await sendByes(item.wire, item.reason))) pendingByes.push(item);
    }
  }

  for (const e of edges) {
    const edgeLabel = { edge: e.edge || 'outbound' };
    metrics.sipEdgeConnected.set(edgeLabel, 0);
    e.connection.onConnectionChange((connected) => {
      metrics.sipEdgeConnected.set(edgeLabel, connected ? 1 : 0);
      if (connected) {
        void flushPendingByes();
        return;
      }
      // Every call on this edge ends now, billed to this moment; its legs get BYE when a link is back.
      const lost = [...live.values()].filter((c) => c.edge === e.edge);
      if (lost.length > 0) logger.warn({ edge: e.edge, calls: lost.length }, 'lost the link to drachtio-server: ending its calls');
      for (const call of lost) {
        void call.edgeLost().then((wire) => {
          if (!wire || wire.legs.length === 0) return;
          pendingByes.push({ wire, reason: 'edge_lost' });
          // A link may already be back (or another edge up): do not wait for the next change.
          if (edges.some((x) => x.connection.isConnected())) void flushPendingByes();
        });
      }
    });
  }

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

  // Nothing below may keep `req` in a closure that lives as long as the call (the `ended` handler does):
  // it would keep the INVITE's whole text alive; the dialogs let go of it once the call is connected.
  const onInvite = (ctx: CallContext) => (req: Srf.SrfRequest, res: Srf.SrfResponse) => {
    const receivedAtMs = Date.now();
    const callId = ownString(req.get('Call-ID'));
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
        inviteView(req, callId),
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
  };

  for (const e of edges) {
    e.connection.srf.invite(onInvite(e.ctx));
    // Peers probe trunks with OPTIONS; answering keeps the gateway marked up.
    e.connection.srf.use('options', (_req, res) => res.send(200));
  }

  const waitForLive = async (ms: number): Promise<number> => {
    const deadline = new Promise<void>((resolve) => setTimeout(resolve, ms).unref());
    await Promise.race([Promise.all([...live.values()].map((c) => c.ended)), deadline]);
    return live.size;
  };

  return {
    start: () => {
      for (const e of edges) e.connection.start();
    },
    async stop() {
      draining = true;
      const left = [...live.values()];
      if (left.length > 0) {
        logger.info({ calls: left.length }, 'hanging up live calls for shutdown');
        await Promise.all(left.map((c) => c.hangUp('shutdown')));
        await waitForLive(5000);
      }
      await Promise.all(edges.map((e) => e.connection.stop()));
    },
    // Ready while at least one drachtio-server is linked: calls go through the others.
    isConnected: () => edges.some((e) => e.connection.isConnected()),
    whenConnected: async (ms) => (await Promise.all(edges.map((e) => e.connection.whenConnected(ms)))).some(Boolean),
    async drain(ms) {
      draining = true;
      logger.info({ calls: live.size, waitMs: ms }, 'draining: new calls get 503');
      const left = await waitForLive(ms);
      logger.info({ calls: left }, left === 0 ? 'drained' : 'drain time over with calls still live');
      return left;
    },
    liveCalls: () => live.size,
    wireEnder: {
      async endRemote(text, reason, ids) {
        const wire = parseWire(text);
        if (!wire || wire.legs.length === 0) return;
        logger.warn({ ...ids, edge: wire.edge, legs: wire.legs.length }, 'ending a recovered call on the wire');
        if (!(await sendByes(wire, reason))) pendingByes.push({ wire, reason });
      },
    },
  };
}

/**
 * The INVITE as identification reads it: values as strings of their own (a
 * header read from drachtio-srf is a slice of the message's text, and the
 * call setup keeps what it reads for the call's life). Made here so that no
 * closure of the call's own holds the request.
 */
function inviteView(req: Srf.SrfRequest, callId: string): InviteView {
  return { uri: ownString(req.uri), callId, get: (name) => (req.has(name) ? ownString(req.get(name)) : undefined) };
}
