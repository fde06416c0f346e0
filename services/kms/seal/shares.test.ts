import { test } from 'node:test';
import assert from 'node:assert/strict';
import { encodeShare, parseShare } from './shares.ts';
import { SealError } from './seal-error.ts';

const installId = '0123456789abcdef';
const bytes = Uint8Array.from({ length: 33 }, (_, i) => (i * 37 + 11) & 0xff);

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof SealError, 'expected a SealError');
    return error.code;
  }
  return undefined;
}

test('a share encodes to the documented shape and parses back', () => {
  const text = encodeShare({ installId, index: 3, bytes });
  assert.match(text, /^srkms1-0123456789abcdef-3-[0-9a-hjkmnp-tv-z]{53}-[0-9a-f]{8}$/);
  const parsed = parseShare(text);
  assert.equal(parsed.installId, installId);
  assert.equal(parsed.index, 3);
  assert.deepEqual(parsed.bytes, bytes);
});

test('parsing tolerates upper case and surrounding whitespace, which a custodian may introduce', () => {
  const text = encodeShare({ installId, index: 12, bytes });
  const parsed = parseShare(`  ${text.toUpperCase()}\n`);
  assert.equal(parsed.index, 12);
  assert.deepEqual(parsed.bytes, bytes);
});

test('the share alphabet has no characters that read two ways', () => {
  const body = encodeShare({ installId, index: 1, bytes: Uint8Array.from({ length: 200 }, (_, i) => i) }).split('-')[3]!;
  assert.doesNotMatch(body, /[ilou]/);
});

test('a typo is reported as a checksum mismatch', () => {
  const text = encodeShare({ installId, index: 2, bytes });
  const parts = text.split('-');
  const body = parts[3]!;
  parts[3] = (body[0] === '0' ? '1' : '0') + body.slice(1);
  assert.equal(codeOf(() => parseShare(parts.join('-'))), 'checksum_mismatch');
});

test('malformed shares are refused with a clear error that does not quote the input', () => {
  const good = encodeShare({ installId, index: 2, bytes });
  const [, , , body, sum] = good.split('-') as [string, string, string, string, string];
  const cases = [
    '',
    'hello',
    good.replace('srkms1', 'srkms2'),
    good.replace(installId, '0123456789abcde'),
    good.replace('-2-', '-02-'),
    good.replace('-2-', '-0-'),
    good.replace('-2-', '-256-'),
    good.replace(body, body.slice(0, 10) + 'u' + body.slice(11)),
    good.replace(sum, sum.slice(0, 7)),
    `${good}-extra`,
  ];
  for (const text of cases) {
    try {
      parseShare(text);
      assert.fail(`accepted: case ${cases.indexOf(text)}`);
    } catch (error) {
      assert.ok(error instanceof SealError);
      assert.ok(['malformed_share', 'checksum_mismatch'].includes(error.code));
      assert.ok(!error.message.includes(body.slice(0, 12)), 'message must not quote share bytes');
    }
  }
});

test('a non-canonical body (non-zero trailing bits) is refused even with a matching checksum', async () => {
  const { createHash } = await import('node:crypto');
  const good = encodeShare({ installId, index: 4, bytes });
  const parts = good.split('-');
  const body = parts[3]!;
  // 33 bytes = 264 bits in 53 characters (265 bits): the last character's low bit is padding.
  const alphabet = '0123456789abcdefghjkmnpqrstvwxyz';
  const last = alphabet.indexOf(body.at(-1)!);
  parts[3] = body.slice(0, -1) + alphabet[last | 1];
  const head = parts.slice(0, 4).join('-');
  parts[4] = createHash('sha256').update(head).digest().subarray(0, 4).toString('hex');
  assert.equal(codeOf(() => parseShare(parts.join('-'))), 'malformed_share');
});

test('encodeShare refuses values the format cannot carry', () => {
  assert.equal(codeOf(() => encodeShare({ installId: 'XYZ', index: 1, bytes })), 'invalid_parameters');
  assert.equal(codeOf(() => encodeShare({ installId, index: 0, bytes })), 'invalid_parameters');
  assert.equal(codeOf(() => encodeShare({ installId, index: 256, bytes })), 'invalid_parameters');
  assert.equal(codeOf(() => encodeShare({ installId, index: 1, bytes: new Uint8Array(1) })), 'invalid_parameters');
});
