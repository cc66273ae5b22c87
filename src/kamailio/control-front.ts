/**
 * The call-control front a SIP platform (Kamailio) drives over HTTP: reads a
 * call setup the platform forwards into the calls layer's CallSetup, answers
 * with the drachtio path's codes and SIP statuses, and keeps the call by token.
 */
import type { CallControl, LiveCall, WireEnder } from '../calls/types.js';
import type { Config } from '../config/schema.js';
import type { EndReason, RejectCode } from '../domain.js';
import { callLogger, type Logger } from '../log.js';
import type { Metrics } from '../metrics.js';
import { BadInviteError, identify } from '../sip/identify.js';
import { createPeerTable, requestUriFor } from '../sip/peers.js';
import { rejection, warningText } from '../sip/responses.js';
import { newCallToken } from './call-token.js';
import { ControlCall, type AnswerVerdict } from './control-call.js';
import { endDialog, type DialogRef } from './json-rpc.js';
import { parseKamailioWire } from './wire.js';

/** A call setup as the platform saw it (its script forwards the INVITE's parts). */
export interface PlatformSetup {
  callId: string;
  sourceAddress: string;
  sourcePort: number;
  requestUri: string;
  from?: string;
  pAssertedIdentity?: string;
  /** Every X-Tollgate-* header of the INVITE (any case), as received. */
  headers: Record<string, string>;
}

export type PlatformDecision =
  | {
      decision: 'allow';
      callToken: string;
      /** Answered seconds funded now; null for calls never cut for money (emergency, toll inbound, unbilled). */
      fundedSeconds: number | null;
      destination: string;
      /** Where the platform relays the INVITE: the trunk's URI with the E.164 destination, or a service number's target. */
      target: string;
      callType?: string;
    }
  | {
      decision: 'refuse';
      code: RejectCode | 'BAD_INVITE';
      status: number;
      phrase: string;
      message: string;
      /** Ready-made header lines for the refusal (reason header, Warning, Retry-After), each ending in CRLF. */
      sipHeaders: string;
      retryAfter?: number;
    };

export interface ControlFrontOptions {
  config: Pick<Config, 'sip' | 'kamailio'>;
  calls: CallControl;
  metrics: Metrics;
  logger: Logger;
}

/** Which Kamailio a call came through (its JSON-RPC) and over which transport; absent: kamailio.rpcUrl over HTTP. */
export interface PlatformVia {
  rpcUrl: string;
  /** The evapi link (one per Kamailio) whose reconcile owns the call. */
  link?: string;
}

/** A live call as a transport's reconcile sees it. */
export interface ViaCall {
  token: string;
  callId: string;
  state: string;
  dialog?: DialogRef;
  admittedAtMs: number;
}

export interface ControlFront {
  authorize(setup: PlatformSetup, via?: PlatformVia): Promise<PlatformDecision>;
  /** undefined when the token is unknown here. */
  answered(token: string, dialog: DialogRef | undefined): Promise<AnswerVerdict | undefined>;
  ended(token: string, reason: EndReason): Promise<boolean>;
  /** The call's state as the session sees it, undefined when the token is unknown here. */
  keepAlive(token: string): { state: string; call?: LiveCall } | undefined;
  liveCalls(): number;
  /** The live calls admitted through one evapi link (its reconcile against the dialog list). */
  callsVia(link: string): ViaCall[];
  /** Ends a call the platform lost (its dialog is gone) as edge_lost; false when unknown. */
  endLost(token: string): Promise<boolean>;
  /** Stops admitting (503 DRAINING) and waits up to ms for live calls; resolves how many are left. */
  drain(ms: number): Promise<number>;
  /** Hangs up what is still live (shutdown). */
  stop(): Promise<void>;
  /** Ends a recovered (lost instance's) Kamailio call through the JSON-RPC recorded with it. */
  readonly wireEnder: WireEnder;
}

/** How long an ended call's token still answers (late or repeated reports from the platform). */
const ENDED_TOKEN_MS = 60_000;

