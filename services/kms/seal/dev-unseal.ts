// Development only: the custodian shares are kept in the KMS's own data folder and the KMS unseals
// itself at start. That is no split knowledge at all, so it says so loudly, and production refuses it
// (the service config never enables it there).
import { readFile, writeFile } from 'node:fs/promises';
import type { Logger } from 'pino';
import type { SealService } from './seal.service.ts';

const DEV_SHARES = 3;
const DEV_THRESHOLD = 2;

export async function devAutoUnseal(deps: { seal: SealService; sharesFile: string; logger: Logger }): Promise<void> {
  const { seal, sharesFile, logger } = deps;
  const ctx = { caller: 'kms' };
  const warning = `DEVELOPMENT MODE: the KMS unseal shares are stored in ${sharesFile} and the KMS unseals itself. ` +
    'Never use this with real card data: production keeps each share with a different custodian.';
  let status = await seal.status();
  if (!status.initialized) {
    const created = await seal.initialize(ctx, { shares: DEV_SHARES, threshold: DEV_THRESHOLD });
    // eslint-disable-next-line security/detect-non-literal-fs-filename -- the supervisor's config names it, not a request
    await writeFile(sharesFile, JSON.stringify({ warning, installId: created.install_id, threshold: created.threshold, shares: created.shares }, null, 2), { mode: 0o600 });
    status = await seal.status();
  }
  if (!status.sealed) return;
  // eslint-disable-next-line security/detect-non-literal-fs-filename -- the supervisor's config names it, not a request
  const stored = JSON.parse(await readFile(sharesFile, 'utf8')) as { shares?: unknown };
  const shares = Array.isArray(stored.shares) ? stored.shares.filter((s): s is string => typeof s === 'string') : [];
  for (const share of shares) {
    status = await seal.submitShare(ctx, share);
    if (!status.sealed) break;
  }
  if (status.sealed) throw new Error(`the development shares in ${sharesFile} did not unseal the KMS`);
  logger.warn(warning);
}
