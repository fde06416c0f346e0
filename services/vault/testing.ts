// Test bed for the vault's key layer: a real KMS over mTLS (local backend, auto-unsealed from a
// development shares file) on a throwaway database and CA, and a vault database with the vault's
// migrations. The vault may not import KMS code (CDE boundary), so the KMS runs as it does in
// production: its own process (services/kms/main.ts), reached only over mTLS.
import { fork, type ChildProcess } from 'node:child_process';
import https from 'node:https';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { auditMigrations } from '#lib/audit/index.ts';
import { loadSqlMigrations, sql } from '#lib/db/index.ts';
import { createTestDatabase, freePort, freePorts, type TestDatabase } from '#lib/db/testing.ts';
import { createTestCa, issueMaterial, staticIdentity } from '#lib/http/testing.ts';
import { createKmsClient, type KmsClient } from '#lib/kms-client/index.ts';
import type { Identity } from '#lib/tls/index.ts';
import { hashApiKey, newApiKey, newId } from '#lib/contracts/index.ts';
import { createMtlsClient, type MtlsClient } from '#lib/http/index.ts';
import { createTestLogger } from '#lib/http/testing.ts';
import { Agent, request } from 'undici';
import type { VaultDatabase } from './db.ts';
import { buildVault, type Vault } from './server.ts';

const KMS_MAIN = new URL('../kms/main.ts', import.meta.url);
const KMS_MIGRATIONS = new URL('../kms/migrations/', import.meta.url);

export type KmsProcess = {
  baseUrl: string;
  /** The KMS's own database (for reading its audit log). */
  database: TestDatabase<unknown>;
  /** Clients as the vault (the only identity allowed card-data keys) and as an operator. */
  vault: KmsClient;
  operator: KmsClient;
  /** An mTLS identity for `service` from the bed's CA (the one the KMS trusts). */
  identity(service: string): Promise<Identity>;
  seal(): Promise<void>;
  unseal(): Promise<void>;
  /** Rotates a KMS key; returns the new primary version. */
  rotate(keyId?: string): Promise<number>;
  /** KMS audit entries with this action by this caller (committed, chained or not). */
  countActions(action: string, caller?: string): Promise<number>;
  output(): string;
  close(): Promise<void>;
};

async function writeOwn(path: string, text: string) {
  // eslint-disable-next-line security/detect-non-literal-fs-filename -- a file in the bed's own mkdtemp folder
  await writeFile(path, text, { mode: 0o600 });
}

