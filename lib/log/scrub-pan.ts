import { luhnValidDigits } from './luhn.ts';

// A run of at least 13 digits where consecutive digits may be separated by ONE space or dash.
// Linear: the optional separator is unambiguous (it is always followed by a digit), so no backtracking blow-up.
// eslint-disable-next-line security/detect-unsafe-regex -- see above
const CANDIDATE_RUN = /[0-9](?:[ -]?[0-9]){12,}/g;
const MIN_PAN = 13;
const MAX_PAN = 19;
const KEEP_LAST = 4;

/**
 * Masks every Luhn-valid card number (13–19 digits) in `text`, keeping only the last 4 digits.
 *
 * A candidate is a maximal digit run delimited by non-digits. Inside a run, digits may be grouped by
 * single spaces or dashes (`4242 4242 4242 4242`); any sequence of whole groups totalling 13–19 digits
 * is tested, so `qty 2 4242 4242 4242 4242` is still caught. Digits glued together without a separator
 * are never split: a 20+ digit number is an identifier, not a PAN, and non-Luhn numbers (timestamps,
 * amounts) are left untouched. Output has the same length as the input.
 */
export function scrubPan(text: string): string {
  CANDIDATE_RUN.lastIndex = 0;
  if (!CANDIDATE_RUN.test(text)) return text;
  CANDIDATE_RUN.lastIndex = 0;
  return text.replace(CANDIDATE_RUN, maskRun);
}

function maskRun(run: string): string {
  // Digit values, and for each group its [start, end) index into `digits`.
  const digits: number[] = [];
  const groupStarts: number[] = [0];
  for (let i = 0; i < run.length; i++) {
    const code = run.charCodeAt(i);
    if (code >= 48 && code <= 57) digits.push(code - 48);
    else groupStarts.push(digits.length);
  }
  groupStarts.push(digits.length);

  let mask: Uint8Array | undefined;
  const groups = groupStarts.length - 1;
  for (let first = 0; first < groups; first++) {
    const start = groupStarts[first] ?? 0;
    for (let last = first; last < groups; last++) {
      const end = groupStarts[last + 1] ?? 0;
      const length = end - start;
      if (length > MAX_PAN) break;
      if (length < MIN_PAN || !luhnValidDigits(digits, start, end)) continue;
      mask ??= new Uint8Array(digits.length);
      mask.fill(1, start, end - KEEP_LAST);
    }
  }
  if (mask === undefined) return run;

  let out = '';
  let d = 0;
  for (let i = 0; i < run.length; i++) {
    const ch = run[i] ?? '';
    if (ch === ' ' || ch === '-') {
      out += ch;
      continue;
    }
    out += mask[d] === 1 ? '*' : ch;
    d++;
  }
  return out;
}
