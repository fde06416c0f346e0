// The API keys page's actions: through the api (which makes the change and audits it with the user's
// id), then the dashboard's own audit entry (the session, IP and browser behind it; refusals too),
// and for every new key an email to the account's administrators (team/administrators.ts).
import { isAuditError, type Audit, type AuditRecord } from '#lib/audit/index.ts';
import { isHttpError } from '#lib/http/index.ts';
import type { Mailer } from '../mail/mailer.ts';
import type { AuditContext } from '../web/audit-context.ts';
import { newKeyEmail } from './key-mail.ts';
import type { ApiKey, KeysApi } from './keys-api.ts';

export type KeyActor = AuditContext & { userId: string; email: string; accountId: string };

export function createKeysService(deps: {
  api: KeysApi;
  audit: Pick<Audit, 'recordStandalone'>;
  mail: Pick<Mailer, 'sendLater'>;
  /** The account's administrators' addresses (team/administrators.ts). */
  administrators: (accountId: string) => Promise<string[]>;
  origin: string;
  now?: () => Date;
}) {
  const { api, audit } = deps;
  const now = deps.now ?? (() => new Date());

  /** A refusal's reason and metadata echo what the user typed; if the audit guard refuses them, the entry goes without. */
  async function record(entry: AuditRecord): Promise<void> {
    try {
      await audit.recordStandalone(entry);
    } catch (error) {
      if (!isAuditError(error)) throw error;
      await audit.recordStandalone({ ...entry, metadata: {}, outcome: { result: entry.outcome.result, reason: 'withheld: it holds text the audit trail refuses' } });
    }
  }

  /** Runs the api call, then records the outcome in the dashboard's trail (a refusal with its reason). */
  async function audited<T>(actor: KeyActor, action: string, targets: AuditRecord['targets'], metadata: Record<string, unknown>,
    call: () => Promise<T>, describe: (result: T) => { targets?: AuditRecord['targets']; metadata?: Record<string, unknown> } = () => ({})): Promise<T> {
    const base = { actor: actor.actor, origin: actor.origin, requestId: actor.requestId, action, tenant: actor.accountId };
    let result: T;
    try {
      result = await call();
    } catch (error) {
      if (isHttpError(error) && error.statusCode < 500) {
        await record({ ...base, targets, outcome: { result: 'failure', reason: error.message.slice(0, 500) }, metadata });
      }
      throw error;
    }
    const more = describe(result);
    await record({ ...base, targets: [...targets, ...(more.targets ?? [])], outcome: { result: 'success' }, metadata: { ...metadata, ...more.metadata } });
    return result;
  }

  async function tellAdministrators(actor: KeyActor, key: ApiKey, rolledHint?: string): Promise<void> {
    const at = now();
    for (const to of await deps.administrators(actor.accountId)) {
      deps.mail.sendLater(newKeyEmail(to, { origin: deps.origin, actorEmail: actor.email, key, rolledHint, at }));
    }
  }

  const describeKey = (k: Pick<ApiKey, 'kind' | 'livemode' | 'hint'>) => ({ kind: k.kind, livemode: k.livemode, hint: k.hint });

  return {
    list: (accountId: string, includeExpired: boolean, requestId?: string) => api.list(accountId, { includeExpired, requestId }),

    async create(actor: KeyActor, input: { livemode: boolean; kind?: 'public' | 'secret' }): Promise<ApiKey[]> {
      const created = await audited(actor, 'api_key.create', [], { livemode: input.livemode, kind: input.kind ?? 'pair' },
        () => api.create(actor.accountId, { ...input, actorId: actor.userId, requestId: actor.requestId }),
        (keys) => ({ targets: keys.map((k) => ({ type: 'api_key', id: k.id })), metadata: { hints: keys.map((k) => k.hint) } }));
      for (const key of created) await tellAdministrators(actor, key);
      return created;
    },

    async roll(actor: KeyActor, keyId: string, graceSeconds: number) {
      const result = await audited(actor, 'api_key.roll', [{ type: 'api_key', id: keyId }], { grace_seconds: graceSeconds },
        () => api.roll(actor.accountId, keyId, { graceSeconds, actorId: actor.userId, requestId: actor.requestId }),
        (r) => ({ targets: [{ type: 'api_key', id: r.created.id }], metadata: describeKey(r.created) }));
      await tellAdministrators(actor, result.created, result.rolled.hint);
      return result;
    },

    setAllowlist: (actor: KeyActor, keyId: string, blocks: string[] | null) =>
      audited(actor, 'api_key.set_ip_allowlist', [{ type: 'api_key', id: keyId }], { ip_allowlist: blocks },
        () => api.setAllowlist(actor.accountId, keyId, { blocks, actorId: actor.userId, requestId: actor.requestId }),
        (k) => ({ metadata: describeKey(k) })),

    revoke: (actor: KeyActor, keyId: string) =>
      audited(actor, 'api_key.revoke', [{ type: 'api_key', id: keyId }], {},
        () => api.revoke(actor.accountId, keyId, { actorId: actor.userId, requestId: actor.requestId }),
        (k) => ({ metadata: describeKey(k) })),
  };
}
export type KeysService = ReturnType<typeof createKeysService>;
