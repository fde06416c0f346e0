// A nodemailer transport that delivers into the mail_outbox table: the development and test
// stand-in for SMTP (never used in production: dashboard-settings.ts refuses it there).
import type { Transport } from 'nodemailer';
import type { Kysely } from '#lib/db/index.ts';
import type { DashboardDatabase } from '../db.ts';

type Delivered = { recipient: string; messageId: string };

function addressesOf(value: unknown): string {
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) return value.map(addressesOf).join(', ');
  if (value !== null && typeof value === 'object' && 'address' in value) return String((value as { address: unknown }).address);
  return '';
}

export function outboxTransport(db: Kysely<DashboardDatabase>): Transport<Delivered> {
  return {
    name: 'strongroom-outbox',
    version: '1',
    send(mail, callback) {
      const { to, subject, text } = mail.data;
      const row = { recipient: addressesOf(to), subject: String(subject ?? ''), body: typeof text === 'string' ? text : '' };
      if (row.recipient === '') {
        callback(new Error('outbox: a message without a recipient'), { recipient: '', messageId: '' });
        return;
      }
      db.insertInto('mail_outbox').values(row).returning('id').executeTakeFirstOrThrow().then(
        (inserted) => callback(null, { recipient: row.recipient, messageId: `outbox-${inserted.id}` }),
        (error: unknown) => callback(error instanceof Error ? error : new Error(String(error)), { recipient: '', messageId: '' }),
      );
    },
  };
}

export function createOutboxReader(db: Kysely<DashboardDatabase>) {
  return {
    latest: (limit = 50) => db.selectFrom('mail_outbox').selectAll().orderBy('id', 'desc').limit(limit).execute(),
  };
}
