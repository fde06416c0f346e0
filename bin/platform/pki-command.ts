// `strongroom pki client-cert <name> <out.pem>`: dev only. Issues a one-hour client identity from the
// dev internal CA for operator tools, e.g. the CI TLS scan of internal listeners. The identity name
// is on no route's allow-list, so it can only reach what any verified internal caller can (/healthz).
import { writeFile } from 'node:fs/promises';
import { generateKeyPair } from '#lib/tls/index.ts';
import type { PlatformSettings } from '#lib/config/index.ts';
import { createDevPki } from './pki.ts';

const TOOL_NAMES = /^(scanner|operator)$/;

export async function pkiCommand(settings: PlatformSettings, args: string[]): Promise<number> {
  const [verb, name, out] = args;
  if (verb !== 'client-cert' || !name || !out || !TOOL_NAMES.test(name)) {
    console.error('usage: strongroom pki client-cert scanner|operator <out.pem>');
    return 2;
  }
  if (settings.production) {
    console.error('refused: production uses the operator PKI');
    return 2;
  }
  const pki = await createDevPki(settings);
  const keys = await generateKeyPair();
  const certPem = await pki.issueToolIdentity(name, keys.publicKeyPem);
  await writeFile(out, certPem + keys.privateKeyPem, { mode: 0o600 });
  console.log(`wrote ${out} (client certificate for ${name}, valid one hour)`);
  return 0;
}
