/**
 * The notifier: dedupes notices by event id, then delivers each to every
 * webhook and by e-mail, in the background, with retries and backoff.
 */
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics.js';
import { createMailer, type Mailer, type SmtpSettings } from './email.js';
import { webhookBody } from './notices.js';
import { DEFAULT_BACKOFF, withRetries, type Attempt, type Backoff } from './retry.js';
import type { ClaimNotice, Notice, Notifier } from './types.js';
import { postWebhook, type Webhook } from './webhook.js';
import { postTenantWebhook, type TenantWebhookPolicy } from './webhook-target.js';

export interface NotifierOptions {
  webhooks: Webhook[];
  smtp?: SmtpSettings;
  /** Retries per channel after the first attempt (config notify.retries). */
  retries: number;
  logger: Logger;
  metrics: Metrics;
  /** Makes "once per event id" hold across instances (see createRedisClaim); in-process only without it. */
  claim?: ClaimNotice;
  backoff?: Backoff;
  /** Per-attempt timeout of a webhook POST or an SMTP exchange. */
  timeoutMs?: number;
  /** Event ids remembered in memory for dedupe. */
  dedupeSize?: number;
  /** Where a tenant's own webhook may point: public https addresses only (default), or anywhere (tests). */
  tenantWebhookPolicy?: TenantWebhookPolicy;
}

export function createNotifier(opts: NotifierOptions): Notifier {
  const backoff = opts.backoff ?? DEFAULT_BACKOFF;
  const timeoutMs = opts.timeoutMs ?? 5000;
  const dedupeSize = opts.dedupeSize ?? 10_000;
  const mailer: Mailer | undefined = opts.smtp ? createMailer(opts.smtp, timeoutMs) : undefined;
  const seen = new Map<string, true>();
  const pending = new Set<Promise<void>>();
  const shutdown = new AbortController();
  let closed = false;

  function remember(id: string): boolean {
    if (seen.has(id)) return false;
    seen.set(id, true);
    if (seen.size > dedupeSize) {
      const oldest = seen.keys().next().value;
      if (oldest !== undefined) seen.delete(oldest);
    }
    return true;
  }

  async function deliver(channel: 'webhook' | 'email', target: string, notice: Notice, send: () => Promise<Attempt<unknown>>) {
    const log = opts.logger.child({ noticeId: notice.id, kind: notice.kind, channel, target });
    const result = await withRetries(send, opts.retries, backoff, shutdown.signal, (n, reason, delayMs) =>
      log.warn({ attempt: n, reason, delayMs }, 'notice delivery failed; retrying'),
    );
    opts.metrics.notices.inc({ kind: notice.kind, channel, outcome: result.ok ? 'sent' : 'failed' });
    if (result.ok) log.info('notice delivered');
    else log.error({ reason: result.reason }, 'notice not delivered');
  }

  async function dispatch(notice: Notice): Promise<void> {
    if (opts.claim) {
      try {
        if (!(await opts.claim(notice))) {
          opts.logger.debug({ noticeId: notice.id }, 'notice already sent by another instance');
          return;
        }
      } catch (err) {
        // A missed notice is worse than a repeated one: send without the cross-instance claim.
        opts.logger.warn({ noticeId: notice.id, err }, 'cannot claim notice id; sending it anyway');
      }
    }
    const body = webhookBody(notice);
    const jobs = opts.webhooks.map((hook) =>
      deliver('webhook', hook.url, notice, () => postWebhook(hook, notice.id, body, timeoutMs)),
    );
    const own = notice.webhook;
    if (own && !opts.webhooks.some((h) => h.url === own.url)) {
      const policy = opts.tenantWebhookPolicy ?? 'public-https';
      jobs.push(deliver('webhook', own.url, notice, () => postTenantWebhook(own, notice.id, body, timeoutMs, policy)));
    }
    if (mailer && mailer.recipients(notice).length > 0) {
      jobs.push(deliver('email', mailer.recipients(notice).join(','), notice, () => mailer.send(notice)));
    }
    await Promise.all(jobs);
  }

  function track(p: Promise<void>): void {
    const guarded = p.catch((err: unknown) => opts.logger.error({ err }, 'notice delivery crashed'));
    pending.add(guarded);
    void guarded.finally(() => pending.delete(guarded));
  }

  async function flush(): Promise<void> {
    while (pending.size > 0) await Promise.all([...pending]);
  }

  return {
    notify(notice) {
      try {
        if (closed) {
          opts.logger.error({ noticeId: notice.id }, 'notifier closed; notice dropped');
          return;
        }
        if (!remember(notice.id)) return;
        track(dispatch(notice));
      } catch (err) {
        opts.logger.error({ err, noticeId: notice?.id }, 'cannot queue notice');
      }
    },
    flush,
    async close() {
      closed = true;
      shutdown.abort();
      await flush();
      mailer?.close();
    },
  };
}
