// The `strongroom` command: start the platform, verify audit chains (and, later, unseal the KMS).
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
  default:
    console.error('usage: strongroom start [--production] | strongroom audit verify [--service kms|vault|api|dashboard] | strongroom pki client-cert scanner <out.pem>');
    process.exitCode = 2;
}
