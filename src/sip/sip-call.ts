/**
 * One admitted INVITE from authorize to the end of both legs: the B2BUA toward
 * the target, answer and end reported to the call session, teardown on hangUp.
 */
import type Srf from 'drachtio-srf';
import type { AuthorizeOutcome, CallSession, CallSetup, CallTransport } from '../calls/types.js';
import type { Config } from '../config/schema.js';
import type { EndReason } from '../domain.js';
import { callLogger, type Logger } from '../log.js';
import type { Metrics } from '../metrics.js';
import { forwardedHeaders } from './identify.js';
import { requestUriFor, type PeerTable } from './peers.js';
import { releaseSetupMessages, ownString } from './dialog-memory.js';
import { byeReason, rejection, warningText } from './responses.js';
import { legWire, parseWire, type CallWire } from './wire.js';
import { merged } from '../objects.js';

type Dialog = Srf.Dialog;
type SrfRequest = Srf.SrfRequest;
type SrfResponse = Srf.SrfResponse;

/** What the SIP layer needs of the calls layer. */
export interface CallControlPort {
  authorize(setup: CallSetup, transport: CallTransport): Promise<AuthorizeOutcome>;
}

export interface CallContext {
  srf: Srf;
  /** The drachtio-server this call runs on ("host:port"; "" in outbound mode). */
  edge: string;
  calls: CallControlPort;
  peers: PeerTable;
  sip: Config['sip'];
  metrics: Metrics;
  logger: Logger;
}

type Phase = 'authorizing' | 'routing' | 'answered' | 'connected' | 'ended';

/** A SIP error from drachtio-srf: a final response status from the far end. */
function statusOf(err: unknown): number | undefined {
  const status = (err as { status?: unknown } | null)?.status;
  return typeof status === 'number' ? status : undefined;
}

export class SipCall implements CallTransport {
  readonly callId: string;
  readonly log: Logger;
  private phase: Phase = 'authorizing';
  private session: CallSession | undefined;
  private uacRequest: SrfRequest | undefined;
  private uas: Dialog | undefined;
  private uac: Dialog | undefined;
  /** The caller's INVITE and its response, until the call is connected (the dialogs take over then). */
  private invite: { req: SrfRequest; res: SrfResponse } | undefined;
  /** Both legs as any instance can end them (the session's wire state), read from the dialogs when they connected. */
  private wireText: string | undefined;
  private answering: Promise<void> = Promise.resolve();
  private answeredAt: number | undefined;
  private answerReported = false;
  private callerCancelled = false;
  private hangupReason: EndReason | undefined;
  private endedResolve!: () => void;
  /** Resolves when the call has ended and its session was told. */
  readonly ended = new Promise<void>((resolve) => (this.endedResolve = resolve));

  constructor(
    private readonly ctx: CallContext,
    private readonly setup: CallSetup,
    req: SrfRequest,
    res: SrfResponse,
    peerName: string,
  ) {
    this.invite = { req, res };
    this.callId = setup.callId;
    this.log = callLogger(ctx.logger, setup.callId, { peer: peerName });
    req.on('cancel', () => {
      this.callerCancelled = true;
    });
  }

