// `strongroom kms …`: the operator's tool for the KMS, over mTLS with the `operator` identity.
// Development: the identity is issued on the spot by the dev internal CA. Production: the operator's
// own certificate (STRONGROOM_OPERATOR_CERT_FILE, STRONGROOM_OPERATOR_KEY_FILE, issued by the internal CA
// in STRONGROOM_INTERNAL_CA_FILE with `spiffe://strongroom.local/operator` in its SAN).
// Shares are read from standard input, never from the command line (shell history, `ps`).
import { readFile } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import type { PlatformSettings } from '#lib/config/index.ts';
import { createKmsClient, KmsRequestError, KmsUnavailableError } from '#lib/kms-client/index.ts';
import { createStaticIdentity, generateKeyPair, type Identity } from '#lib/tls/index.ts';
import { createDevPki } from './pki.ts';

const USAGE = `usage: strongroom kms <command>
  status                          seal state and unseal progress
  init --shares N --threshold M   create the seal; prints the N custodian shares ONCE
  unseal                          submit one share, read from standard input
  reset-unseal                    discard the shares submitted so far
  seal                            seal now (every key operation answers 503 until unsealed)
  describe <key>                  versions and states of a key
  rotate <key>                    new primary version (old versions keep decrypting)
  min-version <key> <version>     versions below it stop decrypting (retired)
  set-state <key> <version> decrypt-only|retired|destroyed
  public-keys [key]               published verification keys (default audit-checkpoint), as the
                                  key file of \`strongroom audit verify --public-key\``;

/** The operator's mTLS identity (also used by `strongroom keys`). */
export async function operatorIdentity(settings: PlatformSettings, env: NodeJS.ProcessEnv): Promise<Identity> {
  if (env.STRONGROOM_OPERATOR_CERT_FILE && env.STRONGROOM_OPERATOR_KEY_FILE && settings.tlsFiles.internalCa) {
    return createStaticIdentity({
      certPem: await readFile(env.STRONGROOM_OPERATOR_CERT_FILE, 'utf8'),
      keyPem: await readFile(env.STRONGROOM_OPERATOR_KEY_FILE, 'utf8'),
      caPem: await readFile(settings.tlsFiles.internalCa, 'utf8'),
    });
  }
  if (settings.production) throw new Error('production: set STRONGROOM_OPERATOR_CERT_FILE, STRONGROOM_OPERATOR_KEY_FILE and STRONGROOM_INTERNAL_CA_FILE');
  const pki = await createDevPki(settings);
  const pair = generateKeyPair();
  const certPem = await pki.issueToolIdentity('operator', pair.publicKeyPem);
  return createStaticIdentity({ certPem, keyPem: pair.privateKeyPem, caPem: pki.internalCaPem });
}

async function readLine(prompt: string): Promise<string> {
  if (process.stdin.isTTY) process.stderr.write(prompt);
  const lines = createInterface({ input: process.stdin, terminal: false });
  for await (const line of lines) {
    lines.close();
    return line.trim();
  }
  return '';
}

function flag(args: string[], name: string): number | undefined {
  const at = args.indexOf(name);
  return at === -1 ? undefined : Number(args[at + 1]);
}

export async function kmsCommand(settings: PlatformSettings, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const [verb, ...rest] = args;
  if (!verb || verb === 'help' || verb === '--help') {
    console.log(USAGE);
    return verb ? 0 : 2;
  }
  const kms = createKmsClient({
    identity: await operatorIdentity(settings, env),
    baseUrl: env.STRONGROOM_KMS_URL ?? `https://127.0.0.1:${settings.ports.kms}`,
  });
  const key = (name: string | undefined) => {
    if (!name) throw new Error('name a key, e.g. card-data');
    return `/v1/keys/${encodeURIComponent(name)}`;
  };
  try {
    let result: unknown;
    switch (verb) {
      case 'status': result = await kms.sealStatus(); break;
      case 'init': {
        const shares = flag(rest, '--shares') ?? 5;
        const threshold = flag(rest, '--threshold') ?? 3;
        const created = await kms.call<{ install_id: string; threshold: number; shares: string[] }>('POST', '/v1/sys/init', { shares, threshold });
        console.log(`KMS initialised (installation ${created.install_id}): ${created.shares.length} shares, any ${created.threshold} unseal it.`);
        console.log('Give each share to a different custodian now. They are shown once and stored nowhere.\n');
        created.shares.forEach((share, i) => console.log(`custodian ${i + 1}: ${share}`));
        return 0;
      }
      case 'unseal': {
        const share = await readLine('unseal share: ');
        if (!share) throw new Error('no share on standard input');
        result = await kms.call('POST', '/v1/sys/unseal', { share });
        break;
      }
      case 'reset-unseal': result = await kms.call('POST', '/v1/sys/unseal/reset'); break;
      case 'seal': result = await kms.call('POST', '/v1/sys/seal'); break;
      case 'describe': result = await kms.call('GET', key(rest[0])); break;
      case 'rotate': result = await kms.call('POST', `${key(rest[0])}/rotate`); break;
      case 'min-version': result = await kms.call('POST', `${key(rest[0])}/min-decrypt-version`, { version: Number(rest[1]) }); break;
      case 'set-state': result = await kms.call('POST', `${key(rest[0])}/versions/${Number(rest[1])}/state`, { state: rest[2] }); break;
      case 'public-keys': {
        // In the audit verifier's key-file format: `strongroom kms public-keys > keys.json`, then
        // `npm run audit:verify -- --public-key keys.json`.
        const published = await kms.publicKeys(rest[0] ?? 'audit-checkpoint');
        result = { keys: published.keys.map((k) => ({ keyId: published.key_id, version: k.version, pem: k.public_key_pem })) };
        break;
      }
      default:
        console.error(USAGE);
        return 2;
    }
    console.log(JSON.stringify(result, null, 2));
    return 0;
  } catch (error) {
    if (error instanceof KmsRequestError) console.error(`refused (${error.status} ${error.code}): ${error.message}`);
    else if (error instanceof KmsUnavailableError) console.error(`KMS unavailable (${error.reason}): ${error.message}`);
    else console.error(`error: ${(error as Error).message}`);
    return 1;
  } finally {
    await kms.close();
  }
}
