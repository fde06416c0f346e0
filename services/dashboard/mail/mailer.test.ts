// Mail: nodemailer into the outbox table, sent after the response, failures logged without content.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { auditMigrations } from '#lib/audit/index.ts';
import { loadSqlMigrations } from '#lib/db/index.ts';
import { createTestDatabase, type TestDatabase } from '#lib/db/testing.ts';
import { createTestLogger, type TestLogger } from '#lib/http/testing.ts';
import type { DashboardDatabase } from '../db.ts';
import { createMailer, createTransport, type MailTransport } from './mailer.ts';
import { passwordResetEmail, verificationEmail } from './messages.ts';
import { createOutboxReader } from './outbox.transport.ts';

describe('mail', () => {
  let database: TestDatabase<DashboardDatabase>;
  let log: TestLogger;
  before(async () => {
    database = await createTestDatabase<DashboardDatabase>([await auditMigrations(), await loadSqlMigrations('dashboard', new URL('../migrations/', import.meta.url))]);
    log = createTestLogger('dashboard');
  });
  after(async () => {
    await database?.close();
    log?.cleanup();
  });

  test('without SMTP, messages go through nodemailer into the outbox', async () => {
    const mail = createMailer({ transport: createTransport(database.db, { from: 'Strongroom <no-reply@dashboard.test>' }), from: 'Strongroom <no-reply@dashboard.test>', logger: log.logger });
    await mail.send(verificationEmail('ada@shop.example', { origin: 'https://dashboard.test', token: 'T'.repeat(43), businessName: 'Ada Shop' }));
    const [row] = await createOutboxReader(database.db).latest();
    assert.equal(row?.recipient, 'ada@shop.example');
    assert.match(row!.subject, /Confirm your email/);
    assert.match(row!.body, /https:\/\/dashboard\.test\/verify-email\?token=T{43}\n/);
    assert.match(row!.body, /Ada Shop/);
  });

  test('sendLater answers at once, delivers after, and logs a failure by kind and code only', async () => {
    const delivered: string[] = [];
    let fail = false;
    const transport: MailTransport = {
      async sendMail(message) {
        await new Promise((resolve) => setTimeout(resolve, 30));
        if (fail) throw Object.assign(new Error(`550 mailbox ${message.to} says no: ${message.text}`), { code: 'EENVELOPE', responseCode: 550 });
        delivered.push(message.to);
      },
      close() {},
    };
    const mail = createMailer({ transport, from: 'x@dashboard.test', logger: log.logger });
    const message = passwordResetEmail('bob@shop.example', { origin: 'https://dashboard.test', token: 'S'.repeat(43) });
    mail.sendLater(message);
    assert.deepEqual(delivered, [], 'not sent inside the request');
    await mail.idle();
    assert.deepEqual(delivered, ['bob@shop.example']);

    fail = true;
    mail.sendLater(message);
    await mail.idle();
    const text = log.text();
    assert.match(text, /"mailKind":"password_reset","code":"EENVELOPE","responseCode":550,"msg":"email could not be sent"/);
    assert.ok(!text.includes('S'.repeat(43)), 'the link is not logged');
    assert.ok(!text.includes('bob@shop.example'), 'nor the address');
  });
});