export async function startKmsProcess(): Promise<KmsProcess> {
  const dir = await mkdtemp(join(tmpdir(), 'vault-kms-'));
  const database = await createTestDatabase<unknown>([await auditMigrations(), await loadSqlMigrations('kms', KMS_MIGRATIONS)]);
  const ca = await createTestCa();
  const material = await issueMaterial(ca, 'kms');
  const files = { internalKey: join(dir, 'kms.key'), internalCert: join(dir, 'kms.crt'), internalCa: join(dir, 'ca.crt') };
  await writeOwn(files.internalKey, material.keyPem);
  await writeOwn(files.internalCert, material.certPem);
  await writeOwn(files.internalCa, material.caPem);
  const port = await freePort();
  const sharesFile = join(dir, 'shares.json');
  const configFile = join(dir, 'kms.json');
  await writeOwn(configFile, JSON.stringify({
    service: 'kms', production: false, dataDir: dir, logFile: join(dir, 'kms.log'), logLevel: 'warn',
    databaseUrl: database.runtimeUrl, internal: { host: '127.0.0.1', port }, peers: {},
    tls: { source: 'files', ...files },
    extra: { backend: 'local', devSharesFile: sharesFile, rotationCheckSeconds: 3600 },
  }));

  let output = '';
  const child: ChildProcess = fork(fileURLToPath(KMS_MAIN), [], {
    env: { ...process.env, STRONGROOM_SERVICE_CONFIG: configFile },
    execPath: process.execPath,
    execArgv: [],
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  for (const stream of [child.stdout, child.stderr]) stream?.on('data', (chunk: Buffer) => { output = (output + chunk.toString()).slice(-20_000); });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the KMS did not start:\n${output}`)), 60_000);
    child.on('message', (message: { type?: string }) => {
      if (message.type === 'ready') {
        clearTimeout(timer);
        resolve();
      }
    });
    void exited.then(() => {
      clearTimeout(timer);
      reject(new Error(`the KMS exited before it was ready (${child.exitCode}):\n${output}`));
    });
  });

  const baseUrl = `https://127.0.0.1:${port}`;
  const vault = createKmsClient({ identity: await staticIdentity(ca, 'vault'), baseUrl });
  const operator = createKmsClient({ identity: await staticIdentity(ca, 'operator'), baseUrl });
  return {
    baseUrl, database, vault, operator,
    identity: (service: string) => staticIdentity(ca, service),
    output: () => output,
    async seal() {
      await operator.call('POST', '/v1/sys/seal');
    },
    async unseal() {
      // eslint-disable-next-line security/detect-non-literal-fs-filename -- the shares file in the bed's own mkdtemp folder
      const shares = (JSON.parse(await readFile(sharesFile, 'utf8')) as { shares: string[] }).shares;
      for (const share of shares) {
        const status = await operator.call<{ sealed: boolean }>('POST', '/v1/sys/unseal', { share });
        if (!status.sealed) return;
      }
      throw new Error('the development shares did not unseal the KMS');
    },
    async rotate(keyId = 'card-data') {
      return (await operator.call<{ primary_version: number }>('POST', `/v1/keys/${keyId}/rotate`)).primary_version;
    },
    async countActions(action: string, caller?: string) {
      const actor = caller === undefined ? sql`` : sql`AND entry -> 'actor' ->> 'id' = ${caller}`;
      const result = await sql<{ n: number }>`
        SELECT count(*)::int AS n FROM (SELECT entry FROM audit_log UNION ALL SELECT entry FROM audit_outbox) AS entries
        WHERE entry ->> 'action' = ${action} ${actor}`.execute(database.db);
      return result.rows[0]?.n ?? 0;
    },
    async close() {
      await vault.close();
      await operator.close();
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
        await exited;
        clearTimeout(timer);
      }
      await database.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export async function createVaultTestDatabase(): Promise<TestDatabase<VaultDatabase>> {
  return createTestDatabase<VaultDatabase>([await auditMigrations(), await loadSqlMigrations('vault', new URL('./migrations/', import.meta.url))]);
}


/** A KMS client that counts its calls and keeps every DEK plaintext it saw (base64), for the tests' checks. */
export function countingKms(client: KmsClient) {
  const calls = { dataKey: 0, decrypt: 0, rewrap: 0 };
  const plaintexts = new Set<string>();
  return {
    calls,
    plaintexts,
    dataKey: async (keyId: string) => {
      calls.dataKey++;
      const answer = await client.dataKey(keyId);
      plaintexts.add(answer.plaintext);
      return answer;
    },
    decrypt: async (wrapped: string) => {
      calls.decrypt++;
      const answer = await client.decrypt(wrapped);
      plaintexts.add(answer.plaintext);
      return answer;
    },
    rewrap: async (wrapped: string) => {
      calls.rewrap++;
      return client.rewrap(wrapped);
    },
  };
}

export type VaultTestbed = {
  vault: Vault;
  kms: KmsProcess;
  database: TestDatabase<VaultDatabase>;
  /** https://127.0.0.1:<port> of the public tokenization listener (trust `caPem`). */
  publicUrl: string;
  internalUrl: string;
  caPem: string;
  /** An mTLS client for the internal listener as `service` (default `api`). */
  internal(service?: string): Promise<MtlsClient>;
  /** A merchant with a test-mode (or live) public key the vault knows, pushed as the api does. */
  merchant(options?: { livemode?: boolean }): Promise<{ accountId: string; publicKey: string; keyId: string }>;
  /** POST /tokens with a public key, over real TLS. */
  tokenize(publicKey: string, card: Record<string, unknown>): Promise<{ status: number; body: Record<string, unknown> }>;
  logs(): string;
  close(): Promise<void>;
};

/** `extra`: the vault's config extras (e.g. `{ rateLimits: … }`); `now`: the rate limits' clock. */
export async function startVaultTestbed(options: { kms?: KmsProcess; publicHost?: string; publicPort?: number; extra?: Record<string, unknown>; now?: () => number } = {}): Promise<VaultTestbed> {
  const kms = options.kms ?? await startKmsProcess();
  const database = await createVaultTestDatabase();
  const log = createTestLogger('vault');
  const identity = await kms.identity('vault');
  const [publicPort, internalPort] = await freePorts(2) as [number, number];
  const config = {
    databaseUrl: database.runtimeUrl,
    public: { host: options.publicHost ?? '127.0.0.1', port: options.publicPort ?? publicPort },
    internal: { host: '127.0.0.1', port: internalPort },
    peers: { kms: kms.baseUrl },
    extra: options.extra ?? {},
  };
  const vault = await buildVault({ config, logger: log.logger, identities: { internal: identity, public: identity, stop() {} }, now: options.now });
  await vault.listen();
  const publicUrl = `https://${config.public.host}:${config.public.port}`;
  const internalUrl = `https://127.0.0.1:${config.internal.port}`;
  const caPem = identity.current().caPem;
  const clients: MtlsClient[] = [];
  const internal = async (service = 'api') => {
    const client = createMtlsClient({ identity: await kms.identity(service), baseUrl: internalUrl, expectedServer: 'vault' });
    clients.push(client);
    return client;
  };
  const api = await internal('api');
  const agent = new Agent({ connect: { ca: caPem }, keepAliveTimeout: 10_000 });
  return {
    vault, kms, database, publicUrl, internalUrl, caPem, internal,
    async merchant({ livemode = false } = {}) {
      const accountId = newId('account');
      const publicKey = newApiKey('public', livemode);
      const keyId = newId('key', livemode);
      const answer = await api.request('PUT', `/internal/v1/accounts/${accountId}/public-keys`, { keys: [{ key_id: keyId, key_hash: hashApiKey(publicKey), livemode }] });
      if (answer.status !== 200) throw new Error(`pushing a public key failed: ${answer.status}`);
      return { accountId, publicKey, keyId };
    },
    async tokenize(publicKey, card) {
      const response = await request(`${publicUrl}/tokens`, {
        method: 'POST', dispatcher: agent,
        headers: { authorization: `Basic ${Buffer.from(`${publicKey}:`).toString('base64')}`, 'content-type': 'application/json' },
        body: JSON.stringify({ card }),
      });
      return { status: response.statusCode, body: await response.body.json() as Record<string, unknown> };
    },
    logs: () => log.text(),
    async close() {
      await agent.close();
      for (const client of clients) await client.close();
      await vault.close();
      await database.close();
      if (!options.kms) await kms.close();
      log.cleanup();
    },
  };
}

/**
 * The official `omise` client cannot set a port (it always dials 443). Tests point it at host
 * `localhost` and route Node's global HTTPS agent to the vault's real port, over real TLS, trusting the
 * test CA. Returns a restore function.
 */
export function routeOmiseClientTo(routes: Record<string, number>, caPem: string): () => void {
  const original = https.globalAgent;
  class RoutingAgent extends https.Agent {
    override createConnection(options: Parameters<https.Agent['createConnection']>[0], callback?: Parameters<https.Agent['createConnection']>[1]) {
      const host = String(options?.host ?? '');
      const port = Object.hasOwn(routes, host) ? routes[host] : options?.port;
      return super.createConnection({ ...options, port, ca: caPem }, callback);
    }
  }
  https.globalAgent = new RoutingAgent({ keepAlive: true, ca: caPem });
  return () => {
    https.globalAgent.destroy();
    https.globalAgent = original;
  };
}
