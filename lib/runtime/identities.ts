// The TLS identities of one service process: internal (mTLS, renewed automatically) and public.
import { createFileIdentity, createRenewingIdentity, type Identity } from '#lib/tls/index.ts';
import type { ServiceConfig } from '#lib/config/index.ts';
import type { Logger } from 'pino';
import { ipcIssuer } from './ipc-issuer.ts';

export type ServiceIdentities = { internal: Identity; public?: Identity; stop(): void };

export async function loadIdentities(config: ServiceConfig, logger: Logger): Promise<ServiceIdentities> {
  const onError = (error: unknown) => logger.error({ err: error }, 'certificate renewal failed; retrying');
  if (config.tls.source === 'supervisor') {
    const internal = await createRenewingIdentity({ name: `${config.service}-internal`, issue: ipcIssuer('internal'), onError });
    const publicIdentity = config.public
      ? await createRenewingIdentity({ name: `${config.service}-public`, issue: ipcIssuer('public'), onError, renewFraction: 1 / 3 })
      : undefined;
    internal.onChange(() => logger.info('internal certificate renewed'));
    return { internal, public: publicIdentity, stop: () => { internal.stop(); publicIdentity?.stop(); } };
  }
  const files = config.tls;
  const internal = await createFileIdentity({ keyPath: files.internalKey, certPath: files.internalCert, caPath: files.internalCa });
  const publicIdentity = config.public && files.publicKey && files.publicCert
    ? await createFileIdentity({ keyPath: files.publicKey, certPath: files.publicCert, caPath: files.internalCa })
    : undefined;
  if (config.public && !publicIdentity) throw new Error('public listener configured without certificate files');
  return { internal, public: publicIdentity, stop: () => { internal.stop(); publicIdentity?.stop(); } };
}
