// `strongroom keys …`: merchants' API keys, for operators, over the api's internal listener (mTLS,
// identity `operator`; the same certificate as `strongroom kms`). Every change is audited at the api
// with the operator's name (`--actor`, default $USER). A secret key is printed once, when it is made.
import type { PlatformSettings } from '#lib/config/index.ts';
import { createMtlsClient } from '#lib/http/index.ts';
import { operatorIdentity } from './kms-command.ts';

const USAGE = `usage: strongroom keys <command> [--actor <name>]
  list <account> [--all]                         keys of the account (--all: expired ones too)
  create <account> --live|--test [--kind public|secret]
                                                 a new key pair (or one kind); prints the secret key ONCE
  roll <account> <key> --grace <duration>        a new key; the old one works for the grace period
                                                 (0, 90s, 30m, 12h or 7d at most), then stops
  allow <account> <key> <cidr>... | --any        the secret key's IP allow-list (--any lifts it)
  revoke <account> <key>                         the key stops working now`;

const GRACE_UNITS: Readonly<Record<string, number>> = { s: 1, m: 60, h: 3600, d: 86_400 };

/** `0`, `90`, `90s`, `30m`, `12h`, `7d` → seconds (the api enforces the 7-day bound). */
export function parseGrace(text: string | undefined): number {
  const match = /^([0-9]{1,7})([smhd]?)$/.exec(text ?? '');
  if (!match) throw new Error('--grace takes a duration such as 0, 90s, 30m, 12h or 7d');
  return Number(match[1]) * (GRACE_UNITS[match[2] || 's'] ?? 1);
}

function option(args: string[], name: string): string | undefined {
  const at = args.indexOf(name);
  return at === -1 ? undefined : args[at + 1];
}

/** The arguments that are not options (nor an option's value). */
function positional(args: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    if (['--actor', '--kind', '--grace'].includes(args[i]!)) i++;
    else if (!args[i]!.startsWith('--')) out.push(args[i]!);
  }
  return out;
}

export async function keysCommand(settings: PlatformSettings, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const [verb, ...rest] = args;
  if (!verb || verb === 'help' || verb === '--help') {
    console.log(USAGE);
    return verb ? 0 : 2;
  }
  const [accountId, keyId, ...blocks] = positional(rest);
  const actor = { actor_id: option(rest, '--actor') ?? env.USER ?? '' };
  if (!accountId) {
    console.error(USAGE);
    return 2;
  }
  const api = createMtlsClient({ identity: await operatorIdentity(settings, env), baseUrl: `https://127.0.0.1:${settings.ports.apiInternal}`, expectedServer: 'api' });
  const keys = `/internal/v1/accounts/${encodeURIComponent(accountId)}/keys`;
  const key = () => {
    if (!keyId) throw new Error('name a key (key_…): `strongroom keys list <account>` shows them');
    return `${keys}/${encodeURIComponent(keyId)}`;
  };
  try {
    let answer;
    switch (verb) {
      case 'list': answer = await api.request('GET', `${keys}${rest.includes('--all') ? '?include_expired=true' : ''}`); break;
      case 'create': {
        if (rest.includes('--live') === rest.includes('--test')) throw new Error('say --live or --test');
        const kind = option(rest, '--kind');
        answer = await api.request('POST', keys, { ...actor, livemode: rest.includes('--live'), ...(kind ? { kind } : {}) });
        break;
      }
      case 'roll': answer = await api.request('POST', `${key()}/roll`, { ...actor, grace_seconds: parseGrace(option(rest, '--grace')) }); break;
      case 'allow': {
        if (rest.includes('--any') === blocks.length > 0) throw new Error('give CIDR blocks, or --any to lift the allow-list');
        answer = await api.request('PUT', `${key()}/ip-allowlist`, { ...actor, ip_allowlist: rest.includes('--any') ? null : blocks });
        break;
      }
      case 'revoke': answer = await api.request('POST', `${key()}/revoke`, actor); break;
      default:
        console.error(USAGE);
        return 2;
    }
    const body = answer.body as { code?: string; message?: string };
    if (answer.status !== 200) {
      console.error(`refused (${answer.status} ${body.code ?? ''}): ${body.message ?? ''}`);
      return 1;
    }
    if (verb === 'create' || verb === 'roll') console.error('A secret key below is shown this once: store it now.');
    console.log(JSON.stringify(answer.body, null, 2));
    return 0;
  } catch (error) {
    console.error(`error: ${(error as Error).message}`);
    return 1;
  } finally {
    await api.close();
  }
}
