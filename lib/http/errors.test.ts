import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ERROR_CODES, errorBody, httpError, isErrorCode, isHttpError, type ErrorCode } from './errors.ts';
import { classifyError } from './error-handler.ts';
import { validationMessage } from './validation-message.ts';

test('errorBody has the Omise shape with a dashed anchor', () => {
  assert.deepEqual(errorBody('bad_request', 'amount is required'), {
    object: 'error',
    location: 'https://www.omise.co/api-errors#bad-request',
    code: 'bad_request',
    message: 'amount is required',
  });
});

test('the catalogue: snake_case codes with 4xx/5xx statuses', () => {
  for (const [code, status] of Object.entries(ERROR_CODES)) {
    assert.match(code, /^[a-z]+(_[a-z]+)*$/);
    assert.ok(status >= 400 && status <= 599);
    assert.ok(isErrorCode(code));
  }
  assert.equal(isErrorCode('toString'), false, 'no prototype keys');
  assert.equal(isErrorCode('made_up'), false);
});

test('httpError builds a recognisable error and refuses nonsense', () => {
  const error = httpError(401, 'authentication_failure', 'authentication failed');
  assert.ok(error instanceof Error);
  assert.ok(isHttpError(error));
  assert.equal(error.statusCode, 401);
  assert.equal(error.code, 'authentication_failure');
  assert.deepEqual(classifyError(error), { status: 401, code: 'authentication_failure', message: 'authentication failed' });
  assert.throws(() => httpError(200, 'bad_request', 'x'), RangeError);
  assert.throws(() => httpError(404, 'nope' as ErrorCode, 'x'), TypeError);
  assert.throws(() => httpError(404, 'not_found', ''), TypeError);
  assert.equal(isHttpError(Object.assign(new Error('x'), { statusCode: 400, code: 'bad_request' })), false, 'look-alikes are not trusted');
});

test('classifyError: framework client errors map to 4xx, everything else to 500', () => {
  assert.equal(classifyError({ code: 'FST_ERR_CTP_BODY_TOO_LARGE', statusCode: 413 }).status, 413);
  assert.equal(classifyError({ code: 'FST_ERR_CTP_INVALID_MEDIA_TYPE', statusCode: 415 }).status, 415);
  assert.equal(classifyError({ code: 'FST_ERR_SOMETHING_NEW', statusCode: 400 }).code, 'bad_request');
  assert.equal(classifyError({ code: 'FST_ERR_SOMETHING_NEW', statusCode: 500 }).status, 500);
  assert.equal(classifyError({ code: 'ECONNREFUSED', statusCode: 400 }).status, 500);
  assert.equal(classifyError(null).status, 500);
  assert.equal(classifyError(new TypeError('x')).code, 'internal_error');
});

test('validationMessage: field paths and common problems', () => {
  assert.equal(validationMessage([{ instancePath: '', keyword: 'required', params: { missingProperty: 'amount' } }], 'body'), 'amount is required');
  assert.equal(validationMessage([{ instancePath: '/card', keyword: 'required', params: { missingProperty: 'number' } }], 'body'), 'card.number is required');
  assert.equal(validationMessage([{ instancePath: '/a~1b/0', keyword: 'type', message: 'must be string' }], 'body'), 'a/b[0] must be string');
  assert.equal(validationMessage([{ instancePath: '/kind', keyword: 'enum', params: { allowedValues: ['a', 'b'] } }], 'body'), 'kind must be one of "a", "b"');
  assert.equal(validationMessage([{ instancePath: '', keyword: 'type', message: 'must be object' }], 'body'), 'body must be object');
  assert.equal(validationMessage([], 'body'), 'request is invalid');
  const long = validationMessage([{ instancePath: '', keyword: 'additionalProperties', params: { additionalProperty: `x\u0000${'y'.repeat(200)}` } }], 'body');
  assert.ok(long.length < 90 && !long.includes('\u0000'), long);
});
