// Runs each service as its own OS process and keeps it running: a crash is logged and the process
// restarted with exponential backoff; shutdown stops every child gracefully, then forcefully.
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import type { Logger } from 'pino';
import { CONFIG_FILE_ENV, type ServiceName } from '#lib/config/index.ts';
import type { CertificateKind } from './pki.ts';

export type ChildSpec = {
  service: ServiceName;
  configFile: string;
  issue(kind: CertificateKind, publicKeyPem: string): Promise<{ certPem: string; caPem: string }>;
};

type IpcRequest = { type: 'certificate-request'; id: number; kind: CertificateKind; publicKeyPem: string } | { type: 'ready' };

const MAX_BACKOFF_MS = 30_000;
const STABLE_AFTER_MS = 60_000;
const STOP_GRACE_MS = 10_000;

export function createSupervisor(deps: {
  logger: Logger;
  /** A child's stdout/stderr line. */
  echo: (service: string, line: string) => void;
  /** Events an operator must see on the console as well as in supervisor.log (crashes, restarts). */
  announce: (line: string) => void;
}) {
  const { logger } = deps;
  const children = new Map<ServiceName, { spec: ChildSpec; process?: ChildProcess; restarts: number; startedAt: number; ready: boolean }>();
  const readyWaiters = new Map<ServiceName, Array<() => void>>();
  let stopping = false;
  const changeListeners: Array<() => void> = [];
  const changed = () => { for (const listener of changeListeners) listener(); };

  function handleMessage(entry: { spec: ChildSpec; process?: ChildProcess; ready: boolean }, message: IpcRequest) {
    const child = entry.process;
    if (message.type === 'ready') {
      entry.ready = true;
      logger.info({ child: entry.spec.service, pid: child?.pid }, 'service ready');
      changed();
      for (const resolve of readyWaiters.get(entry.spec.service) ?? []) resolve();
      readyWaiters.delete(entry.spec.service);
      return;
    }
    if (message.type === 'certificate-request' && (message.kind === 'internal' || message.kind === 'public')) {
      entry.spec.issue(message.kind, message.publicKeyPem).then(
        (issued) => child?.connected && child.send({ type: 'certificate', id: message.id, ...issued }),
        (error: unknown) => {
          logger.error({ child: entry.spec.service, err: error }, 'certificate issuance failed');
          if (child?.connected) child.send({ type: 'certificate-error', id: message.id, message: 'issuance failed' });
        },
      );
    }
  }

  function launch(service: ServiceName) {
    const entry = children.get(service);
    if (!entry || stopping) return;
    const main = fileURLToPath(new URL(`../../services/${service}/main.ts`, import.meta.url));
    const child = fork(main, [], {
      env: { ...process.env, [CONFIG_FILE_ENV]: entry.spec.configFile },
      execPath: process.execPath,
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    entry.process = child;
    entry.startedAt = Date.now();
    entry.ready = false;
    logger.info({ child: service, pid: child.pid }, 'service started');
    for (const stream of [child.stdout, child.stderr]) {
      if (stream) createInterface({ input: stream }).on('line', (line) => deps.echo(service, line));
    }
    child.on('message', (message) => handleMessage(entry, message as IpcRequest));
    child.on('exit', (code, signal) => {
      entry.process = undefined;
      entry.ready = false;
      if (stopping) return;
      if (Date.now() - entry.startedAt > STABLE_AFTER_MS) entry.restarts = 0;
      const delay = Math.min(MAX_BACKOFF_MS, 500 * 2 ** entry.restarts);
      entry.restarts += 1;
      logger.error({ child: service, code, signal, restartInMs: delay, restarts: entry.restarts }, 'service exited; restarting');
      deps.announce(`${service} exited (${signal ?? `code ${code}`}); restarting in ${delay} ms (restart ${entry.restarts})`);
      setTimeout(() => launch(service), delay).unref();
    });
  }

  return {
    add(spec: ChildSpec) {
      children.set(spec.service, { spec, restarts: 0, startedAt: 0, ready: false });
      launch(spec.service);
    },
    whenReady(service: ServiceName): Promise<void> {
      if (children.get(service)?.ready) return Promise.resolve();
      return new Promise((resolve) => readyWaiters.set(service, [...(readyWaiters.get(service) ?? []), resolve]));
    },
    onChange(listener: () => void) {
      changeListeners.push(listener);
    },
    pids(): Partial<Record<ServiceName, number>> {
      return Object.fromEntries([...children].map(([name, e]) => [name, e.process?.pid]));
    },
    /** Stops children in the given order (dependents first), each with a grace period. */
    async stopAll(order: ServiceName[]) {
      stopping = true;
      for (const service of order) {
        const child = children.get(service)?.process;
        if (!child || child.exitCode !== null) continue;
        const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
        await exited;
        clearTimeout(timer);
        logger.info({ child: service }, 'service stopped');
      }
    },
  };
}
