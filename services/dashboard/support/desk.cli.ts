// `strongroom support …`: the support desk's commands over the desk service (bin/platform/support-command.ts
// opens the dashboard database with the dashboard's runtime credentials and calls this). The staff
// name (`--actor`, default $USER) goes into the audit trail and onto the merchant's request page.
import { isHttpError } from '#lib/http/index.ts';
import { formatTime } from '../web/format.ts';
import type { SupportDesk } from './desk.service.ts';

export const SUPPORT_USAGE = `usage: strongroom support <command> [--actor <name>]
  list [--account <acct>] [--status unverified|verified|rejected]
                                  requests, newest first (no content: not a view)
  inbound --account <acct> --from <email> --subject <text> [--channel email|phone]
                                  record a request received outside the dashboard; its text on stdin.
                                  It stays unverified: no answer until the member confirms it
  show <request>                  the request and its history (recorded as a staff view, shown to the merchant)
  verify-code <request> <code>    check the support verification code the member reads out
  reply <request>                 answer a verified request; the text on stdin`;

export type DeskIo = { out(line: string): void; err(line: string): void; stdin(): Promise<string>; user: string };

const OPTIONS = ['--actor', '--account', '--status', '--from', '--subject', '--channel'];

function option(args: string[], name: string): string | undefined {
  const at = args.indexOf(name);
  return at === -1 ? undefined : args[at + 1];
}

function positional(args: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    if (OPTIONS.includes(args[i]!)) i++;
    else out.push(args[i]!);
  }
  return out;
}

export async function runSupportDesk(desk: SupportDesk, args: string[], io: DeskIo): Promise<number> {
  const [command, ...rest] = positional(args);
  const staff = { name: option(args, '--actor') ?? io.user };
  try {
    switch (command) {
      case 'list': {
        const rows = await desk.list({ accountId: option(args, '--account'), status: option(args, '--status') });
        for (const r of rows) io.out(`${r.id}  ${r.accountId}  ${r.channel.padEnd(9)} ${r.status.padEnd(10)} ${formatTime(r.createdAt)}`);
        if (rows.length === 0) io.out('no support requests');
        return 0;
      }
      case 'inbound': {
        const channel = option(args, '--channel') ?? 'email';
        if (channel !== 'email' && channel !== 'phone') throw new Error('--channel is email or phone');
        const id = await desk.inbound(staff, {
          accountId: option(args, '--account') ?? '', from: option(args, '--from') ?? '', subject: option(args, '--subject') ?? '',
          body: await io.stdin(), channel,
        });
        io.out(`${id}: recorded, unverified. Ask the member to confirm it in the dashboard, or to read you a support verification code.`);
        return 0;
      }
      case 'show': {
        const { request, events } = await desk.show(staff, rest[0] ?? '');
        io.out(`${request.id}  account ${request.account_id}  ${request.channel}  ${request.status}${request.verification ? ` (${request.verification})` : ''}`);
        io.out(`from: ${request.claimed_email}${request.claimed_user_id ? '' : ' (no member of this account)'}`);
        io.out(`subject: ${request.subject}\n\n${request.body}\n`);
        for (const e of events) io.out(`${formatTime(e.at)}  ${e.actor_type} ${e.actor_type === 'user' ? e.actor_email ?? e.actor_id : e.actor_id}  ${e.kind}: ${e.detail}`);
        return 0;
      }
      case 'verify-code': {
        const result = await desk.verifyCode(staff, rest[0] ?? '', rest[1] ?? '');
        if (result.verified) io.out(`verified: the support verification code of ${result.memberEmail}`);
        else io.err(`NOT verified: ${result.reason}`);
        return result.verified ? 0 : 1;
      }
      case 'reply': {
        await desk.reply(staff, rest[0] ?? '', await io.stdin());
        io.out('replied: the merchant sees it on the request\'s page');
        return 0;
      }
      default:
        io.err(SUPPORT_USAGE);
        return 2;
    }
  } catch (error) {
    if (isHttpError(error) || (error instanceof Error && error.message.startsWith('--'))) {
      io.err(error.message);
      return 1;
    }
    throw error;
  }
}