  /** Authorizes, then either refuses on the wire or bridges the call to its target. */
  async run(): Promise<void> {
    let outcome: AuthorizeOutcome;
    try {
      outcome = await this.ctx.calls.authorize(this.setup, this);
    } catch (err) {
      this.log.error({ err: (err as Error).message }, 'authorize failed; refusing the call');
      outcome = { allowed: false, code: 'UNAVAILABLE', message: (err as Error).message };
    }
    if (!outcome.allowed) {
      // A call-attempt limit says when the next attempt would be let through.
      const retryAfter = outcome.retryAfterMs !== undefined ? Math.max(1, Math.ceil(outcome.retryAfterMs / 1000)) : this.ctx.sip.retryAfterSeconds;
      const r = rejection(outcome.code, this.ctx.sip.headers.reason, retryAfter, this.ctx.sip.concurrentLimitStatus);
      // The calls layer logged the decision at info ("call refused"); this line adds the SIP answer.
      this.log.debug(
        { decision: 'reject', code: outcome.code, status: r.status, direction: this.setup.direction, dialed: this.setup.dialed, message: outcome.message },
        'call decision',
      );
      if (this.callerCancelled) this.respond(487);
      else this.respond(r.status, r.phrase, { headers: merged(r.headers, { Warning: warningText(outcome.message) }) });
      this.phase = 'ended';
      this.endedResolve();
      return;
    }
    this.session = outcome.session;
    try {
      await this.route(outcome);
    } catch (err) {
      // The call holds money now: whatever went wrong, it must end and its hold be released.
      this.log.error({ err: (err as Error).message }, 'admitted call could not be routed; ending it');
      this.respond(500);
      await this.finish('failed');
    }
  }

  private async route(outcome: Extract<AuthorizeOutcome, { allowed: true }>): Promise<void> {
    const target = this.targetOf(outcome);
    this.log.debug(
      { decision: 'allow', direction: this.setup.direction, dialed: this.setup.dialed, destination: outcome.destination, target },
      'call decision',
    );
    if (this.callerCancelled || this.hangupReason) {
      this.respond(487);
      return this.finish(this.hangupReason ?? 'cancelled');
    }
    if (!target) {
      this.log.error({ destination: outcome.destination }, 'no trunk routes this destination; set sip.defaultTrunk or a route');
      const r = rejection('UNAVAILABLE', this.ctx.sip.headers.reason, this.ctx.sip.retryAfterSeconds);
      this.respond(r.status, r.phrase, { headers: merged(r.headers, { Warning: warningText('no trunk routes this destination') }) });
      return this.finish('failed');
    }
    await this.bridge(target, outcome.destination);
  }

  private targetOf(outcome: Extract<AuthorizeOutcome, { allowed: true }>): string | undefined {
    if (outcome.target) return outcome.target;
    if (this.setup.direction !== 'outbound') return undefined;
    const trunk = this.ctx.peers.trunkFor(outcome.destination);
    return trunk?.uri ? requestUriFor(trunk.uri, outcome.destination) : undefined;
  }

  /** Answers the caller's INVITE, unless a final answer went out already. */
  private respond(status: number, phrase?: string, opts?: { headers: Record<string, string> }): void {
    const res = this.invite?.res;
    if (!res || res.finalResponseSent) return;
    if (phrase === undefined) res.send(status);
    else res.send(status, phrase, opts ?? {});
  }

  private async bridge(target: string, destination: string): Promise<void> {
    const invite = this.invite;
    if (!invite) throw new Error('the INVITE of this call was already answered');
    this.phase = 'routing';
    const opts = {
      proxyRequestHeaders: forwardedHeaders(this.ctx.sip.headers),
      passFailure: true,
      passProvisionalResponses: true,
      calledNumber: destination,
    };
    const progress = {
      cbRequest: (err: unknown, uacReq: SrfRequest) => {
        if (err) return;
        this.uacRequest = uacReq;
        this.ctx.metrics.sipPostDialDelay.observe((Date.now() - this.setup.receivedAtMs) / 1000);
        if (this.hangupReason) this.cancelOutgoing();
      },
      cbFinalizedUac: () => {
        this.phase = 'answered';
        // Reported once the dialogs exist, so the answer carries the wire state in the same ledger step.
        this.answeredAt = this.session!.now();
      },
    };
    let dialogs: { uas: Dialog; uac: Dialog };
    try {
      dialogs = await this.ctx.srf.createB2BUA(
        invite.req,
        invite.res,
        target,
        opts,
        progress as unknown as Parameters<Srf['createB2BUA']>[4],
      );
    } catch (err) {
      const status = statusOf(err);
      const reason: EndReason = this.hangupReason ?? (this.callerCancelled || status === 487 ? 'cancelled' : 'failed');
      this.log.info({ status, err: status === undefined ? (err as Error).message : undefined }, 'call not connected');
      this.reportAnswer();
      return this.finish(reason);
    }
    this.connect(dialogs.uas, dialogs.uac);
  }

