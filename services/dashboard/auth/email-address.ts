// Email addresses as the dashboard keys them: trimmed, NFKC, lower-cased (users.email is stored so).
export const MAX_EMAIL = 254;
// One @, something on both sides, a dot in the domain, no spaces or controls: the mailbox proves the rest.
const SHAPE = /^[^\s@\p{Cc}]{1,64}@[^\s@\p{Cc}]+\.[^\s@\p{Cc}]+$/u;

export function normalizeEmail(value: string): string {
  return value.trim().normalize('NFKC').toLowerCase();
}

export function isEmailAddress(value: string): boolean {
  return value.length <= MAX_EMAIL && SHAPE.test(value);
}
