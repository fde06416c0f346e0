// Signed checkpoints against tampering: as the owner would do it (triggers disabled first), or as a
// compromised service could (the runtime role may INSERT checkpoints). Each is caught and named.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sign } from 'node:crypto';
import { sql, type Kysely } from '#lib/db/index.ts';
import type { TestDatabase } from '#lib/db/testing.ts';
import { extendChain } from './chain.ts';
import { checkpointPayload, createAudit, createCheckpointer, runVerify, type StreamVerification } from './index.ts';
import { createAuditTestDatabase, createTestSigner, readLog, sampleRecord, type TestSigner } from './testing.ts';

const A = 'acct_test_a';
const B = 'acct_test_b';

type Seeded = { t: TestDatabase<unknown>; keys: TestSigner };

/** Tenant A: 6 entries, checkpoints at seq 3 and 6. Tenant B: 2 entries, checkpoint at 2. */
async function seeded(): Promise<Seeded> {
  const t = await createAuditTestDatabase();
  const audit = createAudit({ db: t.db, service: 'api' });
  const keys = createTestSigner();
  const checkpointer = createCheckpointer({ db: t.db, service: 'api', signer: keys.signer, intervalMs: 1000 });
  for (let n = 1; n <= 3; n++) await audit.recordStandalone(sampleRecord({ tenant: A, metadata: { n } }));
  for (let n = 1; n <= 2; n++) await audit.recordStandalone(sampleRecord({ tenant: B, metadata: { n } }));
  await audit.chainNow();
  await checkpointer.runOnce();
  for (let n = 4; n <= 6; n++) await audit.recordStandalone(sampleRecord({ tenant: A, metadata: { n } }));
  await audit.chainNow();
  await checkpointer.runOnce();
  return { t, keys };
}

async function asOwner(db: Kysely<unknown>, edit: (tx: Kysely<unknown>) => Promise<void>): Promise<void> {
  await db.transaction().execute(async (tx) => {
    await sql`ALTER TABLE audit_log DISABLE TRIGGER USER`.execute(tx);
    await sql`ALTER TABLE audit_checkpoints DISABLE TRIGGER USER`.execute(tx);
    await edit(tx);
    await sql`ALTER TABLE audit_log ENABLE TRIGGER USER`.execute(tx);
    await sql`ALTER TABLE audit_checkpoints ENABLE TRIGGER USER`.execute(tx);
  });
}

/** A checkpoint row written straight into the table (the runtime role may INSERT). */
async function insertCheckpoint(db: Kysely<unknown>, row: { seq: number; hash: Buffer; keyId?: string; keyVersion?: number; sign: (p: Uint8Array) => string }) {
  const signedAt = new Date();
  const signature = row.sign(checkpointPayload({ service: 'api', stream: A, seq: row.seq, hash: row.hash, signedAt }));
  await sql`INSERT INTO audit_checkpoints (service, stream, seq, hash, signed_at, key_id, key_version, signature)
    VALUES ('api', ${A}, ${row.seq}, ${row.hash}, ${signedAt}, ${row.keyId ?? 'audit-checkpoint'}, ${row.keyVersion ?? 1}, ${signature})`.execute(db);
}

async function verifyA({ t, keys }: Seeded, publicKeys = keys.publicKeys): Promise<StreamVerification> {
  const audit = createAudit({ db: t.db, service: 'api' });
  const [b] = await audit.verify(B, { publicKeys });
  if (publicKeys === keys.publicKeys) assert.deepEqual(b?.checkpoints, { ok: true, count: 1, lastSeq: 2, unsignedTail: 0 }, 'tenant B is untouched');
  return (await audit.verify(A, { publicKeys }))[0]!;
}

