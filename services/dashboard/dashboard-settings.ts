// The dashboard's own settings, from its config file's `extra` (written by the supervisor from
// STRONGROOM_DASHBOARD_* and STRONGROOM_SMTP_URL / STRONGROOM_MAIL_FROM; README.md lists them).
import type { ServiceConfig } from '#lib/config/index.ts';
import { isPolicyProfileName, type PolicyProfileName } from './policy-profiles.ts';

export type DashboardSettings = {
  production: boolean;
  policyProfile: PolicyProfileName;
  /** https://host[:port] that emailed links point to. */
  publicOrigin: string;
  mail: { from: string; smtpUrl?: string };
};

export function readDashboardSettings(config: Pick<ServiceConfig, 'production' | 'extra' | 'public'>): DashboardSettings {
  const extra = (config.extra ?? {}) as Record<string, unknown>;
  const profile = extra.policyProfile ?? 'pci';
  if (!isPolicyProfileName(profile)) throw new Error(`dashboard: policyProfile must be pci or nist, got ${JSON.stringify(profile)}`);
  const origin = typeof extra.publicOrigin === 'string' ? extra.publicOrigin : `https://localhost:${config.public?.port ?? 8443}`;
  const parsed = new URL(origin);
  if (parsed.protocol !== 'https:' || parsed.pathname !== '/' || parsed.search !== '' || parsed.username !== '') {
    throw new Error('dashboard: publicOrigin must be https://host[:port]');
  }
  const smtpUrl = typeof extra.smtpUrl === 'string' && extra.smtpUrl !== '' ? extra.smtpUrl : undefined;
  if (smtpUrl !== undefined && !/^smtps?:\/\//.test(smtpUrl)) throw new Error('dashboard: smtpUrl must be smtp:// (STARTTLS required) or smtps://');
  // The outbox keeps live links in a table: production must deliver them instead.
  if (config.production && smtpUrl === undefined) throw new Error('dashboard: production needs an SMTP server (STRONGROOM_SMTP_URL)');
  const from = typeof extra.mailFrom === 'string' && extra.mailFrom !== '' ? extra.mailFrom : `Strongroom <no-reply@${parsed.hostname}>`;
  return { production: config.production, policyProfile: profile, publicOrigin: parsed.origin, mail: { from, smtpUrl } };
}
