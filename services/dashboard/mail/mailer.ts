// Email: `mail.send()` through nodemailer, over SMTP in production (TLS required) and into the
// outbox table otherwise. `mail.sendLater()` sends after the response has gone, so how long a
// delivery takes never tells a visitor whether an address has an account. Failures are logged
// with the error code only: a message body holds single-use links.
import nodemailer from 'nodemailer';
import type SMTPTransport from 'nodemailer/lib/smtp-transport';
import type { Logger } from 'pino';
import type { Kysely } from '#lib/db/index.ts';
import type { DashboardDatabase } from '../db.ts';
import { outboxTransport } from './outbox.transport.ts';

export type MailMessage = { to: string; subject: string; text: string; kind: string };

export type MailSettings = { from: string; smtpUrl?: string };

/** What the mailer needs of a nodemailer transporter. */
export type MailTransport = {
  sendMail(mail: { from: string; to: string; subject: string; text: string }): Promise<unknown>;
  close(): void;
};

// STARTTLS is mandatory on smtp:// (no plain-text fallback); smtps:// is TLS from the first byte.
const SMTP_DEFAULTS: SMTPTransport.Options = { requireTLS: true, tls: { minVersion: 'TLSv1.2' } };

export function createTransport(db: Kysely<DashboardDatabase>, settings: MailSettings): MailTransport {
  if (settings.smtpUrl) return nodemailer.createTransport(settings.smtpUrl, SMTP_DEFAULTS);
  return nodemailer.createTransport(outboxTransport(db));
}

export function createMailer(deps: { transport: MailTransport; from: string; logger: Logger }) {
  const { transport, from, logger } = deps;
  const pending = new Set<Promise<void>>();

  async function send(message: MailMessage): Promise<void> {
    await transport.sendMail({ from, to: message.to, subject: message.subject, text: message.text });
  }

  return {
    send,
    /** Fire and forget, after the caller answers; a failure is logged (code only) and not retried. */
    sendLater(message: MailMessage): void {
      const delivery: Promise<void> = new Promise<void>((resolve) => setImmediate(resolve))
        .then(() => send(message))
        .catch((error: unknown) => {
          const code = (error as { code?: unknown; responseCode?: unknown }) ?? {};
          logger.error({ mailKind: message.kind, code: String(code.code ?? ''), responseCode: code.responseCode }, 'email could not be sent');
        })
        .finally(() => pending.delete(delivery));
      pending.add(delivery);
    },
    /** Resolves when every queued delivery has finished (tests, shutdown). */
    async idle(): Promise<void> {
      while (pending.size > 0) await Promise.all([...pending]);
    },
    close(): void {
      transport.close();
    },
  };
}
export type Mailer = ReturnType<typeof createMailer>;
