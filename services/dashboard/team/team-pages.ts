// What the team pages share: the acting member from the session, the role and permission choices a
// form offers, reading its checkboxes (one field per choice: the form parser keeps one value per
// name), and showing a refused form again with its message instead of an error page.
import type { FastifyReply, FastifyRequest, preHandlerAsyncHookHandler } from 'fastify';
import { isHttpError } from '#lib/http/index.ts';
import { requestOrigin } from './access-control.ts';
import { PERMISSIONS, type Permission } from './permissions.ts';
import { PREDEFINED_ROLES } from './roles.ts';
import type { CustomRoleView } from './custom-roles.service.ts';
import type { TeamActor } from './team.audit.ts';

/** mfa/ `requireRecentMfa(minutes)`: fresh MFA before inviting, removing, changing roles. */
export type StepUp = preHandlerAsyncHookHandler;

export function actorOf(request: FastifyRequest): TeamActor {
  const session = request.session!;
  return { userId: session.userId, accountId: session.accountId, sessionId: session.id, origin: requestOrigin(request) };
}

export type RoleChoice = { key: string; name: string; why: string; custom: boolean };

export function roleChoices(custom: readonly CustomRoleView[]): RoleChoice[] {
  return [
    ...PREDEFINED_ROLES.map((r) => ({ key: r.key, name: r.name, why: r.why, custom: false })),
    ...custom.map((r) => ({ key: r.id, name: r.name, why: r.description, custom: true })),
  ];
}

export function roleNamer(custom: readonly CustomRoleView[]): (key: string) => string {
  const names = new Map(roleChoices(custom).map((c) => [c.key, c.name]));
  return (key) => names.get(key) ?? key;
}

export const PERMISSION_CHOICES: ReadonlyArray<{ key: Permission; label: string }> =
  (Object.entries(PERMISSIONS) as Array<[Permission, string]>).map(([key, label]) => ({ key, label }));

/** The candidates whose checkbox `<prefix><candidate>` was ticked. */
export function ticked(body: unknown, prefix: string, candidates: readonly string[]): string[] {
  const source = body !== null && typeof body === 'object' ? (body as Record<string, unknown>) : {};
  return candidates.filter((c) => Object.hasOwn(source, `${prefix}${c}`) && source[`${prefix}${c}`] === 'on');
}

/**
 * Runs a form's action; a refusal the member can fix (400, 409) renders `again(message)` with that
 * status instead. Anything else (403, 404, failures) goes to the error page.
 */
export async function formAction(action: () => Promise<FastifyReply>, again: (message: string, status: number) => Promise<FastifyReply>): Promise<FastifyReply> {
  try {
    return await action();
  } catch (error) {
    if (isHttpError(error) && (error.statusCode === 400 || error.statusCode === 409)) return again(error.message, error.statusCode);
    throw error;
  }
}

/** Fixed notices after a redirect (the query names one; never free text from the URL). */
export function noticeFrom(request: FastifyRequest, notices: Readonly<Record<string, string>>): string | null {
  const key = (request.query as { notice?: unknown } | undefined)?.notice;
  return typeof key === 'string' && Object.hasOwn(notices, key) ? notices[key]! : null;
}
