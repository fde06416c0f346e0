// The client's User-Agent in an entry: bounded or withheld by the library, so a long or unlucky
// header never makes record() throw (which would fail the change it records), and never stored as is
// when it holds a card number or a secret.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { prepareEntry } from './record.ts';
import { sampleRecord } from './testing.ts';
import { auditableUserAgent, USER_AGENT_MAX_LENGTH, USER_AGENT_WITHHELD } from './user-agent.ts';

const NOW = new Date('2025-01-02T03:04:05.000Z');
const agentOf = (userAgent: string) => prepareEntry(sampleRecord({ origin: { ip: '203.0.113.7', userAgent } }), 'api', NOW).origin.userAgent;

test('a User-Agent longer than 512 characters is cut to 512, not refused', () => {
  const long = `Mozilla/5.0 ${'x'.repeat(1988)}`;
  assert.equal(agentOf(long), long.slice(0, USER_AGENT_MAX_LENGTH));
  assert.equal(agentOf('a'.repeat(1_000_000)), 'a'.repeat(USER_AGENT_MAX_LENGTH));
  assert.equal(agentOf('OmiseNode/1.1.0 Node/v24.0.0'), 'OmiseNode/1.1.0 Node/v24.0.0', 'a usual one is kept as it is');
});

test('a User-Agent holding a card number or a secret is withheld, even just past the cut', () => {
  for (const agent of ['curl/8.0 (card 4242 4242 4242 4242)', 'x skey_test_5xuy4w91xqz7d1w9u0t', `${'a'.repeat(505)} 4242424242424242`, 'Bearer 8f14e45fceea167a5a36dedd4bea2543']) {
    assert.equal(agentOf(agent), USER_AGENT_WITHHELD, agent.slice(-40));
  }
  assert.equal(agentOf('4242\u00004242 4242 4242'), USER_AGENT_WITHHELD, 'a NUL does not hide one');
  assert.equal(agentOf(`${'a'.repeat(600)} 4242424242424242`), 'a'.repeat(USER_AGENT_MAX_LENGTH), 'far past the cut, nothing of it is kept anyway');
});

test('property: any User-Agent gives an entry, whose agent is a well-formed prefix of at most 512 characters, or the marker', () => {
  const agent = fc.oneof(fc.string({ maxLength: 2000, unit: 'binary' }), fc.string({ maxLength: 700, unit: fc.constantFrom('4', '2', ' ', '-', 'a', '\u0000', '\ud83d', '\ude00') }));
  fc.assert(fc.property(agent, (text) => {
    const kept = agentOf(text);
    assert.ok(kept !== null && kept.length <= USER_AGENT_MAX_LENGTH && kept.isWellFormed() && !kept.includes('\u0000'));
    assert.equal(kept, auditableUserAgent(text));
    if (kept !== USER_AGENT_WITHHELD) assert.ok(text.replaceAll('\u0000', '').toWellFormed().startsWith(kept.slice(0, -1)), 'a prefix of what was sent');
  }), { numRuns: 500 });
});