  /** Tells the session the callee answered (at the time the 200 OK came), once. */
  private reportAnswer(): void {
    if (this.answeredAt === undefined || this.answerReported) return;
    this.answerReported = true;
    this.answering = this.session!.answered(this.answeredAt).catch((err: unknown) => {
      this.log.error({ err: (err as Error).message }, 'session.answered failed');
    });
  }

  private connect(uas: Dialog, uac: Dialog): void {
    this.uas = uas;
    this.uac = uac;
    this.phase = 'connected';
    // Answered: a CANCEL or an early UPDATE on the INVITE can no longer come (the dialogs take what does), and
    // their handlers would keep the whole B2BUA setup of this call in memory for as long as it lasts.
    const invite = this.invite?.req as unknown as { removeAllListeners(event: string): void } | undefined;
    invite?.removeAllListeners('cancel');
    invite?.removeAllListeners('update');
    this.invite = undefined;
    this.uacRequest = undefined;
    try {
      this.wireText = JSON.stringify(this.wire());
      this.session?.setWireState(this.wireText);
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, 'could not read the dialogs of the call for its wire state');
    }
    // The wire state is read: the dialogs let go of the four setup messages (see dialog-memory.ts).
    releaseSetupMessages(uas, uac);
    this.reportAnswer();
    uas.on('destroy', (bye: SrfRequest) => this.legGone('caller_hangup', uac, bye));
    uac.on('destroy', (bye: SrfRequest) => this.legGone('callee_hangup', uas, bye));
    relayInDialog(uas, uac, this.log);
    relayInDialog(uac, uas, this.log);
    if (this.hangupReason) void this.tearDown(this.hangupReason);
  }

  private legGone(reason: EndReason, other: Dialog, bye: SrfRequest | undefined): void {
    const passed = bye?.get?.('Reason');
    destroyDialog(other, passed ? { Reason: passed } : {}).catch((err: unknown) => {
      this.log.warn({ err: (err as Error).message }, 'BYE to the other leg failed');
    });
    void this.finish(reason);
  }

  private cancelOutgoing(): void {
    try {
      const request = this.uacRequest as unknown as { cancel(opts: object, cb: () => void): void } | undefined;
      request?.cancel({ headers: { Reason: byeReason(this.hangupReason ?? 'shutdown') } }, () => undefined);
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, 'CANCEL toward the callee failed');
    }
  }

  private async tearDown(reason: EndReason): Promise<void> {
    const headers = { Reason: byeReason(reason) };
    const legs = [this.uas, this.uac].filter((d): d is Dialog => d !== undefined);
    await Promise.all(
      legs.map((d) =>
        destroyDialog(d, headers).catch((err: unknown) => {
          this.log.warn({ err: (err as Error).message, leg: d.type }, 'BYE failed');
        }),
      ),
    );
    await this.finish(reason);
  }

  /** CallTransport: the calls layer ends the call (credit exhausted, admin, shutdown): BYE both legs. */
  async hangUp(reason: EndReason): Promise<void> {
    if (this.phase === 'ended') return;
    this.hangupReason ??= reason;
    this.log.debug({ reason, phase: this.phase }, 'hanging up');
    if (this.phase === 'connected') return this.tearDown(reason);
    if (this.phase === 'routing') this.cancelOutgoing();
    // authorizing / answered: acted on as soon as the B2BUA settles (run, connect).
    await this.ended;
  }

  /** The drachtio-server this call runs on. */
  get edge(): string {
    return this.ctx.edge;
  }

  /** Both legs as any instance can end them (after a loss of this instance or of the SIP edge). */
  wire(): CallWire {
    // Once connected the dialogs no longer have their setup messages: the wire state read then is the one.
    const read = this.wireText !== undefined ? parseWire(this.wireText) : null;
    if (read) return read;
    return { edge: this.ctx.edge, legs: [this.uas, this.uac].filter((d): d is Dialog => d !== undefined).map(legWire) };
  }

  /** The link to this call's drachtio-server is lost: the call ends now; its legs are sent BYE once a link is back. */
  async edgeLost(): Promise<CallWire | undefined> {
    if (this.phase === 'ended') return undefined;
    const wire = this.uas || this.uac ? this.wire() : undefined;
    this.hangupReason ??= 'edge_lost';
    await this.finish('edge_lost');
    return wire;
  }

  private async finish(reason: EndReason): Promise<void> {
    if (this.phase === 'ended') return this.ended;
    this.phase = 'ended';
    const endedAt = this.session?.now();
    try {
      await this.answering;
      await this.session?.end(reason, endedAt);
    } catch (err) {
      this.log.error({ err: (err as Error).message, reason }, 'session.end failed');
    }
    // The calls layer's "call settled" / "hold released" is the call's end line at info.
    this.log.debug({ reason }, 'call ended');
    this.endedResolve();
  }
}

