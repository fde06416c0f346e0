// The audit log page's filters: what is accepted, what is a 400, and links that keep the filters.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isHttpError } from '#lib/http/index.ts';
import { parseAuditQuery, queryString, utcTime } from './audit-query.ts';

const bad = (query: Record<string, unknown>) => assert.throws(() => parseAuditQuery(query), (e) => isHttpError(e) && e.statusCode === 400, JSON.stringify(query));

test('defaults and accepted values', () => {
  assert.deepEqual(parseAuditQuery({}), { source: 'dashboard', actor: undefined, action: undefined, target: undefined, from: undefined, to: undefined, before: undefined });
  const q = parseAuditQuery({ source: 'api', actor: ' a@b.example ', action: 'api_key.create', target: 'key_1', from: '2026-05-01', to: '2026-05-01T14:03:09', before: '17' });
  assert.deepEqual([q.source, q.actor, q.action, q.target, q.from?.toISOString(), q.to?.toISOString(), q.before],
    ['api', 'a@b.example', 'api_key.create', 'key_1', '2026-05-01T00:00:00.000Z', '2026-05-01T14:03:09.000Z', 17]);
  assert.equal(parseAuditQuery({ actor: '', action: '' }).actor, undefined, 'an empty field is no filter');
});

test('a 400 for anything else', () => {
  bad({ source: 'vault' });
  bad({ action: 'User.SignIn' });
  bad({ action: ['a.b', 'c.d'] });
  bad({ from: '2026-02-29T10:00' });
  bad({ from: '2026-01-01T24:00' });
  bad({ from: '01/02/2026' });
  bad({ before: '0' });
  bad({ before: '1e3' });
  bad({ before: '99999999999999999' });
  bad({ actor: 'x'.repeat(321) });
  bad({ from: '2026-01-02', to: '2026-01-01' });
  assert.equal(utcTime('2028-02-29T23:59:59', 'from')?.toISOString(), '2028-02-29T23:59:59.000Z');
});

test('links keep the filters and change only what they say', () => {
  const q = parseAuditQuery({ source: 'dashboard', actor: 'a@b.example', from: '2026-05-01T14:03', before: '9' });
  assert.equal(queryString(q), 'source=dashboard&actor=a%40b.example&from=2026-05-01T14%3A03%3A00&before=9');
  assert.equal(queryString(q, { source: 'api', before: undefined }), 'source=api&actor=a%40b.example&from=2026-05-01T14%3A03%3A00');
  assert.deepEqual(parseAuditQuery(Object.fromEntries(new URLSearchParams(queryString(q)))), q, 'a link reads back as the same filters');
});
