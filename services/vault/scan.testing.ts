// Card-data scanners for the vault's leak tests (card-data.scan.test.ts): fresh random PANs and security
// codes, and searches for them in text (logs, answers, rows) and in raw bytes (PostgreSQL's files), in
// the encodings a leak plausibly takes: ASCII digits, digits grouped by spaces or dashes, UTF-16 digits,
// base64 / base64url of the ASCII digits (at each of the three byte alignments, so a PAN inside a longer
// encoded blob is found too) and hex of the ASCII digits.
import { randomInt } from 'node:crypto';
import { open, readdir, readFile, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { onDatabase } from '#lib/db/index.ts';
import { TEST_CARDS } from './acquirer/test-cards.ts';
import { luhnCheckDigit } from './cards/card-number.ts';

export type ScanBrand = 'Visa' | 'MasterCard' | 'American Express' | 'JCB';
export type ScanCard = { pan: string; brand: ScanBrand | string; cvv: string; label: string };
export type Hit = { label: string; encoding: string; at: number; context: string };

const LENGTH: Record<ScanBrand, number> = { Visa: 16, MasterCard: 16, 'American Express': 15, JCB: 16 };
const PREFIX: Record<ScanBrand, () => string> = {
  Visa: () => '4',
  MasterCard: () => String(randomInt(51, 56)),
  'American Express': () => (randomInt(2) === 0 ? '34' : '37'),
  JCB: () => String(randomInt(3528, 3590)),
};
const KNOWN_TEST_NUMBERS = new Set(TEST_CARDS.map((card) => card.number));

const randomDigits = (n: number) => Array.from({ length: n }, () => String(randomInt(10))).join('');

/** A fresh random Luhn-valid PAN of `brand` (never one of the acquirer's fixed test cards). */
export function freshPan(brand: ScanBrand): string {
  for (;;) {
    const prefix = PREFIX[brand]();
    const body = prefix + randomDigits(LENGTH[brand] - prefix.length - 1);
    const pan = body + luhnCheckDigit(body);
    if (!KNOWN_TEST_NUMBERS.has(pan)) return pan;
  }
}

/** A fresh random security code of `length` digits that is none of `avoid` (values that legitimately occur). */
export function freshCvv(length: 3 | 4, avoid: ReadonlySet<string>): string {
  for (;;) {
    const cvv = String(randomInt(10 ** (length - 1), 10 ** length));
    if (!avoid.has(cvv)) return cvv;
  }
}

/** The PAN as a cardholder types it: 4-4-4-4, or 4-6-5 for 15 digits. */
export function grouped(pan: string, separator: string): string {
  const sizes = pan.length === 15 ? [4, 6, 5] : Array.from({ length: Math.ceil(pan.length / 4) }, () => 4);
  const parts: string[] = [];
  let at = 0;
  for (const size of sizes) {
    parts.push(pan.slice(at, at + size));
    at += size;
  }
  return parts.join(separator);
}

/**
 * Base64 of `bytes` as it appears inside any longer encoded blob: for each of the 3 byte offsets the
 * blob may put it at, the characters that depend on `bytes` alone (the edges mix in neighbouring bytes).
 */
export function stableBase64(bytes: Buffer, alphabet: 'base64' | 'base64url'): string[] {
  const out: string[] = [];
  for (let offset = 0; offset < 3; offset++) {
    const text = Buffer.concat([Buffer.alloc(offset), bytes]).toString(alphabet);
    out.push(text.slice(Math.ceil((8 * offset) / 6), Math.floor((8 * (offset + bytes.length)) / 6)));
  }
  return out;
}

// Digits with optional space or dash separators (cards as typed, 4-4-4-4, 4-6-5, or plain).
const DIGIT_RUN = /[0-9][0-9 -]{11,}[0-9]/g;
// UTF-16LE and UTF-16BE digit runs (only meaningful in bytes read as latin1).
const UTF16_RUNS = [/(?:[0-9 -]\x00){13,}/g, /(?:\x00[0-9 -]){13,}/g];
// base64, base64url and hex share this alphabet.
const ENCODED_RUN = /[A-Za-z0-9+/_-]{16,}/g;
const KEY = 16;

/** Masks every digit so a failure message shows where a hit sits without repeating the card data. */
const masked = (text: string) => text.replace(/[0-9]/g, '#').replace(/[^\x20-\x7e]/g, '.');

/** A scanner for a set of cards: `scanText` for strings, `scanBytes` for raw file content. */
export function createPanScanner(cards: readonly ScanCard[]) {
  const byPan = new Map(cards.map((card) => [card.pan, card.label]));
  const lengths = [...new Set(cards.map((card) => card.pan.length))];
  const needles = new Map<string, Array<{ needle: string; label: string; encoding: string }>>();
  const addNeedle = (needle: string, label: string, encoding: string) => {
    const key = needle.slice(0, KEY);
    const known = needles.get(key) ?? [];
    // Hex of ASCII digits is digits only (no case), and base64url often equals base64: one needle each.
    if (!known.some((other) => other.needle === needle && other.label === label)) needles.set(key, [...known, { needle, label, encoding }]);
  };
  for (const card of cards) {
    for (const form of [card.pan, grouped(card.pan, ' '), grouped(card.pan, '-')]) {
      const what = form === card.pan ? 'digits' : `"${masked(form)}"`;
      for (const alphabet of ['base64', 'base64url'] as const) {
        for (const needle of stableBase64(Buffer.from(form, 'ascii'), alphabet)) addNeedle(needle, card.label, `${alphabet} of ${what}`);
      }
    }
    const hex = Buffer.from(card.pan, 'ascii').toString('hex');
    addNeedle(hex, card.label, 'hex of digits');
    addNeedle(hex.toUpperCase(), card.label, 'HEX of digits');
  }

  const contextAt = (text: string, at: number, length: number) => masked(text.slice(Math.max(0, at - 40), at + length + 40));

  function digitsIn(run: string, at: number, text: string, encoding: (plain: boolean) => string, hits: Hit[]) {
    const digits = run.replace(/[^0-9]/g, '');
    for (const length of lengths) {
      for (let i = 0; i + length <= digits.length; i++) {
        const label = byPan.get(digits.slice(i, i + length));
        if (label !== undefined) hits.push({ label, encoding: encoding(run.includes(digits.slice(i, i + length))), at, context: contextAt(text, at, run.length) });
      }
    }
  }

  function scan(text: string, bytes: boolean): Hit[] {
    const hits: Hit[] = [];
    for (const match of text.matchAll(DIGIT_RUN)) {
      digitsIn(match[0], match.index, text, (plain) => (plain ? 'digits' : 'digits with separators'), hits);
    }
    if (bytes) {
      for (const pattern of UTF16_RUNS) {
        for (const match of text.matchAll(pattern)) {
          const chars = match[0].replaceAll('\x00', '');
          digitsIn(chars, match.index, text, (plain) => (plain ? 'UTF-16 digits' : 'UTF-16 digits with separators'), hits);
        }
      }
    }
    for (const match of text.matchAll(ENCODED_RUN)) {
      const run = match[0];
      for (let i = 0; i + KEY <= run.length; i++) {
        for (const candidate of needles.get(run.slice(i, i + KEY)) ?? []) {
          if (run.startsWith(candidate.needle, i)) {
            hits.push({ label: candidate.label, encoding: candidate.encoding, at: match.index + i, context: contextAt(text, match.index + i, candidate.needle.length) });
          }
        }
      }
    }
    return hits;
  }

  return {
    scanText: (text: string) => scan(text, false),
    /** Bytes as latin1 (one char per byte), so ASCII, UTF-16 and binary neighbours all keep their offsets. */
    scanBytes: (bytes: Buffer) => scan(bytes.toString('latin1'), true),
  };
}

export type PanScanner = ReturnType<typeof createPanScanner>;

/**
 * Where a security code shows up in JSON text as a value: a string `"123"`, or any number or string
 * under a key that names a security code (`security_code`, `cvv`, `cvc`, `cvv2`, `cid`), redaction
 * markers aside. A 3-4 digit number alone is no evidence (amounts, counters, years), so bare numbers
 * elsewhere are not searched.
 */
export function cvvHits(text: string, cvv: string): string[] {
  const hits: string[] = [];
  for (let at = text.indexOf(`"${cvv}"`); at !== -1; at = text.indexOf(`"${cvv}"`, at + 1)) {
    hits.push(masked(text.slice(Math.max(0, at - 60), at + cvv.length + 20)));
  }
  // eslint-disable-next-line security/detect-non-literal-regexp -- `cvv` is 3-4 digits, made by freshCvv
  const keyed = new RegExp(`\\\\?"(?:security_code|securityCode|cvv2?|cvc2?|cid)\\\\?"\\s*:\\s*\\\\?"?${cvv}(?![0-9])`, 'gi');
  for (const match of text.matchAll(keyed)) hits.push(masked(match[0]));
  return hits;
}

/** Every row of every table of `database` (all schemas but the system ones) as JSON text, read as the admin. */
export async function databaseRows(adminUrl: string, database: string) {
  const client = new pg.Client({ connectionString: onDatabase(adminUrl, database) });
  await client.connect();
  try {
    const tables = (await client.query<{ schemaname: string; tablename: string }>(
      `SELECT schemaname, tablename FROM pg_tables
       WHERE schemaname NOT IN ('pg_catalog', 'information_schema') AND schemaname NOT LIKE 'pg_toast%' ORDER BY 1, 2`)).rows;
    const rows: Array<{ table: string; text: string }> = [];
    const counts: Record<string, number> = {};
    for (const { schemaname, tablename } of tables) {
      const name = `${client.escapeIdentifier(schemaname)}.${client.escapeIdentifier(tablename)}`;
      const result = await client.query<{ row: string }>(`SELECT to_jsonb(t)::text AS row FROM ${name} AS t`);
      counts[tablename] = result.rows.length;
      for (const { row } of result.rows) rows.push({ table: tablename, text: row });
    }
    return { tables: tables.map((t) => t.tablename), counts, rows };
  } finally {
    await client.end();
  }
}

/** Runs one statement as the server's superuser (the test cluster's admin). */
export async function adminQuery<R extends pg.QueryResultRow>(adminUrl: string, text: string, values: unknown[] = []): Promise<R[]> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    return (await client.query<R>(text, values)).rows;
  } finally {
    await client.end();
  }
}