test('intact: every checkpoint verifies; without keys the report says they were not checked', async () => {
  const s = await seeded();
  try {
    const a = await verifyA(s);
    assert.deepEqual([a.ok, a.checkpoints], [true, { ok: true, count: 2, lastSeq: 6, unsignedTail: 0 }]);
    const withKeys = await runVerify(s.t.db, { publicKeys: s.keys.publicKeys, service: 'api' });
    assert.equal(withKeys.exitCode, 0);
    assert.match(withKeys.text, new RegExp(`^stream ${A}: OK 6 entries, head [0-9a-f]{12}; checkpoints OK 2, signed to seq 6, no entries after it\n`
      + `stream ${B}: OK 2 entries, head [0-9a-f]{12}; checkpoints OK 1, signed to seq 2, no entries after it$`));
    const without = await runVerify(s.t.db);
    assert.equal(without.exitCode, 0);
    assert.match(without.text, new RegExp(`^stream ${A}: OK 6 entries, head [0-9a-f]{12}\nstream ${B}: OK 2 entries, head [0-9a-f]{12}\n`
      + 'signed checkpoints: 3 stored, NOT checked \\(no public key given\\)$'));
    assert.equal((await runVerify(s.t.db, { stream: B })).text.split('\n')[1], 'signed checkpoints: 1 stored, NOT checked (no public key given)');
  } finally {
    await s.t.close();
  }
});

test('a hand-edited checkpoint signature is caught and the checkpoint named', async () => {
  const s = await seeded();
  try {
    await asOwner(s.t.ownerDb, async (tx) => {
      const other = sign(null, Buffer.from('something else'), s.keys.privateKey).toString('base64');
      await sql`UPDATE audit_checkpoints SET signature = ${other} WHERE stream = ${A} AND seq = 3`.execute(tx);
    });
    const a = await verifyA(s);
    assert.deepEqual([a.ok, a.checkpoints], [true, { ok: false, firstBrokenCheckpoint: 3, reason: 'bad_signature' }]);
    const report = await runVerify(s.t.db, { publicKeys: s.keys.publicKeys, service: 'api' });
    assert.equal(report.exitCode, 1, 'a broken checkpoint fails the run even though the chain holds');
    assert.match(report.text.split('\n')[0]!, new RegExp(`^stream ${A}: OK 6 entries, head [0-9a-f]{12}; checkpoint BROKEN at seq 3 \\(bad_signature\\)$`));
  } finally {
    await s.t.close();
  }
});

test('an edited checkpoint field (seq moved onto another entry) is caught as a bad signature', async () => {
  const s = await seeded();
  try {
    const log = await readLog(s.t.db, A);
    await asOwner(s.t.ownerDb, async (tx) => {
      await sql`UPDATE audit_checkpoints SET seq = 5, hash = ${log[4]!.hash} WHERE stream = ${A} AND seq = 6`.execute(tx);
    });
    assert.deepEqual((await verifyA(s)).checkpoints, { ok: false, firstBrokenCheckpoint: 5, reason: 'bad_signature' });
  } finally {
    await s.t.close();
  }
});

test('a validly signed checkpoint whose hash does not match the chain is caught as mismatch', async () => {
  const s = await seeded();
  try {
    await insertCheckpoint(s.t.db, { seq: 4, hash: Buffer.alloc(32, 9), sign: (p) => sign(null, p, s.keys.privateKey).toString('base64') });
    assert.deepEqual((await verifyA(s)).checkpoints, { ok: false, firstBrokenCheckpoint: 4, reason: 'mismatch' });
  } finally {
    await s.t.close();
  }
});

test('a checkpoint signed with another key is caught (claimed key: bad signature; unlisted key: unknown key)', async () => {
  const s = await seeded();
  const intruder = createTestSigner();
  try {
    const log = await readLog(s.t.db, A);
    const byIntruder = (p: Uint8Array) => sign(null, p, intruder.privateKey).toString('base64');
    await insertCheckpoint(s.t.db, { seq: 5, hash: log[4]!.hash, sign: byIntruder });
    assert.deepEqual((await verifyA(s)).checkpoints, { ok: false, firstBrokenCheckpoint: 5, reason: 'bad_signature' });
    await insertCheckpoint(s.t.db, { seq: 4, hash: log[3]!.hash, keyId: 'intruder', sign: byIntruder });
    assert.deepEqual((await verifyA(s)).checkpoints, { ok: false, firstBrokenCheckpoint: 4, reason: 'unknown_key' });
    // The genuine checkpoints, checked against the wrong public key file.
    const wrongFile = createTestSigner(s.keys.keyId, s.keys.keyVersion).publicKeys;
    assert.deepEqual((await verifyA(s, wrongFile)).checkpoints, { ok: false, firstBrokenCheckpoint: 3, reason: 'bad_signature' });
  } finally {
    await s.t.close();
  }
});

