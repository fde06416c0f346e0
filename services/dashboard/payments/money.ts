// Amounts as the api keeps them (integers in the currency's smallest unit: satang, cents; yen as is)
// and as pages show them ("THB 1,000.50"). The number of decimals comes from ISO 4217 through Intl.
const CODE = /^[A-Za-z]{3}$/;

/** Decimals of the currency's smallest unit (2 for THB, 0 for JPY). */
export function minorDigits(currency: string): number {
  if (!CODE.test(currency)) return 0;
  return new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits ?? 2;
}

/** "THB 1,000.50" for 100050 THB. Exact: the integer is split, never divided as a float. */
export function formatAmount(amount: number, currency: string): string {
  if (!Number.isSafeInteger(amount) || !CODE.test(currency)) return `${amount} ${currency}`;
  const code = currency.toUpperCase();
  const digits = minorDigits(code);
  const sign = amount < 0 ? '-' : '';
  const text = String(Math.abs(amount)).padStart(digits + 1, '0');
  const whole = BigInt(text.slice(0, text.length - digits)).toLocaleString('en');
  return `${sign}${code} ${whole}${digits > 0 ? `.${text.slice(text.length - digits)}` : ''}`;
}
