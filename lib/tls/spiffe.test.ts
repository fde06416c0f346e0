import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { identityOfPeer, isServiceName, SPIFFE_TRUST_DOMAIN, spiffeIdFor } from './spiffe.ts';

test('spiffeIdFor builds the URI and refuses names that could not be parsed back', () => {
  assert.equal(SPIFFE_TRUST_DOMAIN, 'strongroom.local');
  assert.equal(spiffeIdFor('vault'), 'spiffe://strongroom.local/vault');
  for (const bad of ['', 'Vault', 'a/b', 'a b', '-a', 'a-', '../kms', 'x'.repeat(64)]) {
    assert.throws(() => spiffeIdFor(bad), TypeError, bad);
  }
});

test('identityOfPeer reads the single SPIFFE URI SAN', () => {
  assert.equal(identityOfPeer({ subjectaltname: 'URI:spiffe://strongroom.local/api' }), 'api');
  assert.equal(identityOfPeer({ subjectaltname: 'DNS:localhost, URI:spiffe://strongroom.local/kms, IP Address:127.0.0.1' }), 'kms');
});

test('identityOfPeer returns null for anything else', () => {
  const cases: (string | undefined)[] = [
    undefined,
    '',
    'DNS:localhost',
    'URI:spiffe://other.local/api',
    'URI:spiffe://strongroom.local.evil/api',
    'URI:spiffe://strongroom.local/api/extra',
    'URI:spiffe://strongroom.local/API',
    'URI:spiffe://strongroom.local/',
    'URI:spiffe://strongroom.local/api?x=1',
    'URI:https://strongroom.local/api',
    'URI:SPIFFE://strongroom.local/api',
    // Two URI SANs: ambiguous, the SPIFFE spec allows exactly one.
    'URI:spiffe://strongroom.local/api, URI:spiffe://strongroom.local/kms',
    // Node quotes SAN values that contain separators; a quoted entry must never be split or trusted.
    'URI:"spiffe://strongroom.local/x, URI:spiffe://strongroom.local/kms"',
  ];
  for (const subjectaltname of cases) assert.equal(identityOfPeer({ subjectaltname }), null, String(subjectaltname));
  assert.equal(identityOfPeer(null), null);
  assert.equal(identityOfPeer(undefined), null);
  assert.equal(identityOfPeer({}), null, 'what getPeerCertificate() returns without a certificate');
});

test('property: every valid service name round-trips through its SPIFFE ID', () => {
  const name = fc.stringMatching(/^[a-z0-9](?:[a-z0-9-]{0,20}[a-z0-9])?$/);
  fc.assert(
    fc.property(name, (service) => {
      assert.equal(isServiceName(service), true);
      assert.equal(identityOfPeer({ subjectaltname: `URI:${spiffeIdFor(service)}` }), service);
    }),
  );
});

test('property: identityOfPeer never returns a name that is not a valid service name', () => {
  fc.assert(
    fc.property(fc.string(), fc.string(), (a, b) => {
      const result = identityOfPeer({ subjectaltname: `URI:spiffe://strongroom.local/${a}${b}` });
      assert.ok(result === null || (isServiceName(result) && result === `${a}${b}`));
    }),
  );
});
