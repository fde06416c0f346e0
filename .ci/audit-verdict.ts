// Reads `npm audit --json` output and says PASS (exit 0), FAIL (exit 1) or SKIP (exit 77).
// SKIP only when the registry's audit endpoint did not answer with a report (network error, DNS, timeout,
// an HTTP error status such as 404 or 405 from a mirror): that says nothing about our dependencies.
// A report with any high or critical advisory is FAIL, and so is any other npm error (a broken lockfile
// must not pass as "endpoint unavailable").
// Usage: node .ci/audit-verdict.ts <audit.json> <audit.stderr> <npm exit code>
import { readFileSync } from 'node:fs';

const [jsonPath, stderrPath, exitCode] = process.argv.slice(2);
if (!jsonPath || !stderrPath || exitCode === undefined) {
  console.error('usage: audit-verdict.ts <audit.json> <audit.stderr> <npm exit code>');
  process.exit(2);
}

const read = (path: string) => {
  try { return readFileSync(path, 'utf8'); } catch { return ''; }
};
const stderr = read(stderrPath);
let report: Record<string, unknown> = {};
try { report = JSON.parse(read(jsonPath) || '{}') as Record<string, unknown>; } catch { /* judged below */ }

type Vulnerability = { name?: string; severity?: string; via?: unknown[]; fixAvailable?: unknown };
const metadata = report.metadata as { vulnerabilities?: Record<string, number> } | undefined;

if (metadata?.vulnerabilities) {
  const counts = metadata.vulnerabilities;
  const summary = ['critical', 'high', 'moderate', 'low', 'info'].map((s) => `${counts[s] ?? 0} ${s}`).join(', ');
  const serious = Object.values((report.vulnerabilities ?? {}) as Record<string, Vulnerability>)
    .filter((v) => v.severity === 'high' || v.severity === 'critical');
  if ((counts.high ?? 0) + (counts.critical ?? 0) > 0) {
    console.log(`npm audit (production dependencies): ${summary}`);
    for (const v of serious) {
      const titles = (v.via ?? []).flatMap((via) => (typeof via === 'object' && via && 'title' in via
        ? [`${String((via as { title: unknown }).title)} ${String((via as { url?: unknown }).url ?? '')}`.trim()] : []));
      console.log(`  ${v.severity?.toUpperCase()} ${v.name}: ${titles.join('; ') || 'through a vulnerable dependency'}`
        + `${v.fixAvailable ? ' (fix available)' : ''}`);
    }
    console.log('npm audit: FAIL, high or critical advisories in production dependencies');
    process.exit(1);
  }
  console.log(`npm audit (production dependencies): ${summary}; nothing at high or above`);
  process.exit(0);
}

const error = (report.error ?? {}) as { code?: unknown; summary?: unknown };
const code = String(error.code ?? report.code ?? '');
const status = typeof report.statusCode === 'number' ? report.statusCode : undefined;
const networkCodes = /^(ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ECONNRESET|ETIMEDOUT|ESOCKETTIMEDOUT|ENETUNREACH|EHOSTUNREACH|EPIPE|E4\d\d|E5\d\d)$/;
const networkText = /audit endpoint returned an error|ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ECONNRESET|ETIMEDOUT|ENETUNREACH|EHOSTUNREACH|socket hang up|network (error|request|timeout)|request to \S+ failed/i;
const timedOut = exitCode === '124' || exitCode === '137';

if (timedOut || status !== undefined || networkCodes.test(code) || networkText.test(stderr)) {
  const reason = timedOut ? 'no answer before the timeout'
    : status !== undefined ? `HTTP ${status} ${String(report.message ?? '').slice(0, 120)}`
      : code || stderr.split('\n').find((l) => networkText.test(l))?.trim() || 'network error';
  console.log(`npm audit: audit endpoint unavailable, skipped (${reason})`);
  process.exit(77);
}

console.log(`npm audit: FAIL, npm exited ${exitCode} without a report:\n${stderr.trim().split('\n').slice(-8).join('\n')}`);
process.exit(1);
