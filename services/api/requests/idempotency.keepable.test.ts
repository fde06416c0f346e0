import { test } from 'node:test';
import assert from 'node:assert/strict';
import { keepableBody } from './idempotency.keepable.ts';

test('ordinary answers are kept byte for byte, errors included', () => {
  const charge = '{"object":"charge","id":"chrg_test_1","card":{"last_digits":"4242","brand":"Visa"},"metadata":{"order":"A-1"}}';
  assert.equal(keepableBody(charge, false), charge);
  assert.equal(keepableBody(Buffer.from(charge), false), charge);
  const error = '{"object":"error","code":"invalid_amount","message":"amount must be at least 2000"}';
  assert.equal(keepableBody(error, false), error);
  assert.equal(keepableBody('{"object":"account","webhook_secret":null}', false), '{"object":"account","webhook_secret":null}', 'no secret shown');
});

test('an answer showing a secret is never kept, whether the route says so or not', () => {
  assert.equal(keepableBody('{"object":"charge","id":"chrg_test_1"}', true), null, 'the route says so');
  assert.equal(keepableBody('{"object":"account","webhook_secret":"whsec_abc"}', false), null);
  assert.equal(keepableBody('{"object":"key","data":[{"key":"skey_test_5xyz"}]}', false), null);
  assert.equal(keepableBody('{"a":{"b":{"clientSecret":"x"}}}', false), null);
});

test('what cannot be checked is not kept', () => {
  assert.equal(keepableBody('not json', false), null);
  assert.equal(keepableBody(undefined, false), null);
  let deep = '1';
  for (let i = 0; i < 100; i++) deep = `[${deep}]`;
  assert.equal(keepableBody(deep, false), null);
});
