// The new-password rules of both profiles (README.md, "Policy profiles").
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { POLICY_PROFILES } from '../policy-profiles.ts';
import { hashPassword, verifyPassword } from '../users/passwords.ts';
import { checkNewPassword, contextWords, minimumLength } from './password-policy.ts';

const { pci, nist } = POLICY_PROFILES;
const who = { email: 'ada@corner-shop.example', businessName: 'Corner Shop', mfaEnrolled: false };
const ok = (password: string, profile = pci, context = who) => checkNewPassword(password, profile, context).ok;
const problems = (password: string, profile = pci, context = who) => {
  const verdict = checkNewPassword(password, profile, context);
  return verdict.ok ? [] : verdict.problems;
};

test('minimum lengths: PCI 12 always; NIST 15 alone, 8 once MFA is enrolled', () => {
  assert.deepEqual([minimumLength(pci, false), minimumLength(pci, true), minimumLength(nist, false), minimumLength(nist, true)], [12, 12, 15, 8]);
  assert.match(problems('b7#kQ9zLw2x')[0]!, /at least 12 characters \(this one has 11\)/);
  assert.equal(ok('b7#kQ9zLw2xv'), true);
  assert.match(problems('b7#kQ9zLw2xvTm', nist)[0]!, /at least 15/);
  assert.equal(ok('b7#kQ9zLw2xvTmR', nist), true);
  assert.equal(ok('Vb7#kQ9zLw', nist, { ...who, mfaEnrolled: true }), true, 'NIST with a second factor');
  assert.match(problems('Vb7#kQ9zLw', pci, { ...who, mfaEnrolled: true })[0]!, /at least 12/, 'PCI does not lower it');
});

test('composition: PCI needs letters and digits, NIST never asks for any', () => {
  assert.deepEqual(problems('violet canyon harbour lantern'), ['Include both letters and digits.']);
  assert.deepEqual(problems('violet canyon harbour lantern', nist), []);
  assert.deepEqual(problems('violet canyon 42 harbour lantern'), []);
});

test('any characters: spaces, emoji, Thai, counted as code points; long passwords up to 128', () => {
  assert.equal(ok('ทะเลสาบ สีคราม 19 ภูเขา', pci), true);
  assert.equal(ok('🦊🌲🏔️ silver 7 rivers at dawn', nist), true);
  assert.match(problems('😀😀😀😀😀😀😀😀😀😀1a')[0] ?? '', /too easy|at least/, 'emoji count once each');
  const long = 'orbit 7 '.repeat(16).slice(0, 128);
  assert.equal([...long].length, 128);
  assert.deepEqual(problems(long).filter((p) => /at most/.test(p)), []);
  assert.match(problems(`${long}x`)[0]!, /at most 128/);
});

test('guessable passwords are refused: common ones, patterns, and the user\'s own context', () => {
  for (const password of ['password123456', 'qwertyuiop1234', '123456789012abc', 'aaaaaaaaaaaa1', 'CornerShop2024', 'ada@corner-shop.example1', 'Strongroom12345']) {
    assert.match(problems(password).join(' '), /too easy to guess/, password);
  }
  assert.ok(contextWords(who).includes('corner shop') && contextWords(who).includes('strongroom') && contextWords(who).includes('ada'));
});

test('NFKC: the same password typed in composed or decomposed form, or full-width, is the same password', async () => {
  const composed = 'Å café 19 ﬁre';
  const decomposed = 'A\u030A cafe\u0301 19 fire';
  const encoded = await hashPassword(composed);
  assert.equal(await verifyPassword(encoded, decomposed), true);
  assert.equal(await verifyPassword(encoded, 'A cafe 19 fire'), false);
  assert.equal(await verifyPassword(await hashPassword('ＡＢＣ１２３'), 'ABC123'), true, 'full-width digits and letters fold');
});

test('verdicts are total: any string gets ok or reasons, never an exception', () => {
  fc.assert(fc.property(fc.string({ maxLength: 200, unit: 'binary' }), (password) => {
    const verdict = checkNewPassword(password, pci, who);
    assert.ok(verdict.ok || verdict.problems.length > 0);
  }), { numRuns: 200 });
});
