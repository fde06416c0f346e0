// How often the dashboard emails one address, and how many emails one network can trigger: sign-up
// and password reset send mail to whatever address is typed, so both are bounded.
import type { DelayRule } from '../policy-profiles.ts';
import { emailKey, networkKey, type ThrottleCheck } from './throttle.store.ts';

const MINUTE = 60_000;
export const MAIL_PER_ADDRESS: DelayRule = { freeFailures: 3, baseDelayMs: MINUTE, maxDelayMs: 60 * MINUTE, forgetAfterMs: 6 * 60 * MINUTE };
export const MAIL_PER_NETWORK: DelayRule = { freeFailures: 20, baseDelayMs: 10_000, maxDelayMs: 10 * MINUTE, forgetAfterMs: 60 * MINUTE };

export function mailChecks(email: string, ip: string): ThrottleCheck[] {
  return [
    { scope: 'mail_address', key: emailKey(email), rule: MAIL_PER_ADDRESS },
    { scope: 'mail_ip', key: networkKey(ip), rule: MAIL_PER_NETWORK },
  ];
}
