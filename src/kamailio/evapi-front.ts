/**
 * The evapi transport of the Kamailio front: the same ControlFront the HTTP
 * routes drive, fed by Kamailio's evapi events (authorize, answered, ended)
 * over one connection per Kamailio, and the reconcile that ends calls whose
 * dialog Kamailio no longer has when an event may have been lost.
 */
import type { Config } from '../config/schema.js';
import type { EndReason } from '../domain.js';
import type { Logger } from '../log.js';
import type { ControlFront, PlatformDecision } from './control-front.js';
import { authorizeBody, dialogRef, PLATFORM_END_REASONS, setupLooksValid } from './control-routes.js';
import { openEvapiLink, type EvapiLink } from './evapi-link.js';
import { callRpc, endDialog } from './json-rpc.js';

export interface EvapiFrontOptions {
  config: Pick<Config, 'instanceId' | 'kamailio'>;
  front: ControlFront;
  logger: Logger;
  /** This instance's id (Kamailio's tag for its connection); config.instanceId by default. */
  instanceId: string;
}

export interface EvapiFront {
  /** Connected links out of all configured. */
  status(): { up: number; total: number };
  /** Shutting down: each Kamailio sends new calls to other instances while one is connected (this one keeps its calls' events). */
  draining(): void;
  stop(): Promise<void>;
}

/** A Kamailio dialog as dlg.briefing "cs" lists it. */
interface Briefing {
  'call-id'?: string;
  state?: number;
}
/** The dialog module's DLG_STATE_DELETED: over, only waiting for its BYEs' answers. */
const DLG_DELETED = 5;
/** A call answered with keep:false is ended this long after the answer, so the caller's ACK passes first. */
const END_AFTER_ANSWER_MS = 200;

const isInt = (v: unknown): v is number => Number.isInteger(v) && (v as number) >= 0;
const endReasons = new Set<string>(PLATFORM_END_REASONS);

