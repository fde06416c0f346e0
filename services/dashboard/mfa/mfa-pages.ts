// What the mfa/ pages share: their dependencies, the words for a refused proof, the JSON answers of
// the WebAuthn options endpoints, and the user a page acts for.
import { createHash } from 'node:crypto';
import type { FastifyReply, FastifyRequest, preHandlerAsyncHookHandler } from 'fastify';
import { errorBody, type ErrorCode } from '#lib/http/index.ts';
import { tooManyAttempts } from '../auth/answers.ts';
import type { SignInCompletion } from '../auth/complete-sign-in.ts';
import type { SessionService } from '../sessions/sessions.service.ts';
import type { UserStore } from '../users/users.store.ts';
import { auditContext } from '../web/audit-context.ts';
import { CSRF_COOKIE } from '../web/csrf.ts';
import type { CheckOutcome, FactorCheck } from './factor-check.ts';
import type { FactorActor, FactorService } from './factors.service.ts';
import type { FactorStore } from './factors.store.ts';
import type { FactorKind, MfaPolicy } from './mfa-policy.ts';
import type { PendingSignIns } from './pending-sign-in.ts';
import type { WebAuthn } from './webauthn.ts';

export type MfaPageDeps = {
  check: FactorCheck;
  service: FactorService;
  webauthn: WebAuthn;
  pending: PendingSignIns;
  policy: MfaPolicy;
  factors: FactorStore;
  users: UserStore;
  completion: SignInCompletion;
  sessions: SessionService;
  stepUp: preHandlerAsyncHookHandler;
  now: () => Date;
};

export const CODE_FIELDS = { code: 64, _csrf: 64 } as const;
export const RESPONSE_FIELDS = { response: 16_384, _csrf: 64 } as const;

/** The message and status for a refused proof (one message for wrong and replayed codes). */
export function refusal(outcome: Extract<CheckOutcome, { ok: false }>, reply: FastifyReply, kind: FactorKind): { message: string; status: number } {
  switch (outcome.reason) {
    case 'throttled': return { message: tooManyAttempts(reply, outcome.retryAfterMs), status: 429 };
    case 'unavailable': return { message: 'Authenticator app codes cannot be checked just now. Use a security key, passkey or recovery code, or try again in a few minutes.', status: 503 };
    case 'not_allowed': return { message: 'That way of confirming is not accepted for your account.', status: 403 };
    case 'wrong': return { message: WRONG[kind], status: 401 };
  }
}

const WRONG: Readonly<Record<FactorKind, string>> = {
  totp: 'That code is not right, or it was used already. Wait for the next code and try again.',
  recovery_code: 'That recovery code is not right, or it was used already.',
  webauthn: 'That security key or passkey could not be verified. Try again.',
  password: 'That password is not right.',
};

/** The set as the templates read it (`allowed.totp` …). */
export function flags(allowed: ReadonlySet<FactorKind>): Record<FactorKind, boolean> {
  return { totp: allowed.has('totp'), webauthn: allowed.has('webauthn'), recovery_code: allowed.has('recovery_code'), password: allowed.has('password') };
}

export function sendJson(reply: FastifyReply, body: unknown): FastifyReply {
  return reply.header('cache-control', 'no-store').type('application/json; charset=utf-8').send(body);
}

export function sendJsonError(reply: FastifyReply, status: number, code: ErrorCode, message: string): FastifyReply {
  return reply.code(status).header('cache-control', 'no-store').type('application/json; charset=utf-8').send(errorBody(code, message));
}

/** A signed-out browser's binding for a passkey challenge: its form cookie (the CSRF check has just compared it). */
export function browserBinding(request: FastifyRequest): string {
  return `csrf:${createHash('sha256').update(request.cookies[CSRF_COOKIE] ?? '', 'utf8').digest('hex')}`;
}

export function actorFor(request: FastifyRequest, user: { userId: string; email: string; accountId: string }): FactorActor {
  return { ...user, context: auditContext(request, { type: 'user', id: user.userId, ...(request.session ? { sessionId: request.session.id } : {}) }), ip: request.ip };
}

/** The user a pending sign-in or session is for, with their email (null if they are gone). */
export async function userOf(users: UserStore, userId: string, accountId: string) {
  const user = await users.findById(userId);
  return user ? { userId, email: user.email, accountId } : null;
}
