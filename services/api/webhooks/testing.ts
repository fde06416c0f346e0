// Test harness: a local HTTPS webhook receiver (a certificate from a throwaway test CA) that records
// every request, raw body and headers, and answers with the statuses it is told to, in turn; and an
// in-memory stand-in for the KMS's data-key API (the api's tests cannot load the real KMS, which is
// CDE code: test/api.webhook-secrets.test.ts runs the secrets against the real one).
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { formatWrapped, parseWrapped, type DataKeyResponse, type DecryptResponse } from '#lib/contracts/index.ts';
import { createTestCa, issueMaterial } from '#lib/http/testing.ts';
import { KmsRequestError, KmsUnavailableError } from '#lib/kms-client/index.ts';

export type ReceivedWebhook = { path: string; headers: Record<string, string | string[] | undefined>; body: Buffer };

export type WebhookReceiver = {
  /** The CA that signed the receiver's certificate (trust it for deliveries). */
  caPem: string;
  url(path?: string): string;
  received: ReceivedWebhook[];
  /** Resolves once `count` requests arrived (rejects after `timeoutMs`). */
  waitFor(count: number, timeoutMs?: number): Promise<ReceivedWebhook[]>;
  close(): Promise<void>;
};

/** `answers` are used in turn; after the last one every request gets `thenStatus` (default 200). */
export async function startWebhookReceiver(options: { answers?: number[]; thenStatus?: number } = {}): Promise<WebhookReceiver> {
  const ca = await createTestCa('webhook receiver test CA');
  const material = await issueMaterial(ca, undefined, { usage: 'server' });
  const answers = [...(options.answers ?? [])];
  const received: ReceivedWebhook[] = [];
  const server = https.createServer({ key: material.keyPem, cert: material.certPem, minVersion: 'TLSv1.2' }, (request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      received.push({ path: request.url ?? '', headers: request.headers, body: Buffer.concat(chunks) });
      response.writeHead(answers.shift() ?? options.thenStatus ?? 200, { 'content-type': 'text/plain' }).end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    caPem: ca.certPem,
    url: (path = '/hook') => `https://127.0.0.1:${port}${path}`,
    received,
    async waitFor(count, timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      while (received.length < count) {
        if (Date.now() > deadline) throw new Error(`webhook receiver got ${received.length} of ${count} requests in ${timeoutMs} ms`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      return received.slice(0, count);
    },
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

/**
 * Data keys wrapped with AES-256-GCM under one random KEK per key id (AAD: the key id), in blobs of the
 * KMS's format. `state.down` makes every call fail as an unreachable KMS does; counters count calls.
 */
export function createTestKms() {
  const keks = new Map<string, Buffer>();
  const state = { down: false, dataKeys: 0, decrypts: 0 };
  const kekOf = (keyId: string) => keks.get(keyId) ?? keks.set(keyId, randomBytes(32)).get(keyId)!;
  const check = () => {
    if (state.down) throw new KmsUnavailableError('unreachable', 'the test KMS is down');
  };
  return {
    state,
    async dataKey(keyId: string): Promise<DataKeyResponse> {
      check();
      state.dataKeys++;
      const plaintext = randomBytes(32);
      const nonce = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', kekOf(keyId), nonce).setAAD(Buffer.from(keyId));
      const ciphertext = Buffer.concat([nonce, cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
      return { key_id: keyId, version: 1, plaintext: plaintext.toString('base64'), wrapped: formatWrapped({ keyId, version: 1, ciphertext }) };
    },
    async decrypt(wrapped: string): Promise<DecryptResponse> {
      check();
      state.decrypts++;
      const blob = parseWrapped(wrapped);
      const kek = blob ? keks.get(blob.keyId) : undefined;
      if (!blob || !kek || blob.version !== 1) throw new KmsRequestError(404, 'key_not_found', 'no such key');
      try {
        const decipher = createDecipheriv('aes-256-gcm', kek, blob.ciphertext.subarray(0, 12)).setAAD(Buffer.from(blob.keyId));
        decipher.setAuthTag(blob.ciphertext.subarray(-16));
        const plaintext = Buffer.concat([decipher.update(blob.ciphertext.subarray(12, -16)), decipher.final()]);
        return { key_id: blob.keyId, version: 1, plaintext: plaintext.toString('base64') };
      } catch {
        throw new KmsRequestError(422, 'unwrap_failed', 'the wrapped key could not be unwrapped');
      }
    },
  };
}

export type TestKms = ReturnType<typeof createTestKms>;

/**
 * Which forms of a webhook secret (given as the merchant got it, base64) appear in a stored row: its
 * bytes in a binary column, or its base64, base64url or hex text in any column. Empty when none.
 */
export function secretFormsIn(row: Record<string, unknown>, secret: string): string[] {
  const bytes = Buffer.from(secret, 'base64');
  const texts = { base64: secret, base64url: bytes.toString('base64url'), hex: bytes.toString('hex') };
  const found = new Set<string>();
  for (const value of Object.values(row)) {
    const text = Buffer.isBuffer(value) ? `${value.toString('base64')} ${value.toString('hex')}` : JSON.stringify(value) ?? '';
    if (Buffer.isBuffer(value) && value.includes(bytes)) found.add('bytes');
    if (text.includes(bytes.toString('latin1'))) found.add('bytes');
    for (const [form, encoded] of Object.entries(texts)) if (text.includes(encoded)) found.add(form);
    if (text.toLowerCase().includes(texts.hex)) found.add('hex');
  }
  return [...found];
}