export function createControlFront(opts: ControlFrontOptions): ControlFront {
  const { config, calls, metrics } = opts;
  const logger = opts.logger.child({ component: 'kamailio' });
  const peers = createPeerTable(config.sip.peers, config.sip.routes, config.sip.defaultTrunk);
  const headerNames = config.sip.headers;
  const callCtx = { rpcUrl: config.kamailio.rpcUrl, rpcTimeoutMs: config.kamailio.rpcTimeoutMs, metrics };
  const ctxByRpc = new Map<string, typeof callCtx>([[callCtx.rpcUrl, callCtx]]);
  const contextFor = (rpcUrl: string): typeof callCtx => {
    let ctx = ctxByRpc.get(rpcUrl);
    if (!ctx) ctxByRpc.set(rpcUrl, (ctx = { ...callCtx, rpcUrl }));
    return ctx;
  };
  const viaLink = new Map<ControlCall, { link: string; admittedAtMs: number }>();
  const byToken = new Map<string, ControlCall>();
  const live = new Set<ControlCall>();
  let draining = false;

  const countRefusal = (reason: string): void => {
    const labels: Record<string, string> = { decision: 'reject', reason, call_type: 'unknown' };
    if (metrics.tenantLabels) labels.tenant = 'unknown';
    metrics.callDecisions.inc(labels);
  };

  const refuse = (code: RejectCode, message: string, warn = true): PlatformDecision => {
    const r = rejection(code, headerNames.reason, config.sip.retryAfterSeconds);
    const headers = { ...r.headers, ...(warn ? { Warning: warningText(message) } : {}) };
    const retry = r.headers['Retry-After'];
    return {
      decision: 'refuse',
      code,
      status: r.status,
      phrase: r.phrase,
      message,
      sipHeaders: Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join(''),
      ...(retry ? { retryAfter: Number(retry) } : {}),
    };
  };

  async function authorize(p: PlatformSetup, via?: PlatformVia): Promise<PlatformDecision> {
    const receivedAtMs = Date.now();
    const log = callLogger(logger, p.callId);
    if (draining) {
      countRefusal('DRAINING');
      log.info({ decision: 'reject', code: 'DRAINING', status: 503 }, 'call decision');
      return refuse('DRAINING', 'this gateway instance is shutting down; retry on another', false);
    }
    const peer = peers.match(p.sourceAddress, p.sourcePort);
    if (!peer) {
      metrics.sipUnknownPeers.inc();
      countRefusal('UNKNOWN_PEER');
      log.warn({ decision: 'reject', code: 'UNKNOWN_PEER', status: 403, source: `${p.sourceAddress}:${p.sourcePort}` }, 'call decision');
      return refuse('UNKNOWN_PEER', 'the source is no configured peer', false);
    }
    const lower = new Map(Object.entries(p.headers).map(([k, v]) => [k.toLowerCase(), v]));
    if (p.from !== undefined) lower.set('from', p.from);
    if (p.pAssertedIdentity !== undefined) lower.set('p-asserted-identity', p.pAssertedIdentity);
    let setup;
    try {
      setup = identify({ uri: p.requestUri, callId: p.callId, get: (name) => lower.get(name.toLowerCase()) }, peer, headerNames, receivedAtMs);
    } catch (err) {
      if (!(err instanceof BadInviteError)) throw err;
      countRefusal('BAD_INVITE');
      log.warn({ decision: 'reject', status: 400, peer: peer.name, err: err.message }, 'call decision');
      return {
        decision: 'refuse',
        code: 'BAD_INVITE',
        status: 400,
        phrase: 'Bad Request',
        message: err.message,
        sipHeaders: `${headerNames.reason}: BAD_INVITE\r\nWarning: ${warningText(err.message)}\r\n`,
      };
    }
    const token = newCallToken();
    const call = new ControlCall(token, p.callId, via ? contextFor(via.rpcUrl) : callCtx, callLogger(logger, p.callId, { peer: peer.name }));
    const outcome = await calls.authorize(setup, call);
    if (!outcome.allowed) {
      call.refused();
      const decision = refuse(outcome.code, outcome.message);
      // The calls layer logged the decision at info ("call refused"); this line adds the SIP answer.
      log.debug({ decision: 'reject', code: outcome.code, status: decision.decision === 'refuse' ? decision.status : 0, dialed: setup.dialed }, 'call decision');
      return decision;
    }
    call.admitted(outcome.session);
    const target =
      outcome.target ??
      (setup.direction === 'outbound'
        ? (() => {
            const trunk = peers.trunkFor(outcome.destination);
            return trunk?.uri ? requestUriFor(trunk.uri, outcome.destination) : undefined;
          })()
        : undefined);
    if (!target) {
      log.error({ destination: outcome.destination }, 'no trunk routes this destination; set sip.defaultTrunk or a route');
      await call.reportEnded('failed');
      return refuse('UNAVAILABLE', 'no trunk routes this destination');
    }
    byToken.set(token, call);
    live.add(call);
    if (via?.link) viaLink.set(call, { link: via.link, admittedAtMs: receivedAtMs });
    void call.ended.then(() => {
      live.delete(call);
      viaLink.delete(call);
      setTimeout(() => byToken.delete(token), ENDED_TOKEN_MS).unref();
    });
    // The session's own snapshot (scanning every live call per authorize made admission O(live calls)).
    const snapshot = outcome.session.snapshot();
    const free = snapshot.free || snapshot.unbilled;
    log.debug({ decision: 'allow', destination: outcome.destination, target, fundedSeconds: outcome.fundedSeconds }, 'call decision');
    return {
      decision: 'allow',
      callToken: token,
      fundedSeconds: free ? null : (outcome.fundedSeconds ?? null),
      destination: outcome.destination,
      target,
      ...(outcome.callType ? { callType: outcome.callType } : {}),
    };
  }

  const waitForLive = async (ms: number): Promise<number> => {
    const deadline = new Promise<void>((resolve) => setTimeout(resolve, ms).unref());
    await Promise.race([Promise.all([...live].map((c) => c.ended)), deadline]);
    return live.size;
  };

  return {
    authorize,
    async answered(token, dialog) {
      const call = byToken.get(token);
      return call ? call.answered(dialog) : undefined;
    },
    async ended(token, reason) {
      const call = byToken.get(token);
      if (!call) return false;
      await call.reportEnded(reason);
      return true;
    },
    keepAlive(token) {
      const call = byToken.get(token);
      if (!call) return undefined;
      const snapshot = call.snapshot();
      return { state: call.state, ...(snapshot ? { call: snapshot } : {}) };
    },
    liveCalls: () => live.size,
    callsVia(link) {
      const out: ViaCall[] = [];
      for (const [call, v] of viaLink) {
        if (v.link !== link || call.state === 'ended') continue;
        out.push({ token: call.token, callId: call.callId, state: call.state, admittedAtMs: v.admittedAtMs, ...(call.dialogRef ? { dialog: call.dialogRef } : {}) });
      }
      return out;
    },
    async endLost(token) {
      const call = byToken.get(token);
      if (!call || call.state === 'ended') return false;
      call.log.warn({ reason: 'edge_lost' }, 'Kamailio no longer has this call\'s dialog: ending it');
      await call.reportEnded('edge_lost');
      return true;
    },
    async drain(ms) {
      draining = true;
      return waitForLive(ms);
    },
    async stop() {
      draining = true;
      const left = [...live];
      if (left.length === 0) return;
      logger.info({ calls: left.length }, 'hanging up live Kamailio calls for shutdown');
      await Promise.all(left.map((c) => c.hangUp('shutdown')));
      await waitForLive(5000);
    },
    wireEnder: {
      async endRemote(text, reason, ids) {
        const wire = parseKamailioWire(text);
        if (!wire) return;
        logger.warn({ ...ids, rpc: wire.rpc, hEntry: wire.h_entry, hId: wire.h_id }, 'ending a recovered call on Kamailio');
        try {
          const known = await endDialog(wire.rpc, { hEntry: wire.h_entry, hId: wire.h_id }, reason, config.kamailio.rpcTimeoutMs);
          metrics.wireEnds.inc({ outcome: known ? 'ended' : 'gone' });
        } catch (err) {
          metrics.wireEnds.inc({ outcome: 'failed' });
          throw err;
        }
      },
    },
  };
}
