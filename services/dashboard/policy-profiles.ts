// The two named policy profiles, in one table so every difference sits side by side. PCI DSS v4.0.1
// and NIST SP 800-63B rev 4 disagree on lockout, idle timeout, password length and composition;
// README.md ("Policy profiles") says what each number is and why. PCI is the default.
export const POLICY_PROFILE_NAMES = ['pci', 'nist'] as const;
export type PolicyProfileName = (typeof POLICY_PROFILE_NAMES)[number];

/** Growing delays: `freeFailures` attempts cost nothing, then `baseDelayMs` doubling up to `maxDelayMs`. */
export type DelayRule = {
  readonly freeFailures: number;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
  /** Failures older than this (since the last one) are forgotten. */
  readonly forgetAfterMs: number;
};

export type LockoutRule = { readonly afterFailures: number; readonly lockMs: number };

export type SessionLimits = { readonly idleMs: number; readonly absoluteMs: number };

export type PolicyProfile = {
  readonly name: PolicyProfileName;
  readonly password: {
    /** When the password is the only factor. */
    readonly minLength: number;
    /** Once the user has a second factor enrolled (mfa/). */
    readonly minLengthWithMfa: number;
    readonly maxLength: number;
    /** PCI DSS 8.3.6: both letters and digits. NIST 800-63B forbids composition rules. */
    readonly lettersAndDigits: boolean;
    /** zxcvbn-ts score a new password must reach (0–4; 3 ≈ 10^8 guesses). */
    readonly minScore: number;
    /** PCI DSS 8.3.7: not one of the last N passwords (the current one included); 0 = no check. */
    readonly notLastN: number;
  };
  readonly session: SessionLimits;
  /** Consecutive failed sign-ins on one account (known or not) before it is locked. */
  readonly lockout: LockoutRule;
  readonly throttle: { readonly account: DelayRule; readonly ip: DelayRule };
};

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

// Per network address, whatever the account: slows credential stuffing without a lockout a
// stranger could trigger for everyone behind one address.
const IP_RULE: DelayRule = { freeFailures: 20, baseDelayMs: 1_000, maxDelayMs: 5 * MINUTE, forgetAfterMs: HOUR };

export const POLICY_PROFILES: Readonly<Record<PolicyProfileName, PolicyProfile>> = Object.freeze({
  pci: {
    name: 'pci',
    password: { minLength: 12, minLengthWithMfa: 12, maxLength: 128, lettersAndDigits: true, minScore: 3, notLastN: 4 },
    session: { idleMs: 15 * MINUTE, absoluteMs: 12 * HOUR },
    lockout: { afterFailures: 10, lockMs: 30 * MINUTE },
    throttle: {
      account: { freeFailures: 3, baseDelayMs: 1_000, maxDelayMs: MINUTE, forgetAfterMs: 24 * HOUR },
      ip: IP_RULE,
    },
  },
  nist: {
    name: 'nist',
    password: { minLength: 15, minLengthWithMfa: 8, maxLength: 128, lettersAndDigits: false, minScore: 3, notLastN: 0 },
    session: { idleMs: HOUR, absoluteMs: 24 * HOUR },
    lockout: { afterFailures: 100, lockMs: 24 * HOUR },
    throttle: {
      account: { freeFailures: 3, baseDelayMs: 1_000, maxDelayMs: 15 * MINUTE, forgetAfterMs: 24 * HOUR },
      ip: IP_RULE,
    },
  },
});

export function isPolicyProfileName(value: unknown): value is PolicyProfileName {
  return typeof value === 'string' && (POLICY_PROFILE_NAMES as readonly string[]).includes(value);
}

export function policyProfile(name: PolicyProfileName): PolicyProfile {
  return POLICY_PROFILES[name];
}
