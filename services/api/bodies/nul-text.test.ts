// NUL characters in bodies: refused with a 400 naming the field, before PostgreSQL would fail the
// query (a 500); any depth, keys included, without recursion.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import Fastify from 'fastify';
import { isHttpError } from '#lib/http/index.ts';
import { nulProblem, refuseNulText } from './nul-text.ts';

test('the first field or key holding a NUL is named; anything else passes', () => {
  assert.equal(nulProblem({ description: 'a\u0000b' }), 'description holds a NUL character, which cannot be stored');
  assert.equal(nulProblem({ metadata: { list: ['ok', { deep: '\u0000' }] } }), 'metadata.list[1].deep holds a NUL character, which cannot be stored');
  assert.equal(nulProblem({ metadata: { 'k\u0000': 1 } }), 'a key in metadata holds a NUL character, which cannot be stored');
  assert.equal(nulProblem('\u0000'), 'body holds a NUL character, which cannot be stored');
  assert.equal(nulProblem({ [`${'x'.repeat(100)}`]: '\u0000' })?.startsWith(`${'x'.repeat(64)}… holds`), true, 'a long field name is cut');
  for (const fine of [{}, { a: 'text', b: [1, null, true, { c: 'é😀' }] }, null, 'text', 42]) assert.equal(nulProblem(fine), null);
  const deep = JSON.parse(`${'{"a":'.repeat(20_000)}"\\u0000"${'}'.repeat(20_000)}`) as unknown;
  assert.match(nulProblem(deep) ?? '', /^a\.a\.a.*… holds a NUL character/, 'no stack overflow at any depth');
});

test('property: a body is refused exactly when some string or key in it holds a NUL', () => {
  const text = fc.string({ unit: fc.constantFrom('a', 'b', '\u0000', '😀'), maxLength: 4 });
  const hasNul = (value: unknown): boolean => typeof value === 'string' ? value.includes('\u0000')
    : Array.isArray(value) ? value.some(hasNul)
      : value !== null && typeof value === 'object' ? Object.entries(value).some(([k, v]) => k.includes('\u0000') || hasNul(v)) : false;
  const body = fc.dictionary(text, fc.oneof(text, fc.integer(), fc.array(text, { maxLength: 3 }), fc.dictionary(text, text, { maxKeys: 3 })), { maxKeys: 4 });
  fc.assert(fc.property(body, (value) => assert.equal(nulProblem(value) !== null, hasNul(value))));
});

test('the hook answers 400 bad_request before validation and the handler', async () => {
  const app = Fastify();
  let reached = 0;
  refuseNulText(app);
  app.setErrorHandler((error, _request, reply) => reply.code(isHttpError(error) ? error.statusCode : 500).send({ code: isHttpError(error) ? error.code : 'other', message: error instanceof Error ? error.message : '' }));
  app.post('/x', { schema: { body: { type: 'object', properties: { name: { type: 'string', maxLength: 3 } } } } }, async () => ({ reached: ++reached }));
  const bad = await app.inject({ method: 'POST', url: '/x', payload: { name: 'a\u0000' } });
  assert.deepEqual([bad.statusCode, bad.json()], [400, { code: 'bad_request', message: 'name holds a NUL character, which cannot be stored' }]);
  assert.equal((await app.inject({ method: 'POST', url: '/x', payload: { name: 'ab' } })).statusCode, 200);
  assert.equal(reached, 1);
  await app.close();
});
