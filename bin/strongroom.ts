// The `strongroom` command: start the platform, verify audit chains, operate the KMS (seal, unseal, keys),
// manage merchants' API keys, run the support desk.
import { readPlatformSettings } from '#lib/config/index.ts';

const [command, ...rest] = process.argv.slice(2);
const settings = readPlatformSettings(process.env, rest);

switch (command) {
  case 'start': {
    const { startPlatform } = await import('./platform/start.ts');
    await startPlatform(settings);
    break;
  }
  case 'audit': {
    const { auditCommand } = await import('./platform/audit-command.ts');
    process.exitCode = await auditCommand(settings, rest);
    break;
  }
  case 'pki': {
    const { pkiCommand } = await import('./platform/pki-command.ts');
    process.exitCode = await pkiCommand(settings, rest);
    break;
  }
  case 'kms': {
    const { kmsCommand } = await import('./platform/kms-command.ts');
    process.exitCode = await kmsCommand(settings, rest);
    break;
  }
  case 'keys': {
    const { keysCommand } = await import('./platform/keys-command.ts');
    process.exitCode = await keysCommand(settings, rest);
    break;
  }
  case 'support': {
    const { supportCommand } = await import('./platform/support-command.ts');
    process.exitCode = await supportCommand(settings, rest);
    break;
  }
  default:
    console.error([
      'usage: strongroom start [--production]',
      '       strongroom audit verify [--service kms|vault|api|dashboard] [--public-key keys.json]',
      '       strongroom kms status|init|unseal|reset-unseal|seal|describe|rotate|min-version|set-state|public-keys (strongroom kms help)',
      '       strongroom pki client-cert scanner|operator <out.pem>',
      '       strongroom keys list|create|roll|allow|revoke <account> … (strongroom keys help)',
      '       strongroom support list|inbound|show|verify-code|reply … (strongroom support help)',
    ].join('\n'));
    process.exitCode = 2;
}
