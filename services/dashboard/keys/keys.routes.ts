// The API keys page (/api-keys): public keys shown, secret keys only as their last characters, last
// use (time, IP), grace periods and IP allow-lists (keys.read). Creating, rolling, revoking and
// changing an allow-list need keys.manage and a fresh step-up; a new secret key is shown once, on the
// answer to the form that made it (no redirect: it never enters a URL or the history), never stored.
// Key ids of another account answer 404 (the api finds keys within the session's account only).
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { idPattern } from '#lib/contracts/index.ts';
import { httpError } from '#lib/http/index.ts';
import { requirePermission } from '../team/permissions.ts';
import { formAction, noticeFrom, type StepUp } from '../team/team-pages.ts';
import { auditContext } from '../web/audit-context.ts';
import { formFields } from '../web/forms.ts';
import { renderPage } from '../web/views.ts';
import type { ApiKey } from './keys-api.ts';
import type { KeyActor, KeysService } from './keys.service.ts';

const KEY_ID = idPattern('key');
/** How long a rolled key keeps working: the choices the form offers (the api allows 0 to 7 days). */
export const GRACE_CHOICES: ReadonlyArray<{ seconds: number; label: string }> = [
  { seconds: 0, label: 'Stop it now' }, { seconds: 3600, label: '1 hour' }, { seconds: 86_400, label: '24 hours' },
  { seconds: 3 * 86_400, label: '3 days' }, { seconds: 7 * 86_400, label: '7 days' },
];
const NOTICES = {
  revoked: 'The key was revoked: it stopped working at once.',
  allowlist: 'The IP allow-list was saved. It applies to the next request made with the key.',
} as const;
const MAX_BLOCKS_TEXT = 20 * 50 + 40;

type IdParams = { Params: { id: string } };

function actorOf(request: FastifyRequest): KeyActor {
  const session = request.session!;
  return { ...auditContext(request), userId: session.userId, email: session.email, accountId: session.accountId };
}

function keyIdOf(request: FastifyRequest<IdParams>): string {
  if (!KEY_ID.test(request.params.id)) throw httpError(404, 'not_found', 'There is no such API key in this account.');
  return request.params.id;
}

export async function keyPageRoutes(app: FastifyInstance, deps: { keys: KeysService; stepUp: StepUp }) {
  const { keys } = deps;
  const manage = [requirePermission('keys.manage'), deps.stepUp];

  async function listPage(request: FastifyRequest, reply: FastifyReply, extra: Record<string, unknown> = {}, status = 200) {
    const session = request.session!;
    const includeExpired = (request.query as { expired?: unknown } | undefined)?.expired === '1';
    const list = await keys.list(session.accountId, includeExpired, String(request.id));
    return renderPage(request, reply, 'keys/list', {
      title: 'API keys', keys: list, includeExpired, graceChoices: GRACE_CHOICES,
      canManage: session.permissions.has('keys.manage'), notice: noticeFrom(request, NOTICES), errors: [], ...extra,
    }, status);
  }

  /** The once-only page: the new key(s), secret values included. no-store like every page (renderPage). */
  function shownOnce(request: FastifyRequest, reply: FastifyReply, created: ApiKey[], rolled?: ApiKey) {
    return renderPage(request, reply, 'keys/created', { title: 'Your new API key', created, rolled: rolled ?? null });
  }

  app.get('/api-keys', { preHandler: requirePermission('keys.read') }, async (request, reply) => listPage(request, reply));

  app.post('/api-keys', { preHandler: manage }, async (request, reply) => {
    const fields = formFields(request.body, { mode: 8, kind: 8, _csrf: 64 });
    if (!['test', 'live'].includes(fields.mode) || !['secret', 'public', 'pair'].includes(fields.kind)) {
      throw httpError(400, 'bad_request', 'Choose test or live, and a secret key, a public key or both.');
    }
    const kind = fields.kind === 'pair' ? undefined : fields.kind as 'secret' | 'public';
    return formAction(async () => shownOnce(request, reply, await keys.create(actorOf(request), { livemode: fields.mode === 'live', kind })),
      (message, status) => listPage(request, reply, { errors: [message] }, status));
  });

  app.post<IdParams>('/api-keys/:id/roll', { preHandler: manage }, async (request, reply) => {
    const fields = formFields(request.body, { grace: 8, _csrf: 64 });
    const keyId = keyIdOf(request);
    const grace = GRACE_CHOICES.find((c) => String(c.seconds) === fields.grace);
    if (!grace) throw httpError(400, 'bad_request', 'Choose how long the old key keeps working.');
    return formAction(async () => {
      const { rolled, created } = await keys.roll(actorOf(request), keyId, grace.seconds);
      return shownOnce(request, reply, [created], rolled);
    }, (message, status) => listPage(request, reply, { errors: [message] }, status));
  });

  app.post<IdParams>('/api-keys/:id/revoke', { preHandler: manage }, async (request, reply) => {
    formFields(request.body, { _csrf: 64 });
    const keyId = keyIdOf(request);
    return formAction(async () => {
      await keys.revoke(actorOf(request), keyId);
      return reply.redirect('/api-keys?notice=revoked', 303);
    }, (message, status) => listPage(request, reply, { errors: [message] }, status));
  });

  async function allowlistPage(request: FastifyRequest<IdParams>, reply: FastifyReply, extra: Record<string, unknown> = {}, status = 200) {
    const keyId = keyIdOf(request);
    const key = (await keys.list(request.session!.accountId, false, String(request.id))).find((k) => k.id === keyId);
    if (!key || key.kind !== 'secret') throw httpError(404, 'not_found', 'There is no such active secret key in this account.');
    return renderPage(request, reply, 'keys/allowlist', { title: 'IP allow-list', key, blocks: (key.ip_allowlist ?? []).join('\n'), errors: [], ...extra }, status);
  }

  app.get<IdParams>('/api-keys/:id/ip-allowlist', { preHandler: requirePermission('keys.manage') }, async (request, reply) => allowlistPage(request, reply));

  app.post<IdParams>('/api-keys/:id/ip-allowlist', { preHandler: manage }, async (request, reply) => {
    const fields = formFields(request.body, { blocks: MAX_BLOCKS_TEXT, any: 3, _csrf: 64 });
    const keyId = keyIdOf(request);
    const blocks = fields.blocks.split(/[\s,]+/).filter((b) => b !== '');
    return formAction(async () => {
      if (fields.any !== 'on' && blocks.length === 0) throw httpError(400, 'bad_request', 'List at least one address block, or allow any address.');
      await keys.setAllowlist(actorOf(request), keyId, fields.any === 'on' ? null : blocks);
      return reply.redirect('/api-keys?notice=allowlist', 303);
    }, (message, status) => allowlistPage(request, reply, { errors: [message], blocks: fields.blocks }, status));
  });
}
