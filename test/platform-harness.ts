// Starts the real platform (`strongroom start`) in a temporary data folder on free ports, as a user
// would, for tests that need every service running over real TLS and mTLS.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePorts } from '#lib/db/testing.ts';

export type RunningPlatform = {
  dataDir: string;
  ports: Record<'dashboard' | 'api' | 'vault' | 'apiInternal' | 'vaultInternal' | 'kms', number>;
  caPem: string;
  output: () => string;
  state: () => Promise<{ supervisor: number; services: Record<string, number | undefined>; clusters: Record<string, number | undefined> }>;
  stop: () => Promise<void>;
  process: ChildProcess;
};

export async function startPlatform(env: NodeJS.ProcessEnv = {}, options: { timeoutMs?: number } = {}): Promise<RunningPlatform> {
  const dataDir = await mkdtemp(join(tmpdir(), 'strongroom-test-'));
  const [dashboard, api, vault, apiInternal, vaultInternal, kms, pgCde, pgCore] = await freePorts(8) as [number, number, number, number, number, number, number, number];
  const ports = { dashboard, api, vault, apiInternal, vaultInternal, kms };
  const child = spawn(process.execPath, ['bin/strongroom.ts', 'start'], {
    env: {
      ...process.env,
      STRONGROOM_DATA_DIR: dataDir,
      STRONGROOM_DASHBOARD_PORT: String(ports.dashboard), STRONGROOM_API_PORT: String(ports.api),
      STRONGROOM_VAULT_PORT: String(ports.vault), STRONGROOM_API_INTERNAL_PORT: String(ports.apiInternal),
      STRONGROOM_VAULT_INTERNAL_PORT: String(ports.vaultInternal), STRONGROOM_KMS_PORT: String(ports.kms),
      STRONGROOM_PG_CDE_PORT: String(pgCde), STRONGROOM_PG_CORE_PORT: String(pgCore),
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => { output += chunk.toString(); });
  child.stderr?.on('data', (chunk: Buffer) => { output += chunk.toString(); });
  const deadline = Date.now() + (options.timeoutMs ?? 120_000);
  while (!output.includes('All services healthy')) {
    if (child.exitCode !== null || Date.now() > deadline) {
      try { process.kill(-child.pid!, 'SIGKILL'); } catch { /* already gone */ }
      throw new Error(`platform did not start (exit ${child.exitCode}):\n${output.slice(-3000)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const caPem = await readFile(join(dataDir, 'pki', 'ca.crt'), 'utf8');
  return {
    dataDir, ports, caPem, process: child,
    output: () => output,
    state: async () => JSON.parse(await readFile(join(dataDir, 'run', 'state.json'), 'utf8')),
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        process.kill(-child.pid!, 'SIGTERM');
        const timer = setTimeout(() => { try { process.kill(-child.pid!, 'SIGKILL'); } catch { /* gone */ } }, 20_000);
        await exited;
        clearTimeout(timer);
      }
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** HTTPS request trusting the platform's public dev CA. */
export async function httpsJson(platform: RunningPlatform, port: number, path: string, init: { method?: string; body?: unknown; auth?: string; headers?: Record<string, string> } = {}) {
  const { request } = await import('node:https');
  return new Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: any }>((resolve, reject) => {
    const payload = init.body === undefined ? undefined : JSON.stringify(init.body);
    const req = request({
      host: '127.0.0.1', servername: 'localhost', port, path, method: init.method ?? 'GET', ca: platform.caPem,
      headers: {
        ...(payload ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } : {}),
        ...(init.auth ? { authorization: `Basic ${Buffer.from(`${init.auth}:`).toString('base64')}` } : {}),
        ...init.headers,
      },
    }, (res) => {
      let text = '';
      res.on('data', (chunk: Buffer) => { text += chunk.toString(); });
      res.on('end', () => {
        let body: unknown = text;
        try { body = JSON.parse(text); } catch { /* not JSON */ }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body });
      });
    });
    req.on('error', reject);
    req.setTimeout(10_000, () => req.destroy(new Error('request timed out')));
    req.end(payload);
  });
}

/** Retries `attempt` every 250 ms until it succeeds (e.g. the vault learning the demo key, pushed asynchronously). */
export async function retryUntil<T>(attempt: () => Promise<T>, failure: string, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await attempt();
    } catch (error) {
      if (Date.now() > deadline) throw new Error(`${failure}: ${JSON.stringify(error)}`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
}
