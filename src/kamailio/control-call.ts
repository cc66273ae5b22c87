/**
 * One call a SIP platform (Kamailio) asked about: the transport side of its
 * session. The platform reports answer and end; Tollgate ends it through
 * the platform's JSON-RPC (dlg.end_dlg) when its money or lease runs out.
 */
import type { CallSession, CallTransport, LiveCall } from '../calls/types.js';
import type { EndReason } from '../domain.js';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics.js';
import { endDialog, type DialogRef } from './json-rpc.js';
import { kamailioWire } from './wire.js';

export interface ControlCallContext {
  rpcUrl: string;
  rpcTimeoutMs: number;
  metrics: Metrics;
}

type Phase = 'authorizing' | 'ringing' | 'answered' | 'ended';

/** What the platform is told when it reports an answer. */
export type AnswerVerdict = { keep: true } | { keep: false; reason: EndReason };

export class ControlCall implements CallTransport {
  private phase: Phase = 'authorizing';
  private session: CallSession | undefined;
  private dialog: DialogRef | undefined;
  private hangupReason: EndReason | undefined;
  /** Reports of one call are handled in the order they arrive. */
  private queue: Promise<unknown> = Promise.resolve();
  private endedResolve!: () => void;
  readonly ended = new Promise<void>((resolve) => (this.endedResolve = resolve));

  constructor(
    readonly token: string,
    readonly callId: string,
    private readonly ctx: ControlCallContext,
    readonly log: Logger,
  ) {}

  /** The admitted call's session as the live-call list shows it (none before admission). */
  snapshot(): LiveCall | undefined {
    return this.session?.snapshot();
  }

  get state(): Phase {
    return this.phase;
  }

  /** Where the platform holds the answered call's dialog (known from the answer on). */
  get dialogRef(): DialogRef | undefined {
    return this.dialog;
  }

  /** Authorize allowed the call: it is ringing until the platform reports an answer. */
  admitted(session: CallSession): void {
    this.session = session;
    if (this.phase === 'authorizing') this.phase = 'ringing';
  }

  private serial<T>(op: () => Promise<T>): Promise<T> {
    const run = this.queue.then(op);
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** The platform saw the 200 OK: metering starts; the dialog is where Tollgate ends the call later. */
  answered(dialog: DialogRef | undefined): Promise<AnswerVerdict> {
    return this.serial(async () => {
      if (this.phase !== 'ringing' || !this.session) {
        return { keep: false, reason: this.hangupReason ?? 'failed' };
      }
      const at = this.session.now();
      this.phase = 'answered';
      if (dialog) {
        this.dialog = dialog;
        // Before the answer, so the ledger records it with the answer in one step (recovery ends it on the wire).
        this.session.setWireState(JSON.stringify(kamailioWire(this.ctx.rpcUrl, dialog, this.callId)));
      }
      await this.session.answered(at);
      return { keep: true };
    });
  }

  /** The platform reports the end (BYE from either side, CANCEL, a failure answer). Idempotent. */
  reportEnded(reason: EndReason): Promise<void> {
    return this.serial(() => this.finish(reason));
  }

  /** CallTransport: Tollgate ends the call (credit exhausted, lease lost, admin, shutdown). */
  async hangUp(reason: EndReason): Promise<void> {
    if (this.phase === 'ended') return;
    this.hangupReason ??= reason;
    this.log.info({ reason, phase: this.phase }, 'hanging up');
    if (this.phase === 'answered' && this.dialog) {
      const dialog = this.dialog;
      // The session settles by itself; the call ends here once the platform has sent its BYEs.
      const at = this.session?.now();
      try {
        const known = await this.endWithRetry(dialog, reason);
        this.ctx.metrics.wireEnds.inc({ outcome: known ? 'ended' : 'gone' });
      } catch (err) {
        this.ctx.metrics.wireEnds.inc({ outcome: 'failed' });
        this.log.error({ err: (err as Error).message, reason }, 'could not end the dialog on Kamailio');
      }
      return this.serial(() => this.finish(reason, at));
    }
    // Ringing: the platform is told to hang up when it reports the answer (or its end arrives first).
    return this.serial(() => this.finish(reason));
  }

  private async endWithRetry(dialog: DialogRef, reason: EndReason): Promise<boolean> {
    try {
      return await endDialog(this.ctx.rpcUrl, dialog, reason, this.ctx.rpcTimeoutMs);
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, 'dlg.end_dlg failed; trying once more');
      await new Promise((r) => setTimeout(r, 200));
      return endDialog(this.ctx.rpcUrl, dialog, reason, this.ctx.rpcTimeoutMs);
    }
  }

  private async finish(reported: EndReason, atMs?: number): Promise<void> {
    if (this.phase === 'ended') return;
    this.phase = 'ended';
    // Tollgate's own hang-up makes the platform report a BYE too: the hang-up's reason is the call's.
    const reason = this.hangupReason ?? reported;
    try {
      await this.session?.end(reason, atMs ?? this.session.now());
    } catch (err) {
      this.log.error({ err: (err as Error).message, reason }, 'session.end failed');
    }
    this.log.info({ reason }, 'call ended');
    this.endedResolve();
  }

  /** Marks a refused call as over (nothing to settle). */
  refused(): void {
    this.phase = 'ended';
    this.endedResolve();
  }

  get tenantId(): string | undefined {
    return this.session?.tenantId;
  }
}