/** Sends BYE on a dialog; drachtio-srf returns a promise when no callback is given (its typings say void). */
function destroyDialog(dialog: Dialog, headers: Record<string, string>): Promise<unknown> {
  return (dialog.destroy as unknown as (opts: { headers: Record<string, string> }) => Promise<unknown>).call(dialog, { headers });
}

/**
 * Answers an in-dialog request with the far end's status. drachtio-srf throws
 * on a status it does not know (607, 608, ...); inside a promise handler that
 * would be an unhandled rejection, so such a status goes out as its class's
 * x00, which is how RFC 3261 reads an unknown code anyway.
 */
function answerRelayed(res: SrfResponse, status: number, opts: object, log: Logger): void {
  try {
    res.send(status, opts);
  } catch (err) {
    log.warn({ err: (err as Error).message, status }, 'relayed status not sendable; answering with its class');
    try {
      res.send(Math.min(6, Math.max(2, Math.floor(status / 100))) * 100, opts);
    } catch (again) {
      log.error({ err: (again as Error).message }, 'could not answer the in-dialog request');
    }
  }
}

/**
 * Passes re-INVITEs and UPDATEs from one leg to the other and returns the
 * other side's answer, so media changes (hold, codec) work end to end.
 */
function relayInDialog(from: Dialog, to: Dialog, log: Logger): void {
  from.on('modify', (req: SrfRequest, res: SrfResponse) => {
    if (!req.body) {
      res.send(200, { body: from.local.sdp, headers: { 'Content-Type': 'application/sdp' } });
      return;
    }
    to.modify(req.body).then(
      (sdp: string) => {
        from.local.sdp = ownString(sdp);
        answerRelayed(res, 200, { body: sdp, headers: { 'Content-Type': 'application/sdp' } }, log);
      },
      (err: unknown) => {
        log.warn({ err: (err as Error).message }, 're-INVITE relay failed');
        answerRelayed(res, statusOf(err) ?? 500, {}, log);
      },
    );
  });
  from.on('update', (req: SrfRequest, res: SrfResponse) => {
    const request = { method: 'UPDATE', body: req.body, headers: req.body ? { 'Content-Type': 'application/sdp' } : {} };
    to.request(request as unknown as SrfRequest).then(
      (answer: SrfResponse) => {
        if (answer.body) from.local.sdp = ownString(answer.body);
        answerRelayed(res, answer.status, answer.body ? { body: answer.body, headers: { 'Content-Type': 'application/sdp' } } : {}, log);
      },
      (err: unknown) => {
        log.warn({ err: (err as Error).message }, 'UPDATE relay failed');
        answerRelayed(res, statusOf(err) ?? 500, {}, log);
      },
    );
  });
}
