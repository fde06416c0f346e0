// The ONE catalogue of dashboard permissions (`<area>.<verb>`), and `requirePermission(p)`, the
// preHandler every account page declares (the few routes that need only a signed-in user, such as
// accepting an invitation, use sessions/ `requireSession`). No session: a browser is sent to sign
// in, anything else gets 401. Missing permission: 403 and a `dashboard.access.denied` audit entry.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { httpError } from '#lib/http/index.ts';
import { safeNext } from '../sessions/session.plugin.ts';

/** Every permission, with the one line a role editor shows. Money-moving ones say so. */
export const PERMISSIONS = {
  'account.read': 'See the account overview and its settings',
  'account.manage': 'Change account settings (require MFA for every member, password policy profile, business details)',
  'profile.manage': 'Manage your own password, MFA, sessions and login history',
  'charges.read': 'See charges and their status',
  'charges.refund': 'Refund charges (moves money)',
  'refunds.read': 'See refunds',
  'customers.read': 'See customers (email, description, metadata)',
  'cards.read_masked': 'See card details, masked: brand, last 4 digits, expiry (never the full number)',
  'keys.read': 'See API keys (public keys, last use; secret keys are shown only when created or rolled)',
  'keys.manage': 'Create, roll and revoke API keys and their IP allow-lists',
  'webhooks.read': 'See webhook endpoints and deliveries',
  'webhooks.manage': 'Add, change and remove webhook endpoints',
  'logs.read': 'See API request logs and events',
  'team.read': 'See members, invitations and roles',
  'team.manage': 'Invite and remove members, change their roles (only to permissions you hold)',
  'roles.manage': 'Create, change and delete custom roles (only from permissions you hold)',
  'owners.manage': 'Grant or take away the Owner role',
  'audit.read': 'See the audit log and its integrity check',
  'audit.export': 'Export the audit log as CSV',
  'data.export': 'Export charges, refunds and customers as CSV',
  'support.use': 'Open support requests and verify requests made in your name',
} as const;

export type Permission = keyof typeof PERMISSIONS;
export const ALL_PERMISSIONS: readonly Permission[] = Object.freeze(Object.keys(PERMISSIONS) as Permission[]);

/** Held by every member whatever their roles: their own profile, and the page that says where they are. */
export const BASELINE_PERMISSIONS: readonly Permission[] = Object.freeze(['account.read', 'profile.manage'] as Permission[]);

export function isPermission(value: unknown): value is Permission {
  return typeof value === 'string' && Object.hasOwn(PERMISSIONS, value);
}

export const DENIED_ACTION = 'dashboard.access.denied';

/** What the permission check reads from `request.session` (sessions/ `Session`, loaded per request). */
export type PermissionSession = {
  id: string;
  userId: string;
  accountId: string;
  permissions: ReadonlySet<string>;
};

/** The audit write for a refusal; registered once per app by `registerAccessControl` (access-control.ts). */
export type DenialRecorder = (request: FastifyRequest, permission: Permission, session: PermissionSession) => Promise<void>;
export const DENIAL_RECORDER = 'teamDenialRecorder';

function sessionOf(request: FastifyRequest): PermissionSession | null {
  const session = (request as { session?: PermissionSession | null }).session;
  return session ?? null;
}

/** A browser (forms and page visits) is sent to sign in; anything else gets a 401 error body. */
export function wantsHtml(request: FastifyRequest): boolean {
  return (request.headers.accept ?? '').includes('text/html');
}

async function refuseAnonymous(request: FastifyRequest, reply: FastifyReply): Promise<void> {
  if (!wantsHtml(request)) throw httpError(401, 'authentication_failure', 'sign in to continue');
  // Only a page visit comes back after sign-in; a form post would be replayed without its context.
  const back = request.method === 'GET' || request.method === 'HEAD';
  await reply.header('cache-control', 'no-store').redirect(back ? `/sign-in?next=${encodeURIComponent(safeNext(request.url))}` : '/sign-in', 303);
}

/** preHandler: a session is required, and it must hold `permission` in its account. */
export function requirePermission(permission: Permission) {
  if (!isPermission(permission)) throw new Error(`requirePermission: unknown permission ${String(permission)}`);
  const check = async function permissionCheck(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    const session = sessionOf(request);
    if (session === null) return refuseAnonymous(request, reply);
    if (session.permissions.has(permission)) return;
    const record = (request.server as unknown as Record<string, DenialRecorder | undefined>)[DENIAL_RECORDER];
    // Fail closed: an app without the recorder cannot prove its refusals, so it refuses loudly.
    if (typeof record !== 'function') throw new Error('requirePermission: registerAccessControl was not registered on this app');
    await record(request, permission, session);
    throw httpError(403, 'forbidden', 'your role does not allow this; ask an account administrator');
  };
  // Route inventories read which permission a route checks (routes.matrix.test.ts).
  return Object.assign(check, { permission });
}