type FileSource = {
  how: string;
  list(): Promise<string[]>;
  /** `length` bytes from `offset` (fewer at the end; empty past it); null when the file has gone. */
  read(path: string, offset: number, length: number): Promise<Buffer | null>;
  close(): Promise<void>;
};

const gone = (error: unknown) => ['ENOENT', 'ENOTDIR'].includes(String((error as { code?: string }).code));

// The files as this process sees them (the embedded cluster of `npm test` belongs to us, or to root).
function fileSystemSource(root: string): FileSource {
  return {
    how: 'file system',
    async list() {
      const out: string[] = [];
      const walk = async (relative: string) => {
        // eslint-disable-next-line security/detect-non-literal-fs-filename -- inside the cluster's data directory
        const entries = await readdir(join(root, relative)).catch((error: unknown) => (gone(error) ? [] : Promise.reject(error)));
        for (const name of entries) {
          const path = relative ? `${relative}/${name}` : name;
          // eslint-disable-next-line security/detect-non-literal-fs-filename -- inside the cluster's data directory
          const info = await stat(join(root, path)).catch((error: unknown) => (gone(error) ? null : Promise.reject(error)));
          if (info?.isDirectory()) await walk(path);
          else if (info?.isFile()) out.push(path);
        }
      };
      await walk('');
      return out;
    },
    async read(path, offset, length) {
      // eslint-disable-next-line security/detect-non-literal-fs-filename -- inside the cluster's data directory
      const handle = await open(join(root, path), 'r').catch((error: unknown) => (gone(error) ? null : Promise.reject(error)));
      if (!handle) return null;
      try {
        // Sized to what is there: most files are a few pages, and zeroing 8 MB for each is what costs.
        const size = Math.max(0, Math.min(length, (await handle.stat()).size - offset));
        const buffer = Buffer.alloc(size);
        const { bytesRead } = size === 0 ? { bytesRead: 0 } : await handle.read(buffer, 0, size, offset);
        return buffer.subarray(0, bytesRead);
      } finally {
        await handle.close();
      }
    },
    close: async () => {},
  };
}

