/**
 * E-mail notices over SMTP (nodemailer): one message per notice to the
 * configured recipients and the tenant's own notice address.
 */
import nodemailer from 'nodemailer';
import { renderEmail } from './notices.js';
import { errorReason, type Attempt } from './retry.js';
import type { Notice } from './types.js';

export interface SmtpSettings {
  host: string;
  port: number;
  secure: boolean;
  user?: string;
  password?: string;
  from: string;
  to: string[];
}

export interface Mailer {
  send(notice: Notice): Promise<Attempt<string>>;
  /** Recipients of a notice; empty means nothing to send. */
  recipients(notice: Notice): string[];
  close(): void;
}

export function createMailer(smtp: SmtpSettings, timeoutMs: number): Mailer {
  const transport = nodemailer.createTransport({
    host: smtp.host,
    port: smtp.port,
    secure: smtp.secure,
    ...(smtp.user ? { auth: { user: smtp.user, pass: smtp.password ?? '' } } : {}),
    connectionTimeout: timeoutMs,
    greetingTimeout: timeoutMs,
    socketTimeout: timeoutMs,
  });
  const recipients = (notice: Notice) => [...new Set([...smtp.to, ...(notice.email ? [notice.email] : [])])];
  return {
    recipients,
    async send(notice) {
      const { subject, text } = renderEmail(notice);
      try {
        const info = await transport.sendMail({
          from: smtp.from,
          to: recipients(notice),
          subject,
          text,
          headers: { 'X-Tollgate-Event-Id': notice.id },
        });
        return { ok: true, value: String(info.messageId ?? '') };
      } catch (err) {
        // SMTP 5xx replies are permanent (bad recipient, policy); 4xx and socket errors may pass later.
        const code = (err as { responseCode?: number }).responseCode;
        return { ok: false, permanent: typeof code === 'number' && code >= 500, reason: errorReason(err) };
      }
    },
    close: () => transport.close(),
  };
}
