// Test support for real TLS handshakes: a throwaway PKI, a TLS server that greets every peer it
// accepts, and a client attempt that reports what was negotiated or why it failed.
import { once } from 'node:events';
import tls from 'node:tls';
import type { AddressInfo } from 'node:net';
import type { IdentityMaterial } from './identity-material.ts';
import { createCertificateAuthority, generateKeyPair, issueCertificate, type CertificateAuthority, type CertificateUsage } from './pki.ts';

export const GREETING = 'strongroom-hello';

export async function createTestCa(commonName = 'Strongroom test CA'): Promise<CertificateAuthority> {
  return createCertificateAuthority({ commonName, validityDays: 1 });
}

/** Key + certificate for `service` (SPIFFE ID, localhost, 127.0.0.1) issued by `ca`. */
export async function issueTestIdentity(
  ca: CertificateAuthority,
  service: string,
  options: { readonly usage?: CertificateUsage; readonly validitySeconds?: number; readonly publicKeyPem?: string; readonly keyPem?: string } = {},
): Promise<IdentityMaterial> {
  const pair = options.publicKeyPem !== undefined && options.keyPem !== undefined
    ? { publicKeyPem: options.publicKeyPem, privateKeyPem: options.keyPem }
    : generateKeyPair();
  const validitySeconds = options.validitySeconds ?? 3600;
  const certPem = await issueCertificate(ca, {
    publicKeyPem: pair.publicKeyPem,
    commonName: service,
    spiffeId: service,
    dnsNames: ['localhost'],
    ipAddresses: ['127.0.0.1'],
    validitySeconds,
    usage: options.usage ?? 'both',
  });
  return { keyPem: pair.privateKeyPem, certPem, caPem: ca.certPem, notAfter: new Date(Date.now() + validitySeconds * 1000) };
}

export type TestTlsServer = {
  readonly port: number;
  /** Handshakes the server side completed and accepted. */
  accepted(): number;
  /** `tlsClientError`s seen: error code and the certificate verification error, if any. */
  refusals(): { code: string | undefined; authorizationError: string | undefined }[];
  close(): Promise<void>;
};

export async function startTlsServer(options: tls.TlsOptions): Promise<TestTlsServer> {
  let accepted = 0;
  const refusals: { code: string | undefined; authorizationError: string | undefined }[] = [];
  const sockets = new Set<tls.TLSSocket>();
  const server = tls.createServer(options, (socket) => {
    accepted++;
    sockets.add(socket);
    socket.on('error', () => undefined);
    socket.on('close', () => sockets.delete(socket));
    // Written, not ended: the peer decides when the connection closes (renegotiation tests need it open).
    socket.write(GREETING);
  });
  server.on('tlsClientError', (error: NodeJS.ErrnoException, socket: tls.TLSSocket) => {
    const authorizationError = socket.authorizationError;
    refusals.push({ code: error.code, authorizationError: authorizationError === undefined ? undefined : String(authorizationError) });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    port: (server.address() as AddressInfo).port,
    accepted: () => accepted,
    refusals: () => [...refusals],
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export type HandshakeResult =
  | { readonly ok: true; readonly protocol: string; readonly cipher: string; readonly group: string | undefined; readonly peer: tls.PeerCertificate }
  | { readonly ok: false; readonly error: string };

/** Connects and succeeds only if the server's greeting arrives, i.e. both sides accepted the handshake. */
export function attemptHandshake(port: number, options: tls.ConnectionOptions): Promise<HandshakeResult> {
  return new Promise((resolve) => {
    let received = '';
    const socket = tls.connect({ host: '127.0.0.1', port, servername: 'localhost', ...options });
    const timer = setTimeout(() => finish({ ok: false, error: 'timeout' }), 5_000);
    function finish(result: HandshakeResult): void {
      clearTimeout(timer);
      socket.destroy();
      resolve(result);
    }
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      received += chunk;
      if (received === GREETING) {
        const key = socket.getEphemeralKeyInfo();
        finish({
          ok: true,
          protocol: socket.getProtocol() ?? '',
          cipher: socket.getCipher().name,
          group: key !== null && 'name' in key ? String(key.name) : undefined,
          peer: socket.getPeerCertificate(),
        });
      }
    });
    socket.on('error', (error: NodeJS.ErrnoException) => finish({ ok: false, error: error.code ?? error.message }));
    socket.on('close', () => finish({ ok: false, error: received === '' ? 'closed without greeting' : 'partial greeting' }));
  });
}