// The same files through the server (superuser functions, one connection), for a server this process
// cannot read directly (CI's system PostgreSQL, owned by another user).
async function serverSource(adminUrl: string): Promise<FileSource> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  return {
    how: 'pg_read_binary_file',
    async list() {
      const rows = (await client.query<{ path: string }>(`
        WITH RECURSIVE tree(path, dir) AS (
          SELECT name, (pg_stat_file(name, true)).isdir FROM pg_ls_dir('.') AS name
          UNION ALL
          SELECT tree.path || '/' || child, (pg_stat_file(tree.path || '/' || child, true)).isdir
          FROM tree, LATERAL pg_ls_dir(tree.path, true, false) AS child WHERE tree.dir)
        SELECT path FROM tree WHERE dir IS FALSE ORDER BY path`)).rows;
      return rows.map((row) => row.path);
    },
    async read(path, offset, length) {
      const rows = (await client.query<{ bytes: Buffer | null }>('SELECT pg_read_binary_file($1, $2, $3, true) AS bytes', [path, offset, length])).rows;
      return rows[0]?.bytes ?? null;
    },
    close: () => client.end(),
  };
}

const CHUNK = 8 * 1024 * 1024;
// Chunks overlap by more than the longest encoding of a PAN (19 digits as UTF-16 with separators: 76 bytes).
const OVERLAP = 256;

