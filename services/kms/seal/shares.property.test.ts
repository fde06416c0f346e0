import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { encodeShare, parseShare } from './shares.ts';
import { SealError } from './seal-error.ts';

const installIdArb = fc.uint8Array({ minLength: 8, maxLength: 8 }).map((b) => Buffer.from(b).toString('hex'));
const shareArb = fc.record({
  installId: installIdArb,
  index: fc.integer({ min: 1, max: 255 }),
  bytes: fc.uint8Array({ minLength: 2, maxLength: 300 }),
});

// Every character that may appear in a share, plus some that may not.
const CHARSET = '0123456789abcdefghijklmnopqrstuvwxyz-_ ';

test('encode then parse returns the same share', () => {
  fc.assert(fc.property(shareArb, (share) => {
    const parsed = parseShare(encodeShare(share));
    assert.equal(parsed.installId, share.installId);
    assert.equal(parsed.index, share.index);
    assert.deepEqual(parsed.bytes, share.bytes);
  }), { numRuns: 500 });
});

test('any single-character substitution is detected', () => {
  fc.assert(fc.property(shareArb, fc.nat(), fc.nat(), (share, at, pick) => {
    const text = encodeShare(share);
    const i = at % text.length;
    // Parsing is case-insensitive on purpose, so only substitute a character that differs ignoring case.
    const candidates = [...CHARSET].filter((c) => c !== text[i]!.toLowerCase());
    const changed = text.slice(0, i) + candidates[pick % candidates.length] + text.slice(i + 1);
    assert.throws(() => parseShare(changed), (error: unknown) => error instanceof SealError
      && (error.code === 'malformed_share' || error.code === 'checksum_mismatch'));
  }), { numRuns: 2000 });
});

test('dropping or inserting a character is detected', () => {
  fc.assert(fc.property(shareArb, fc.nat(), fc.constantFrom(...CHARSET), fc.boolean(), (share, at, c, insert) => {
    const text = encodeShare(share);
    const i = at % text.length;
    const changed = insert ? text.slice(0, i) + c + text.slice(i) : text.slice(0, i) + text.slice(i + 1);
    // A leading/trailing space is trimmed, as a paste would be: that one is not a change.
    fc.pre(changed.trim() !== text);
    assert.throws(() => parseShare(changed), SealError);
  }), { numRuns: 1000 });
});
