import { test } from 'node:test';
import assert from 'node:assert/strict';
import { combine } from 'shamir-secret-sharing';
import { initializeSeal } from './seal-init.ts';
import { createUnsealProgress, type UnsealResult } from './unseal-progress.ts';
import { encodeShare, parseShare, type ParsedShare } from './shares.ts';
import { decryptMasterKey } from './seal-record.ts';
import { SealError, type SealErrorCode } from './seal-error.ts';

function combinations<T>(items: readonly T[], size: number): T[][] {
  if (size === 0) return [[]];
  const out: T[][] = [];
  items.forEach((item, i) => {
    for (const rest of combinations(items.slice(i + 1), size - 1)) out.push([item, ...rest]);
  });
  return out;
}

function permutations<T>(items: readonly T[]): T[][] {
  if (items.length <= 1) return [[...items]];
  return items.flatMap((item, i) => permutations([...items.slice(0, i), ...items.slice(i + 1)]).map((rest) => [item, ...rest]));
}

function masterKeyOf(result: UnsealResult): Buffer {
  assert.equal(result.sealed, false, 'expected the threshold share to unseal');
  if (result.sealed) throw new Error('unreachable');
  assert.equal(result.masterKey.length, 32);
  return result.masterKey;
}

async function rejectsWith(promise: Promise<unknown>, code: SealErrorCode): Promise<void> {
  await assert.rejects(promise, (error: unknown) => error instanceof SealError && error.code === code);
}

const bytesOf = (share: string) => parseShare(share).bytes;

for (const [n, m] of [[5, 3], [4, 2]] as const) {
  test(`N=${n}, M=${m}: every ${m}-subset, in every order, unseals to the same master key`, async () => {
    const { sealRecord, shares } = await initializeSeal({ shares: n, threshold: m });
    assert.equal(shares.length, n);
    assert.deepEqual([sealRecord.threshold, sealRecord.shareCount], [m, n]);
    const progress = createUnsealProgress(sealRecord);
    let reference: Buffer | undefined;
    let runs = 0;
    for (const subset of combinations(shares, m)) {
      for (const order of permutations(subset)) {
        for (const [k, share] of order.slice(0, -1).entries()) {
          assert.deepEqual(await progress.submit(share), { sealed: true, progress: k + 1, threshold: m });
        }
        const key = masterKeyOf(await progress.submit(order.at(-1)!));
        reference ??= Buffer.from(key);
        assert.deepEqual(key, reference);
        assert.equal(progress.status().progress, 0, 'a completed unseal starts over empty');
        runs++;
      }
    }
    assert.equal(runs, combinations(shares, m).length * permutations(shares.slice(0, m)).length);
  });

  test(`N=${n}, M=${m}: every ${m - 1}-subset leaves it sealed and reveals nothing about the unseal key`, async () => {
    const { sealRecord, shares } = await initializeSeal({ shares: n, threshold: m });
    const unsealKey = await combine(shares.slice(0, m).map(bytesOf));
    assert.deepEqual(decryptMasterKey(unsealKey, sealRecord).length, 32, 'sanity: M shares give the unseal key');
    for (const subset of combinations(shares, m - 1)) {
      const progress = createUnsealProgress(sealRecord);
      let last: UnsealResult | undefined;
      for (const share of subset) last = await progress.submit(share);
      assert.deepEqual(last, { sealed: true, progress: m - 1, threshold: m });
      // Straight through the library: too few shares interpolate to some other value (or are refused).
      const raw = subset.map(bytesOf);
      if (raw.length < 2) {
        await assert.rejects(combine(raw));
      } else {
        const guess = await combine(raw);
        assert.notDeepEqual(guess, unsealKey);
        assert.throws(() => decryptMasterKey(guess, sealRecord));
      }
    }
  });
}

