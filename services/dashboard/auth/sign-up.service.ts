// Sign-up. The request only records what was asked (password already hashed) and emails a link;
// the merchant account (through the api) and its owner are created when that link is opened AND
// the password is entered again, so:
// - the answer to "create an account for x@y" is the same page, status and work whether or not x@y
//   has an account (an existing one gets an email saying so instead of a link);
// - nobody can hand someone else an account whose password they know (pre-account hijacking);
// - an address that never confirms leaves nothing behind but an expiring row.
import { randomUUID } from 'node:crypto';
import type { Kysely } from '#lib/db/index.ts';
import type { Audit } from '#lib/audit/index.ts';
import { newId } from '#lib/contracts/index.ts';
import type { DashboardDatabase } from '../db.ts';
import type { PolicyProfile } from '../policy-profiles.ts';
import type { AccountsApi } from '../api-client/api-client.ts';
import type { Mailer } from '../mail/mailer.ts';
import { alreadyRegisteredEmail, verificationEmail } from '../mail/messages.ts';
import type { ClientInfo } from '../sessions/client.ts';
import { hashToken, isWellFormedToken, newToken } from '../sessions/tokens.ts';
import type { UserStore } from '../users/users.store.ts';
import { hashPassword, verifyPassword } from '../users/passwords.ts';
import type { AuditContext } from '../web/audit-context.ts';
import type { PasswordVerifiedUser } from './after-password.ts';
import { isEmailAddress } from './email-address.ts';
import { mailChecks } from './mail-limits.ts';
import { checkNewPassword } from './password-policy.ts';
import type { ThrottleCheck, ThrottleStore } from './throttle.store.ts';

export const SIGNUP_LINK_HOURS = 24;
export const MAX_BUSINESS_NAME = 100;

export type SignUpInput = { email: string; password: string; businessName: string };
export type SignUpRequest = { kind: 'sent' } | { kind: 'invalid'; problems: string[] } | { kind: 'throttled'; retryAfterMs: number };
export type Verification =
  | { kind: 'created'; user: PasswordVerifiedUser }
  | { kind: 'invalid_link' }
  | { kind: 'wrong_password' }
  | { kind: 'throttled'; retryAfterMs: number }
  | { kind: 'taken' };

type Deps = {
  db: Kysely<DashboardDatabase>;
  audit: Audit;
  users: UserStore;
  throttle: ThrottleStore;
  mail: Mailer;
  accounts: AccountsApi;
  profile: PolicyProfile;
  /** https://host[:port] the emailed links point to. */
  origin: string;
  /** The account throttle sign-in uses: a wrong password at verification counts there too. */
  passwordChecks: (email: string, ip: string) => ThrottleCheck[];
  now?: () => Date;
};

export function createSignUpService(deps: Deps) {
  const { db, audit, users, throttle, mail, profile } = deps;
  const now = deps.now ?? (() => new Date());

  function validate(input: SignUpInput): string[] {
    const problems: string[] = [];
    if (!isEmailAddress(input.email)) problems.push('Enter a valid email address.');
    if (input.businessName.length === 0) problems.push('Enter your business name.');
    if (input.businessName.length > MAX_BUSINESS_NAME) problems.push(`Use at most ${MAX_BUSINESS_NAME} characters for the business name.`);
    if (problems.length > 0) return problems;
    const verdict = checkNewPassword(input.password, profile, { email: input.email, businessName: input.businessName, mfaEnrolled: false });
    return verdict.ok ? [] : verdict.problems;
  }

  /** The pending sign-up a link names, if it is unused and unexpired. */
  async function pending(token: unknown) {
    if (!isWellFormedToken(token)) return undefined;
    return db.selectFrom('signups').selectAll().where('token_hash', '=', hashToken(token))
      .where('used_at', 'is', null).where('expires_at', '>', now()).executeTakeFirst();
  }

  return {
    pending,

    async request(input: SignUpInput, client: ClientInfo, context: AuditContext): Promise<SignUpRequest> {
      const problems = validate(input);
      if (problems.length > 0) return { kind: 'invalid', problems };
      const decision = await throttle.attempt(mailChecks(input.email, client.ip));
      if (!decision.allowed) return { kind: 'throttled', retryAfterMs: decision.retryAfterMs };
      // Hashed on both paths: the work (and time) must not depend on whether the address is known.
      const passwordHash = await hashPassword(input.password);
      const existing = await users.findByEmail(input.email);
      const id = randomUUID();
      const token = newToken();
      await db.transaction().execute(async (tx) => {
        if (!existing) {
          await tx.insertInto('signups').values({
            id, email: input.email, business_name: input.businessName, password_hash: passwordHash, token_hash: hashToken(token),
            expires_at: new Date(now().getTime() + SIGNUP_LINK_HOURS * 3_600_000),
          }).execute();
        }
        await audit.record(tx, {
          ...context, action: 'user.signup_request', tenant: null, targets: [{ type: 'signup', id }],
          outcome: { result: 'success' }, metadata: { existing_user: existing !== undefined },
        });
      });
      mail.sendLater(existing
        ? alreadyRegisteredEmail(input.email, { origin: deps.origin })
        : verificationEmail(input.email, { origin: deps.origin, token, businessName: input.businessName }));
      return { kind: 'sent' };
    },

    /** Opens the link: right password → account (api), owner, and the caller signs them in. */
    async verify(input: { token: string; password: string }, client: ClientInfo, context: AuditContext): Promise<Verification> {
      const signup = await pending(input.token);
      if (!signup) return { kind: 'invalid_link' };
      const checks = deps.passwordChecks(signup.email, client.ip);
      const decision = await throttle.attempt(checks);
      if (!decision.allowed) return { kind: 'throttled', retryAfterMs: decision.retryAfterMs };
      if (!(await verifyPassword(signup.password_hash, input.password))) return { kind: 'wrong_password' };
      await throttle.succeeded(checks);

      // Claim the link first: a double submit creates one account, not two.
      const claimed = await db.updateTable('signups').set({ used_at: now() })
        .where('id', '=', signup.id).where('used_at', 'is', null).executeTakeFirst();
      if (claimed.numUpdatedRows === 0n) return { kind: 'invalid_link' };
      if (await users.findByEmail(signup.email)) return { kind: 'taken' };
      let created;
      try {
        created = await deps.accounts.createAccount({ email: signup.email, name: signup.business_name }, { requestId: context.requestId });
      } catch (error) {
        // Nothing was created: the link works again for a retry.
        await db.updateTable('signups').set({ used_at: null }).where('id', '=', signup.id).execute();
        throw error;
      }
      const userId = newId('user');
      try {
        await db.transaction().execute(async (tx) => {
          await users.insertOwner(tx, { id: userId, email: signup.email, passwordHash: signup.password_hash, accountId: created.accountId });
          await audit.record(tx, {
            ...context, actor: { type: 'user', id: userId }, action: 'user.sign_up', tenant: created.accountId,
            targets: [{ type: 'user', id: userId }, { type: 'account', id: created.accountId }, { type: 'signup', id: signup.id }],
            outcome: { result: 'success' }, metadata: { roles: ['owner'], email_verified: true },
          });
        });
      } catch (error) {
        // The address got an account in between (another sign-up or an invitation): the api account stays ownerless.
        if ((error as { code?: string }).code === '23505') return { kind: 'taken' };
        throw error;
      }
      return { kind: 'created', user: { userId, email: signup.email, accountId: created.accountId } };
    },
  };
}
export type SignUpService = ReturnType<typeof createSignUpService>;
