// A stand-in vault for the hosted fields browser test: the real hosted fields routes plus a small
// Omise-shaped POST /tokens (Basic auth with the public key, card validation, token answer). It stores
// nothing. The browser test only needs `startVaultForBrowserTest()`; swap its body for the real vault
// test bed (public listener with hostedFieldsRoutes and the real tokens route) without touching the test.
import type { FastifyInstance } from 'fastify';
import { createHttpsApp, httpError } from '#lib/http/index.ts';
import { createTestCa, createTestLogger, listen, staticIdentity } from '#lib/http/testing.ts';
import { keyFromAuthorization, newApiKey, newId } from '#lib/contracts/index.ts';
import { validateCard, type CardInput } from '../cards/card-number.ts';
import { hostedFieldsRoutes } from './hosted-fields.routes.ts';

export type BrowserTestVault = {
  /** `https://host:port` of the vault's public listener (serves /hosted/v1/* and POST /tokens). */
  readonly origin: string;
  /** A test-mode public key the vault accepts for POST /tokens. */
  readonly publicKey: string;
  close(): Promise<void>;
};

function registerStandInTokens(app: FastifyInstance, publicKey: string): void {
  app.post('/tokens', async (request) => {
    const header = request.headers.authorization;
    // Omise clients send the key as the Basic user name with an empty password.
    const decoded = header?.startsWith('Basic ') ? Buffer.from(header.slice(6), 'base64').toString('utf8') : '';
    if (keyFromAuthorization(header) !== publicKey || decoded !== `${publicKey}:`) {
      throw httpError(401, 'authentication_failure', 'authentication failed');
    }
    const body = request.body as { card?: unknown } | null;
    const input = typeof body === 'object' && body !== null ? body.card : undefined;
    if (typeof input !== 'object' || input === null) throw httpError(400, 'invalid_card', 'card data is required');
    const checked = validateCard(input as CardInput, new Date());
    if (!checked.ok) throw httpError(400, checked.code, checked.message);
    const { card } = checked;
    const created = new Date().toISOString();
    return {
      object: 'token',
      id: newId('token', false),
      livemode: false,
      location: null,
      used: false,
      charge_status: 'unknown',
      card: {
        object: 'card',
        id: newId('card', false),
        livemode: false,
        location: null,
        deleted: false,
        country: card.country ?? '',
        city: card.city,
        postal_code: card.postal_code,
        financing: '',
        bank: '',
        brand: card.brand,
        fingerprint: null,
        first_digits: null,
        last_digits: card.last_digits,
        name: card.name,
        expiration_month: card.expiration_month,
        expiration_year: card.expiration_year,
        security_code_check: card.security_code !== null,
        created_at: created,
      },
      created_at: created,
    };
  });
}

export async function startVaultForBrowserTest(): Promise<BrowserTestVault> {
  const ca = await createTestCa();
  const log = createTestLogger('vault');
  const app = createHttpsApp({ service: 'vault', identity: await staticIdentity(ca, 'vault'), mtls: false, logger: log.logger });
  const publicKey = newApiKey('public', false);
  await app.register(hostedFieldsRoutes);
  registerStandInTokens(app, publicKey);
  const port = await listen(app);
  return {
    origin: `https://127.0.0.1:${port}`,
    publicKey,
    async close() {
      await app.close();
      log.cleanup();
    },
  };
}
