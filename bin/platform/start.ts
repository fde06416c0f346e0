// `strongroom start`: the whole platform on this machine, each service its own supervised process.
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createLogger } from '#lib/log/index.ts';
import { productionProblems, SERVICES, type PlatformSettings, type ServiceName } from '#lib/config/index.ts';
import type { EmbeddedCluster } from '#lib/pg-embedded/index.ts';
import { createDevPki } from './pki.ts';
import { prepareDatabases, startClusters } from './databases.ts';
import { ensureDemo } from './demo.ts';
import { writeServiceConfigs } from './service-configs.ts';
import { createSupervisor } from './supervisor.ts';
import { formatChildLine } from './console.ts';

const START_ORDER: ServiceName[] = ['kms', 'vault', 'api', 'dashboard'];

export async function startPlatform(settings: PlatformSettings): Promise<void> {
  const began = performance.now();
  const problems = productionProblems(settings);
  if (problems.length > 0) {
    console.error('Refusing to start in production mode with dev defaults:\n' + problems.map((p) => `  - ${p}`).join('\n'));
    process.exit(2);
  }
  // 0711: the embedded PostgreSQL user must traverse into pg/, nobody may list the folder.
  await mkdir(settings.dataDir, { recursive: true, mode: 0o711 });
  await chmod(settings.dataDir, 0o711);
  await mkdir(join(settings.dataDir, 'logs'), { recursive: true, mode: 0o700 });
  const logger = createLogger({ service: 'supervisor', file: join(settings.dataDir, 'logs', 'supervisor.log'), level: settings.logLevel, stdout: false });
  const say = (line: string) => { console.log(line); logger.info(line); };

  if (!settings.production) say('Strongroom starting in DEVELOPMENT mode: dev CA, demo data. Never use this mode with real card data.');
  const pki = settings.production ? undefined : await createDevPki(settings);

  let stopping = false;
  let writeState: () => Promise<void> = async () => {};
  const clusters = await startClusters(settings, (cluster, line) => logger.info({ cluster }, line), pki && ((name) => pki.issueDatabaseServer(name)));
  for (const [name, cluster] of Object.entries(clusters) as Array<[string, EmbeddedCluster]>) superviseCluster(name, cluster);
  const { runtimeUrls } = await prepareDatabases(settings, clusters);
  const demo = settings.production ? undefined : await ensureDemo(settings, runtimeUrls);
  const configFiles = await writeServiceConfigs(settings, runtimeUrls);

  const supervisor = createSupervisor({
    logger,
    echo: (service, line) => console.log(formatChildLine(service, line)),
    announce: (line) => console.error(line),
  });
  for (const service of START_ORDER) {
    supervisor.add({
      service,
      configFile: configFiles[service],
      issue: async (kind, publicKeyPem) => {
        if (!pki) throw new Error('no dev PKI in production');
        return pki.issue(service, kind, publicKeyPem);
      },
    });
  }
  const statePath = join(settings.dataDir, 'run', 'state.json');
  await mkdir(join(settings.dataDir, 'run'), { recursive: true, mode: 0o700 });
  writeState = () => writeFile(statePath, JSON.stringify({
    supervisor: process.pid,
    services: supervisor.pids(),
    clusters: Object.fromEntries(Object.entries(clusters).map(([name, c]) => [name, c?.pid()])),
  }), { mode: 0o600 }).catch(() => {});
  supervisor.onChange(() => void writeState());
  await Promise.all(SERVICES.map((s) => supervisor.whenReady(s)));
  await writeState();
  const seconds = ((performance.now() - began) / 1000).toFixed(1);
  say(`All services healthy in ${seconds} s: dashboard https://localhost:${settings.ports.dashboard}  api https://localhost:${settings.ports.api}  vault https://localhost:${settings.ports.vault}`);
  if (demo) {
    say(`Trust the dev CA: ${demo.caCert}`);
    say(`Demo merchant ${demo.accountId}: publicKey ${demo.publicKey}  secretKey ${demo.secretKey}`);
    say(`Dashboard login: ${demo.email} / ${demo.password}   (also in ${join(settings.dataDir, 'demo.json')})`);
  }

  function superviseCluster(name: string, cluster: EmbeddedCluster) {
    let restarts = 0;
    cluster.onExit((code, signal) => {
      if (stopping) return;
      const delay = Math.min(30_000, 500 * 2 ** restarts++);
      logger.error({ cluster: name, code, signal, restartInMs: delay }, 'database server exited; restarting');
      console.error(`database cluster ${name} exited (${signal ?? code}); restarting in ${delay} ms`);
      setTimeout(() => {
        cluster.start().then(() => { restarts = 0; void writeState(); logger.info({ cluster: name }, 'database server restarted'); },
          (error: unknown) => logger.error({ cluster: name, err: error }, 'database restart failed'));
      }, delay).unref();
    });
  }

  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    say(`${signal}: stopping all services`);
    await supervisor.stopAll([...START_ORDER].reverse());
    for (const cluster of Object.values(clusters)) await cluster.stop();
    say('stopped');
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGHUP', () => void shutdown('SIGHUP'));
}