test('M-1 shares are consistent with every possible unseal key: any first byte can be completed', async () => {
  const { shares } = await initializeSeal({ shares: 3, threshold: 2 });
  const known = bytesOf(shares[0]!);
  const xKnown = known[32]!;
  const xOther = xKnown === 255 ? 254 : xKnown + 1;
  const firstBytes = new Set<number>();
  // With one share of a 2-of-n split, choosing the missing share's byte freely reaches all 256 secrets.
  for (let y = 0; y < 256; y++) {
    const forged = new Uint8Array(33);
    forged[0] = y;
    forged[32] = xOther;
    firstBytes.add((await combine([known, forged]))[0]!);
  }
  assert.equal(firstBytes.size, 256);
});

test('a repeated share does not count twice', async () => {
  const { sealRecord, shares } = await initializeSeal({ shares: 5, threshold: 3 });
  const progress = createUnsealProgress(sealRecord);
  assert.equal((await progress.submit(shares[1]!)).sealed, true);
  assert.deepEqual(await progress.submit(shares[1]!), { sealed: true, progress: 1, threshold: 3 });
  assert.deepEqual(await progress.submit(` ${shares[1]!.toUpperCase()} `), { sealed: true, progress: 1, threshold: 3 });
  assert.deepEqual(await progress.submit(shares[3]!), { sealed: true, progress: 2, threshold: 3 });
  assert.deepEqual(await progress.submit(shares[3]!), { sealed: true, progress: 2, threshold: 3 });
  masterKeyOf(await progress.submit(shares[4]!));
});

test('a share from another installation is refused and not counted', async () => {
  const mine = await initializeSeal({ shares: 5, threshold: 3 });
  const theirs = await initializeSeal({ shares: 5, threshold: 3 });
  assert.notEqual(mine.sealRecord.installId, theirs.sealRecord.installId);
  const progress = createUnsealProgress(mine.sealRecord);
  await progress.submit(mine.shares[0]!);
  await assert.rejects(progress.submit(theirs.shares[1]!), (error: unknown) => error instanceof SealError
    && error.code === 'foreign_share' && /another KMS installation/.test(error.message));
  assert.deepEqual(progress.status(), { sealed: true, progress: 1, threshold: 3 });
  await progress.submit(mine.shares[1]!);
  masterKeyOf(await progress.submit(mine.shares[2]!));
});

test('malformed and mistyped shares are refused and not counted; errors carry no share bytes', async () => {
  const { sealRecord, shares } = await initializeSeal({ shares: 3, threshold: 2 });
  const progress = createUnsealProgress(sealRecord);
  const share = shares[0]!;
  const body = share.split('-')[3]!;
  const typo = share.replace(body, body.slice(0, 5) + (body[5] === 'a' ? 'b' : 'a') + body.slice(6));
  for (const [text, code] of [[typo, 'checksum_mismatch'], ['srkms1-nonsense', 'malformed_share'], ['', 'malformed_share']] as const) {
    await assert.rejects(progress.submit(text), (error: unknown) => error instanceof SealError
      && error.code === code && !error.message.includes(body.slice(0, 10)));
  }
  assert.equal(progress.status().progress, 0);
});

test('a share index above the share count, or a second different share for an index, is refused', async () => {
  const { sealRecord, shares } = await initializeSeal({ shares: 3, threshold: 3 });
  const progress = createUnsealProgress(sealRecord);
  const raw = bytesOf(shares[0]!);
  await rejectsWith(progress.submit(encodeShare({ installId: sealRecord.installId, index: 4, bytes: raw })), 'malformed_share');
  await progress.submit(shares[0]!);
  const other = bytesOf(shares[1]!);
  await rejectsWith(progress.submit(encodeShare({ installId: sealRecord.installId, index: 1, bytes: other })), 'conflicting_share');
  await rejectsWith(progress.submit(encodeShare({ installId: sealRecord.installId, index: 2, bytes: raw })), 'conflicting_share');
  assert.equal(progress.status().progress, 1);
});

