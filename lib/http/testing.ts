// Test support for lib/http: a throwaway PKI and identities (through #lib/tls's public API), a logger
// whose lines can be read back, and a raw HTTPS request helper independent of the code under test.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import {
  createCertificateAuthority,
  createStaticIdentity,
  generateKeyPair,
  issueCertificate,
  type CertificateAuthority,
  type CertificateUsage,
  type Identity,
  type IdentityMaterial,
} from '#lib/tls/index.ts';
import { createLogger, type Logger } from '#lib/log/index.ts';

export async function createTestCa(commonName = 'Strongroom test CA'): Promise<CertificateAuthority> {
  return createCertificateAuthority({ commonName, validityDays: 1 });
}

export async function issueMaterial(
  ca: CertificateAuthority,
  service: string | undefined,
  options: { readonly usage?: CertificateUsage; readonly validitySeconds?: number } = {},
): Promise<IdentityMaterial> {
  const pair = generateKeyPair();
  const validitySeconds = options.validitySeconds ?? 3600;
  const certPem = await issueCertificate(ca, {
    publicKeyPem: pair.publicKeyPem,
    commonName: service ?? 'anonymous',
    ...(service !== undefined ? { spiffeId: service } : {}),
    dnsNames: ['localhost'],
    ipAddresses: ['127.0.0.1'],
    validitySeconds,
    usage: options.usage ?? 'both',
  });
  return { keyPem: pair.privateKeyPem, certPem, caPem: ca.certPem, notAfter: new Date(Date.now() + validitySeconds * 1000) };
}

export async function staticIdentity(ca: CertificateAuthority, service: string): Promise<Identity> {
  return createStaticIdentity(await issueMaterial(ca, service));
}

export type TestLogger = { readonly logger: Logger; lines(): Record<string, unknown>[]; text(): string; cleanup(): void };

export function createTestLogger(service = 'test'): TestLogger {
  const dir = mkdtempSync(join(tmpdir(), 'strongroom-http-'));
  const file = join(dir, 'app.log');
  const logger = createLogger({ service, file, stdout: false, level: 'debug' });
  const text = () => {
    try {
      return readFileSync(file, 'utf8');
    } catch {
      return '';
    }
  };
  return {
    logger,
    text,
    lines: () => text().trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

export async function listen(app: FastifyInstance): Promise<number> {
  await app.listen({ port: 0, host: '127.0.0.1' });
  return (app.server.address() as AddressInfo).port;
}

export type RawResponse = {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: string;
  readonly json: () => unknown;
  readonly serverSerial: string;
};

/** One HTTPS request on a fresh connection (no agent), with optional client certificate. */
export function rawRequest(
  port: number,
  options: {
    readonly path?: string;
    readonly method?: string;
    readonly headers?: Record<string, string>;
    readonly body?: string;
    readonly ca: string;
    readonly key?: string;
    readonly cert?: string;
  },
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const request = https.request(
      {
        host: '127.0.0.1',
        port,
        servername: 'localhost',
        path: options.path ?? '/',
        method: options.method ?? 'GET',
        headers: options.headers,
        ca: options.ca,
        key: options.key,
        cert: options.cert,
        agent: false,
      },
      (response) => {
        const serverSerial = (response.socket as import('node:tls').TLSSocket).getPeerCertificate().serialNumber;
        let body = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => (body += chunk));
        response.on('end', () =>
          resolve({ status: response.statusCode ?? 0, headers: response.headers, body, json: () => JSON.parse(body), serverSerial }),
        );
      },
    );
    request.on('error', reject);
    request.setTimeout(5_000, () => request.destroy(new Error('timeout')));
    request.end(options.body);
  });
}