test('a modified entry before a checkpoint is caught: at its seq, or (hashes recomputed) at the checkpoint', async () => {
  const s = await seeded();
  try {
    await asOwner(s.t.ownerDb, async (tx) => {
      await sql`UPDATE audit_log SET entry = jsonb_set(entry, '{outcome,result}', '"failure"') WHERE stream = ${A} AND seq = 2`.execute(tx);
    });
    // The stored hashes at the checkpoints still match: the chain walk is what names the edit.
    assert.deepEqual(await verifyA(s), {
      stream: A, ok: false, firstBrokenSeq: 2, reason: 'modified', checkpoints: { ok: true, count: 2, lastSeq: 6, unsignedTail: 0 },
    });

    // The careful forger recomputes every hash from the edit on: the chain is valid again, the checkpoints are not.
    const log = await readLog(s.t.db, A);
    const relinked = extendChain({ seq: 1, hash: log[0]!.hash }, log.slice(1).map((row) => row.entry));
    await asOwner(s.t.ownerDb, async (tx) => {
      for (const link of relinked) {
        await sql`UPDATE audit_log SET prev_hash = ${link.prevHash}, hash = ${link.hash} WHERE stream = ${A} AND seq = ${link.seq}`.execute(tx);
      }
    });
    const rewritten = await verifyA(s);
    assert.equal(rewritten.ok, true, 'the rewritten chain is self-consistent');
    assert.deepEqual(rewritten.checkpoints, { ok: false, firstBrokenCheckpoint: 3, reason: 'mismatch' });
    const report = await runVerify(s.t.db, { publicKeys: s.keys.publicKeys });
    assert.equal(report.exitCode, 1);
    assert.match(report.text, new RegExp(`^stream ${A}: OK 6 entries, head [0-9a-f]{12}; checkpoint BROKEN at seq 3 \\(mismatch\\)$`, 'm'));
  } finally {
    await s.t.close();
  }
});

test('truncation after a checkpoint, even of a whole stream, is caught as missing', async () => {
  const s = await seeded();
  try {
    await asOwner(s.t.ownerDb, async (tx) => {
      await sql`DELETE FROM audit_log WHERE (stream = ${A} AND seq >= 5) OR stream = ${B}`.execute(tx);
    });
    const report = await runVerify(s.t.db, { publicKeys: s.keys.publicKeys, service: 'api' });
    assert.equal(report.exitCode, 1);
    assert.deepEqual(report.streams.map((r) => [r.stream, r.ok, r.checkpoints]), [
      [A, true, { ok: false, firstBrokenCheckpoint: 6, reason: 'missing' }],
      [B, true, { ok: false, firstBrokenCheckpoint: 2, reason: 'missing' }],
    ]);
    assert.match(report.text.split('\n')[1]!, new RegExp(`^stream ${B}: OK 0 entries, head none; checkpoint BROKEN at seq 2 \\(missing\\)$`));
  } finally {
    await s.t.close();
  }
});

test("another service's checkpoint is refused where the service is known", async () => {
  const s = await seeded();
  try {
    const [a] = await createAudit({ db: s.t.db, service: 'vault' }).verify(A, { publicKeys: s.keys.publicKeys });
    assert.deepEqual(a?.checkpoints, { ok: false, firstBrokenCheckpoint: 3, reason: 'wrong_service' });
    assert.equal((await runVerify(s.t.db, { stream: A, publicKeys: s.keys.publicKeys })).exitCode, 0, 'no service given: not checked');
  } finally {
    await s.t.close();
  }
});
