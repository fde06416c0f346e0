/**
 * Luhn (mod 10) check over an array of digit values, most significant first.
 * Works on a slice so the scrubber can test several groupings of one run without allocating strings.
 */
export function luhnValidDigits(digits: ArrayLike<number>, start: number, end: number): boolean {
  let sum = 0;
  let double = false;
  for (let i = end - 1; i >= start; i--) {
    let d = digits[i] ?? 0;
    if (double) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    double = !double;
  }
  return end > start && sum % 10 === 0;
}

/** Luhn check of a string made only of ASCII digits; false for anything else. */
export function isLuhnValid(digits: string): boolean {
  if (!/^[0-9]+$/.test(digits)) return false;
  const values = Array.from(digits, (c) => c.charCodeAt(0) - 48);
  return luhnValidDigits(values, 0, values.length);
}
