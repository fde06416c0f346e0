// Test harness: a local HTTPS webhook receiver (a certificate from a throwaway test CA) that records
// every request, raw body and headers, and answers with the statuses it is told to, in turn.
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { createTestCa, issueMaterial } from '#lib/http/testing.ts';

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
