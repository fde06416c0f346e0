// Judges testssl JSON results (written with --severity LOW): prints findings by severity for each scanned
// port and exits 1 if any port has a MEDIUM, HIGH or CRITICAL finding that is not on the short accepted
// list below, a LOW finding that breaks our own TLS policy (POLICY below), or a scan that did not complete
// (no "Done" line in its log, a FATAL entry, a testssl error exit, a timeout).
// Usage: node .ci/tls-findings.ts <manifest>, one line per scan: port<TAB>role<TAB>json<TAB>log<TAB>exit code
import { readFileSync } from 'node:fs';

// Findings that do not apply to this platform, each with the reason. Keep this list short and specific.
const ACCEPTED: Readonly<Record<string, string>> = {
  cert_revocation:
    'leaf certificates come from the platform\'s own private CA and are re-issued by it; there is no public ' +
    'CRL or OCSP responder to name in them, and clients trust only that CA',
};

// Strongroom's policy (ARCHITECTURE.md, "PKI and TLS"; lib/tls/policy.ts) is stricter than testssl's
// severities, which rate these LOW: TLS 1.2 minimum, and in TLS 1.2 only AEAD suites (no CBC).
const POLICY: Readonly<Record<string, { offered: RegExp; rule: string }>> = {
  TLS1: { offered: /^offered/, rule: 'TLS 1.0 must not be offered' },
  TLS1_1: { offered: /^offered/, rule: 'TLS 1.1 must not be offered' },
  cipherlist_AVERAGE: { offered: /^offered/, rule: 'CBC suites must not be offered' },
};

const FAILING = ['CRITICAL', 'HIGH', 'MEDIUM'] as const;
type Finding = { id?: string; severity?: string; finding?: string; port?: string };

const manifest = process.argv[2];
if (!manifest) {
  console.error('usage: tls-findings.ts <manifest>');
  process.exit(2);
}

const read = (path: string) => {
  try { return readFileSync(path, 'utf8'); } catch { return ''; }
};

let failed = false;
const rows = read(manifest).split('\n').filter((l) => l.trim() !== '');
if (rows.length === 0) {
  console.log('tls: FAIL, nothing was scanned');
  process.exit(1);
}

for (const row of rows) {
  const [port = '?', role = '?', jsonPath = '', logPath = '', exit = ''] = row.split('\t');
  const problems: string[] = [];
  const log = read(logPath);
  let findings: Finding[] = [];
  try {
    const parsed: unknown = JSON.parse(read(jsonPath));
    if (Array.isArray(parsed)) findings = parsed as Finding[];
    else problems.push('JSON output is not a list of findings');
  } catch {
    problems.push('no readable JSON output');
  }
  if (exit === '124' || exit === '137') problems.push('scan timed out');
  else if (Number(exit) >= 240) problems.push(`testssl exited ${exit} (its own error, see ${logPath})`);
  if (!/Done .*-->>/.test(log)) problems.push(`scan did not finish (see ${logPath})`);

  const bySeverity = new Map<string, Finding[]>();
  const accepted: string[] = [];
  for (const f of findings) {
    const severity = (f.severity ?? 'UNKNOWN').toUpperCase();
    const baseId = (f.id ?? '').split(' ')[0] ?? '';
    if ((FAILING as readonly string[]).includes(severity) && Object.hasOwn(ACCEPTED, baseId)) {
      accepted.push(`${f.id}`);
      continue;
    }
    bySeverity.set(severity, [...(bySeverity.get(severity) ?? []), f]);
  }
  for (const f of findings) {
    const policy = Object.hasOwn(POLICY, f.id ?? '') ? POLICY[f.id ?? ''] : undefined;
    if (policy?.offered.test(f.finding ?? '')) problems.push(`policy: ${policy.rule} (${f.id}: ${f.finding})`);
  }
  const fatal = bySeverity.get('FATAL') ?? [];
  if (fatal.length > 0) problems.push(`scan problem: ${fatal.map((f) => f.finding).join('; ')}`);
  const serious = FAILING.flatMap((s) => bySeverity.get(s) ?? []);
  const portFailed = serious.length > 0 || problems.length > 0;
  failed ||= portFailed;

  const counts = [...FAILING, 'LOW'].map((s) => `${s.toLowerCase()} ${(bySeverity.get(s) ?? []).length}`).join(', ');
  const extra = [
    accepted.length > 0 ? `accepted: ${accepted.join(', ')}` : '',
    (bySeverity.get('WARN') ?? []).length > 0 ? `warnings: ${(bySeverity.get('WARN') ?? []).map((f) => f.id).join(', ')}` : '',
  ].filter(Boolean).join('; ');
  console.log(`${port.padEnd(6)} ${role.padEnd(9)} ${portFailed ? 'FAIL' : 'PASS'}  ${counts}${extra ? `  (${extra})` : ''}`);
  for (const f of serious) console.log(`         ${f.severity} ${f.id}: ${f.finding}`);
  for (const p of problems) console.log(`         ${p}`);
}

for (const [id, why] of Object.entries(ACCEPTED)) console.log(`accepted finding ${id}: ${why}`);
console.log(failed ? 'tls: FAIL' : `tls: PASS, ${rows.length} listeners, no MEDIUM or higher findings, policy kept`);
process.exit(failed ? 1 : 0);