test('reset discards an unseal in progress', async () => {
  const { sealRecord, shares } = await initializeSeal({ shares: 5, threshold: 3 });
  const progress = createUnsealProgress(sealRecord);
  await progress.submit(shares[0]!);
  await progress.submit(shares[1]!);
  progress.reset();
  assert.deepEqual(progress.status(), { sealed: true, progress: 0, threshold: 3 });
  // Had the first two survived, this would be the third share and would unseal.
  assert.deepEqual(await progress.submit(shares[2]!), { sealed: true, progress: 1, threshold: 3 });
  await progress.submit(shares[0]!);
  masterKeyOf(await progress.submit(shares[4]!));
});

test('submitted share bytes are zeroed on reset and on completion', async () => {
  const { sealRecord, shares } = await initializeSeal({ shares: 4, threshold: 3 });
  const seen: ParsedShare[] = [];
  const parse = (text: string) => {
    const share = parseShare(text);
    seen.push(share);
    return share;
  };
  const progress = createUnsealProgress(sealRecord, { parse });
  await progress.submit(shares[0]!);
  await progress.submit(shares[1]!);
  await progress.submit(shares[1]!); // the duplicate copy is zeroed too
  assert.ok(seen.some((s) => s.bytes.some((b) => b !== 0)), 'sanity: share bytes were non-zero');
  progress.reset();
  assert.ok(seen.every((s) => s.bytes.every((b) => b === 0)), 'reset zeroes every submitted share');
  seen.length = 0;
  for (const share of shares.slice(1)) await progress.submit(share);
  assert.equal(seen.length, 3);
  assert.ok(seen.every((s) => s.bytes.every((b) => b === 0)), 'completion zeroes every submitted share');
});

test('a wrong combination (valid-looking forged share) fails authentication and resets progress', async () => {
  const { sealRecord, shares } = await initializeSeal({ shares: 3, threshold: 2 });
  const forged = bytesOf(shares[1]!);
  forged[0] = forged[0]! ^ 1;
  const progress = createUnsealProgress(sealRecord);
  await progress.submit(shares[0]!);
  await rejectsWith(progress.submit(encodeShare({ installId: sealRecord.installId, index: 2, bytes: forged })), 'unseal_failed');
  assert.equal(progress.status().progress, 0);
  await progress.submit(shares[2]!);
  masterKeyOf(await progress.submit(shares[0]!));
});

test('the seal record holds neither the unseal key nor the master key', async () => {
  const { sealRecord, shares } = await initializeSeal({ shares: 3, threshold: 2 });
  const unsealKey = Buffer.from(await combine(shares.slice(0, 2).map(bytesOf)));
  const masterKey = decryptMasterKey(unsealKey, sealRecord);
  assert.match(sealRecord.installId, /^[0-9a-f]{16}$/);
  assert.equal(sealRecord.nonce.length, 12);
  assert.equal(sealRecord.ciphertext.length, 48);
  assert.ok(sealRecord.createdAt instanceof Date);
  const stored = Buffer.concat([sealRecord.nonce, sealRecord.ciphertext, Buffer.from(sealRecord.installId)]);
  for (const key of [unsealKey, masterKey]) assert.equal(stored.indexOf(key.subarray(0, 8)), -1);
});

test('initializeSeal enforces 2 ≤ M ≤ N ≤ 16, and M = N = 1 only when asked for', async () => {
  for (const options of [{ shares: 3, threshold: 1 }, { shares: 2, threshold: 3 }, { shares: 17, threshold: 2 },
    { shares: 1, threshold: 1 }, { shares: 2.5, threshold: 2 }]) {
    await rejectsWith(initializeSeal(options), 'invalid_parameters');
  }
  const big = await initializeSeal({ shares: 16, threshold: 16 });
  assert.equal(new Set(big.shares).size, 16);
  const dev = await initializeSeal({ shares: 1, threshold: 1, allowSingleShare: true });
  assert.equal(dev.shares.length, 1);
  masterKeyOf(await createUnsealProgress(dev.sealRecord).submit(dev.shares[0]!));
});
