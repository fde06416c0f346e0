// "A new API key was made": to every administrator of the account (team.manage), whoever made it, so a
// key made by a stolen session does not go unnoticed. Never the key itself: its kind, mode and the
// last characters only.
import type { MailMessage } from '../mail/mailer.ts';
import { formatTime } from '../web/format.ts';
import type { ApiKey } from './keys-api.ts';

export function newKeyEmail(to: string, input: { origin: string; actorEmail: string; key: ApiKey; rolledHint?: string; at: Date }): MailMessage {
  const { key } = input;
  const what = `a ${key.livemode ? 'live' : 'test'} ${key.kind} key ending in ${key.hint}`;
  const why = input.rolledHint === undefined ? 'was created' : `was created by rolling the key ending in ${input.rolledHint}`;
  return {
    kind: 'api_key_created', to, subject: `New ${key.livemode ? 'live' : 'test'} API key in your Strongroom account`,
    text: `${input.actorEmail} made ${what}. It ${why} at ${formatTime(input.at)}.\n\n` +
      `Your account's keys: ${input.origin}/api-keys\n\n` +
      'If nobody in your team expected this, revoke the key there, sign that member\'s sessions out and review the audit log.' +
      '\n\n— Strongroom\nYou received this because you are an administrator of this account.',
  };
}