export function startEvapiFront(opts: EvapiFrontOptions): EvapiFront {
  const { config, front } = opts;
  const logger = opts.logger.child({ component: 'kamailio-evapi' });
  const token = config.kamailio.controlToken;
  if (!token) throw new Error('kamailio.evapi needs kamailio.controlToken');
  const links: EvapiLink[] = [];
  const timers: NodeJS.Timeout[] = [];
  let draining = false;

  for (const k of config.kamailio.evapi) {
    const rpcUrl = k.rpcUrl ?? config.kamailio.rpcUrl;
    const name = `${k.host}:${k.port}`;
    const log = logger.child({ evapi: name });
    /** Since when the link is down (calls admitted before it may have lost an event); undefined while up. */
    let downSinceMs: number | undefined = Date.now();
    /** Calls missing from one reconcile: ended if still missing at the next. */
    const missing = new Set<string>();
    let reconciling = false;

    const reply = (link: EvapiLink, tindex: number, tlabel: number, decision: PlatformDecision | { decision: 'error'; message: string }): void => {
      if (link.send({ event: 'decision', tindex, tlabel, ...decision })) return;
      // Not delivered: Kamailio answers the INVITE 503 at its timeout; an admitted call must not stay live here.
      log.warn({ tindex, tlabel, decision: decision.decision }, 'evapi link down: the decision could not be sent');
      if (decision.decision === 'allow') void front.ended(decision.callToken, 'failed');
    };

    const onAuthorize = (link: EvapiLink, m: Record<string, unknown>): void => {
      const { tindex, tlabel } = m;
      if (!isInt(tindex) || !isInt(tlabel)) {
        log.warn({ tindex, tlabel }, 'evapi authorize without a transaction id: dropped');
        return;
      }
      const setup = setupLooksValid(m.call) ? { success: true as const, data: m.call } : authorizeBody.safeParse(m.call);
      if (!setup.success) {
        log.warn({ err: setup.error.message.slice(0, 300) }, 'evapi authorize with a call setup that is not one');
        reply(link, tindex, tlabel, { decision: 'error', message: 'not a call setup' });
        return;
      }
      front.authorize(setup.data, { rpcUrl, link: name }).then(
        (decision) => reply(link, tindex, tlabel, decision),
        (err: unknown) => {
          log.error({ err: (err as Error).message, callId: setup.data.callId }, 'authorize failed');
          reply(link, tindex, tlabel, { decision: 'error', message: 'authorize failed' });
        },
      );
    };

    const onAnswered = (m: Record<string, unknown>): void => {
      const dialog = dialogRef.safeParse(m.dialog);
      if (typeof m.token !== 'string' || !dialog.success) {
        log.warn({ token: m.token }, 'evapi answered without a token or dialog: dropped');
        return;
      }
      const ref = dialog.data;
      front.answered(m.token, ref).then(
        (verdict) => {
          if (verdict?.keep) return;
          // Ended here before the answer, or unknown here: the call must not run unbilled.
          const reason: EndReason = verdict?.reason ?? 'failed';
          log.warn({ token: m.token, reason }, 'answer of a call that is over here: ending its dialog');
          setTimeout(() => {
            endDialog(rpcUrl, ref, reason, config.kamailio.rpcTimeoutMs).catch((err: unknown) =>
              log.error({ err: (err as Error).message }, 'could not end the dialog on Kamailio'),
            );
          }, END_AFTER_ANSWER_MS).unref();
        },
        (err: unknown) => log.error({ err: (err as Error).message }, 'answered failed'),
      );
    };

    const onEnded = (m: Record<string, unknown>): void => {
      if (typeof m.token !== 'string' || typeof m.reason !== 'string' || !endReasons.has(m.reason)) {
        log.warn({ token: m.token, reason: m.reason }, 'evapi ended without a token or a known reason: dropped');
        return;
      }
      front.ended(m.token, m.reason as EndReason).catch((err: unknown) => log.error({ err: (err as Error).message }, 'ended failed'));
    };

    /**
     * Calls of this link whose dialog Kamailio no longer has. lostBeforeMs: calls admitted before it are
     * ended at once (an event may have been lost while the link was down); others after two passes.
     */
    const reconcile = async (lostBeforeMs?: number): Promise<void> => {
      if (reconciling) return;
      const calls = front.callsVia(name);
      if (calls.length === 0) {
        missing.clear();
        return;
      }
      reconciling = true;
      try {
        const listedAtMs = Date.now();
        const list = await callRpc(rpcUrl, 'dlg.briefing', ['cs'], config.kamailio.rpcTimeoutMs);
        const present = new Set<string>();
        for (const d of Array.isArray(list) ? (list as Briefing[]) : []) {
          if (d['call-id'] && d.state !== DLG_DELETED) present.add(d['call-id']);
        }
        const seen = new Set<string>();
        for (const call of calls) {
          if (call.admittedAtMs > listedAtMs - 1000) continue; // its dialog may be being set up
          seen.add(call.token);
          if (present.has(call.callId)) {
            missing.delete(call.token);
            continue;
          }
          if ((lostBeforeMs !== undefined && call.admittedAtMs < lostBeforeMs) || missing.has(call.token)) {
            missing.delete(call.token);
            log.warn({ callId: call.callId, state: call.state }, 'dialog gone from Kamailio without an end reported: ending the call (edge_lost)');
            await front.endLost(call.token);
          } else {
            missing.add(call.token);
          }
        }
        for (const t of missing) if (!seen.has(t)) missing.delete(t);
      } catch (err) {
        log.warn({ err: (err as Error).message }, 'reconcile with Kamailio\'s dialog list failed; next pass later');
      } finally {
        reconciling = false;
      }
    };

    const link = openEvapiLink({
      host: k.host,
      port: k.port,
      instanceId: opts.instanceId,
      token,
      logger,
      onMessage(m) {
        switch (m.event) {
          case 'authorize':
            return onAuthorize(link, m);
          case 'answered':
            return onAnswered(m);
          case 'ended':
            return onEnded(m);
          default:
            log.warn({ event: typeof m.event === 'string' ? m.event.slice(0, 40) : typeof m.event }, 'evapi event not understood: dropped');
        }
      },
      onUp() {
        if (draining) link.send({ event: 'draining' });
        const since = downSinceMs;
        downSinceMs = undefined;
        void reconcile(since);
      },
      onDown(atMs) {
        downSinceMs = atMs;
      },
    });
    links.push(link);
    const timer = setInterval(() => void reconcile(), config.kamailio.reconcileIntervalMs);
    timer.unref();
    timers.push(timer);
  }

  return {
    status: () => ({ up: links.filter((l) => l.up).length, total: links.length }),
    draining() {
      draining = true;
      for (const l of links) l.send({ event: 'draining' });
    },
    async stop() {
      for (const t of timers) clearInterval(t);
      await Promise.all(links.map((l) => l.close()));
    },
  };
}