export type DiskHit = Hit & { file: string };

/**
 * Reads every file under the cluster's data directory (base/, global/, pg_wal/, pg_xact/, …) and scans
 * its bytes. Files that vanish meanwhile (recycled WAL, a dropped test database) are skipped.
 */
export async function scanDataDirectory(adminUrl: string, dataDirectory: string, scanner: PanScanner) {
  // eslint-disable-next-line security/detect-non-literal-fs-filename -- the data directory the server names
  const readable = await readFile(join(dataDirectory, 'PG_VERSION')).then(() => true, () => false);
  const source = readable ? fileSystemSource(dataDirectory) : await serverSource(adminUrl);
  try {
    return { how: source.how, ...await scanFiles(source, scanner) };
  } finally {
    await source.close();
  }
}

async function scanFiles(source: FileSource, scanner: PanScanner) {
  const listed = await source.list();
  // The WAL first, newest segment first: it is what changes (and gets recycled) while the scan runs.
  const wal = listed.filter((file) => file.startsWith('pg_wal/')).sort().reverse();
  const files = [...wal, ...listed.filter((file) => !file.startsWith('pg_wal/'))];
  const hits: DiskHit[] = [];
  const seen = new Set<string>();
  let bytes = 0;
  let read = 0;
  for (const file of files) {
    let counted = false;
    for (let offset = 0; ; offset += CHUNK - OVERLAP) {
      const chunk = await source.read(file, offset, CHUNK);
      if (chunk === null || chunk.length === 0) break;
      if (!counted) read++;
      counted = true;
      bytes += offset === 0 ? chunk.length : chunk.length - OVERLAP;
      for (const hit of scanner.scanBytes(chunk)) {
        const key = `${file}\0${hit.label}\0${hit.encoding}\0${offset + hit.at}`;
        if (!seen.has(key)) hits.push({ ...hit, file, at: offset + hit.at });
        seen.add(key);
      }
      if (chunk.length < CHUNK) break;
    }
  }
  return { files: read, listed: files.length, bytes, hits };
}

/** The KMS process's log file: its config (in the bed's mkdtemp folder) names the KMS database's runtime URL. */
export async function kmsLogFile(runtimeUrl: string): Promise<string | null> {
  // eslint-disable-next-line security/detect-non-literal-fs-filename -- the OS temp dir, where the test beds live
  for (const name of await readdir(tmpdir())) {
    if (!name.startsWith('vault-kms-')) continue;
    // eslint-disable-next-line security/detect-non-literal-fs-filename -- a test bed's folder under the OS temp dir
    const config = await readFile(join(tmpdir(), name, 'kms.json'), 'utf8').catch(() => null);
    if (config === null) continue;
    const parsed = JSON.parse(config) as { databaseUrl?: string; logFile?: string };
    if (parsed.databaseUrl === runtimeUrl && parsed.logFile) return parsed.logFile;
  }
  return null;
}
