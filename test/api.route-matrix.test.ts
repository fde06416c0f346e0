// Route-wide checks on the real platform, for EVERY route of the api's public app, found at run time
// from Fastify's own router (a new route is covered without editing this file, or fails naming what
// to add): object-level authorization (merchant A's key with merchant B's ids answers 404 and never
// B's data), keys (no key, a public key, a wrong key: 401, unless the OpenAPI document declares the
// operation public) and bad input (a 4xx Omise error object, never a 500, never a stack trace).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import https from 'node:https';
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createAudit } from '#lib/audit/index.ts';
import { openDatabase, type Kysely } from '#lib/db/index.ts';
import { createAccountService } from '../services/api/accounts/accounts.service.ts';
import { createAccountStore } from '../services/api/accounts/accounts.store.ts';
import type { ApiDatabase } from '../services/api/db.ts';
import { inspectApi, type RegisteredRoute } from '../services/api/openapi/testing.ts';
import { startPlatform, type RunningPlatform } from './platform-harness.ts';

type Obj = Record<string, any>;

/** `<collection>/:<param>` → the kind of object the parameter names. */
const PARAM_KINDS = {
  'charges/:id': 'charge',
  'refunds/:refundId': 'refund',
  'customers/:id': 'customer',
  'cards/:cardId': 'card',
  'events/:id': 'event',
  'transactions/:id': 'transaction',
  // The payer's 3-D Secure page: a charge waiting for authentication (its page key rides in the query).
  'payments/:id': 'payment',
} as const satisfies Record<string, string>;
type Kind = (typeof PARAM_KINDS)[keyof typeof PARAM_KINDS];
/** Kinds this test does not create: it takes the first one from the merchant's own list, if that route exists. */
const LISTED_KINDS: Partial<Record<Kind, string>> = { event: '/events', transaction: '/transactions' };

type Ids = Partial<Record<Kind, string>>;
/** `queries`: what a kind's routes also need in the query string (the 3-D Secure page key). */
type Merchant = { name: string; secretKey: string; publicKey: string; marker: string; ids: Ids; queries: Partial<Record<Kind, string>> };
type Reply = { status: number; text: string; json: Obj | undefined; headers: Record<string, unknown> };
type Request = { method: string; url: string; auth?: string; authorization?: string; body?: string; contentType?: string };

/** Valid bodies, so that a refusal is about the key or the ids rather than the body. Default `{}`. */
const SAMPLE_BODIES: Record<string, (ids: Ids) => Obj> = {
  'POST /charges': (ids) => ({ amount: 100000, currency: 'thb', customer: ids.customer }),
  'POST /charges/:id/refunds': () => ({ amount: 100 }),
  'POST /customers': () => ({ email: 'matrix@example.com' }),
  'PATCH /charges/:id': () => ({ description: 'changed by the matrix' }),
  'PATCH /customers/:id': () => ({ description: 'changed by the matrix' }),
  'PATCH /customers/:id/cards/:cardId': () => ({ name: 'Changed By Matrix' }),
};

// ---- bad input: generated per route from its body schema in /openapi.json, so new fields are covered.
type Probe = { label: string; strict: boolean; body?: string; contentType?: string; query?: string; id?: string };
const FORM = 'application/x-www-form-urlencoded';
const HUGE = 'x'.repeat(60_000);

/** Wrong values for one field. `strict`: the api must refuse it (4xx); otherwise it must only not fail. */
function badValues(name: string, schema: Obj): Array<{ label: string; value: unknown; strict: boolean }> {
  const out: Array<{ label: string; value: unknown; strict: boolean }> = [];
  const loose = schema.anyOf !== undefined || schema.oneOf !== undefined;
  const add = (label: string, value: unknown, strict = !loose) => out.push({ label: `${name}: ${label}`, value, strict });
  const types = [schema.type].flat().filter(Boolean);
  if (types.includes('string')) {
    add('an object for a string', { nested: true });
    add('an array of objects for a string', [{}]);
    add('a 60,000-character string', HUGE);
    if (schema.enum) add('a value outside the enum', 'not-one-of-them');
    if (schema.format === 'email') add('a malformed e-mail address', 'not an e-mail');
  } else if (types.includes('integer') || types.includes('number')) {
    add('text for a number', 'abc');
    add('an object for a number', {});
    add('an array for a number', [1, 2]);
    add('a huge number', 1e300);
    if (schema.minimum !== undefined) add('below the minimum', schema.minimum - 1);
    if (schema.maximum !== undefined) add('above the maximum', schema.maximum + 1);
    if (types.includes('integer')) add('a fraction', 1.5);
  } else if (types.includes('boolean')) {
    add('text for a boolean', 'maybe');
    add('an object for a boolean', {});
    add('a number for a boolean', 7);
  } else if (types.includes('object')) {
    add('text for an object', 'text');
    add('an array where an object is expected', [1, 2]);
    add('a number for an object', 42);
    if (schema.maxProperties !== undefined) add('too many keys', Object.fromEntries(Array.from({ length: schema.maxProperties + 1 }, (_, i) => [`k${i}`, i])));
  } else if (types.includes('array')) {
    add('text for an array', 'text');
    add('an object for an array', { a: 1 });
  } else {
    // Untyped in the schema: the route reads it by hand (amounts, currencies). None of these is valid.
    for (const [label, value] of [['text', 'abc'], ['a negative number', -100], ['zero', 0], ['a fraction', 1.5], ['an array', []],
      ['an object', {}], ['a boolean', true], ['a 60,000-character string', HUGE], ['a huge number', 1e300]] as const) add(label, value);
  }
  if (/currency/.test(name)) for (const code of ['XYZ', 'THBX', '']) add(`unknown currency ${JSON.stringify(code)}`, code);
  if (/amount/.test(name)) for (const amount of [-1, -1e12, '-100']) add(`negative amount ${JSON.stringify(amount)}`, amount);
  add('null', null, false);
  return out;
}

function badBodies(sample: Obj, schema: Obj | undefined): Probe[] {
  const typed = schema !== undefined;
  const probes: Probe[] = [
    { label: 'invalid JSON', strict: true, body: '{"amount": ' },
    { label: 'JSON with a trailing comma', strict: true, body: '{"amount": 1,}' },
    { label: 'an array where an object is expected', strict: typed, body: '[1,2,3]' },
    { label: 'a string where an object is expected', strict: typed, body: '"text"' },
    { label: 'a null body', strict: false, body: 'null' },
    { label: 'a __proto__ key', strict: true, body: '{"__proto__":{"polluted":true}}' },
    { label: 'a constructor.prototype key', strict: true, body: '{"constructor":{"prototype":{"polluted":true}}}' },
    { label: 'text/plain', strict: true, body: 'amount=100', contentType: 'text/plain' },
    { label: 'an unsupported content type', strict: true, body: '<amount>1</amount>', contentType: 'application/xml' },
    { label: 'a bad percent-escape in a form', strict: true, body: 'amount=%zz', contentType: FORM },
    { label: 'form keys nested too deep', strict: true, body: 'a[b][c][d][e][f][g][h]=1', contentType: FORM },
    { label: 'a body over the size limit', strict: true, body: JSON.stringify({ ...sample, description: 'x'.repeat(70_000) }) },
    { label: 'JSON nested 2,000 deep', strict: false, body: `{"metadata":${'{"a":'.repeat(2000)}1${'}'.repeat(2001)}` },
  ];
  for (const [name, property] of Object.entries((schema?.properties ?? {}) as Record<string, Obj>)) {
    for (const bad of badValues(name, property)) probes.push({ label: bad.label, strict: bad.strict, body: JSON.stringify({ ...sample, [name]: bad.value }) });
  }
  if (typed) probes.push({ label: 'an unknown field', strict: schema.additionalProperties === false, body: JSON.stringify({ ...sample, no_such_field: 1 }) });
  return probes;
}

/** List routes must refuse all of these (§5); other GETs ignore unknown parameters but must not fail. */
function badQueries(isList: boolean): Probe[] {
  return ['limit=abc', 'offset=-5', 'offset=1e400', 'order=sideways', 'from=not-a-date', 'to=2025-13-45T25:61:61Z', 'limit=1&limit=2',
    `from=${'9'.repeat(5000)}`].map((query) => ({ label: `query ${query.slice(0, 40)}`, strict: isList, query }))
    .concat(['limit[]=1', '%zz=1', 'offset=%00'].map((query) => ({ label: `query ${query}`, strict: false, query })));
}

function badIds(): Probe[] {
  return ['x', '0', 'chrg_test_zzzzzzzzzzzzzzzzzzz', 'a'.repeat(5000), '\u0000', '../../../etc/passwd', "' OR '1'='1", 'ไทย', '{{7*7}}', ' ']
    .map((id) => ({ label: `path id ${JSON.stringify(id.slice(0, 30))}`, strict: true, id }));
}

const STACK_FRAME = /\bat\s+(?:async\s+)?(?:[\w$.<>[\]]+\s+)?\(?(?:file:\/\/|node:|\/)[^\s)]*:\d+/;
const FILE_PATH = /\/work\/|\/home\/|\/tmp\/|\/usr\/|node_modules|file:\/\/|\b[\w-]+\.(?:ts|js|mjs|cjs):\d+/;

/**
 * Problems with an answer that must be an Omise error object: shape, stack frames, file paths.
 * `page`: the route is a public page for a browser (declared `security: []`), whose errors may be HTML.
 */
function errorProblems(reply: Reply, echoed: string[], page = false): string[] {
  const problems: string[] = [];
  const body = reply.json;
  const html = String(reply.headers['content-type'] ?? '').startsWith('text/html');
  if (page && html) {
    // Checked below for stack traces and paths only.
  } else if (body?.object !== 'error' || typeof body.code !== 'string' || typeof body.message !== 'string' || typeof body.location !== 'string') {
    problems.push('not an Omise error object');
  }
  let text = reply.text;
  for (const input of echoed) if (input.length > 0) text = text.split(input).join('');
  if (STACK_FRAME.test(text) || FILE_PATH.test(text) || /\bstack\b/i.test(text)) problems.push('a stack trace or a file path');
  return problems;
}

const keyOf = (route: RegisteredRoute) => `${route.method} ${route.path}`;
const paramsOf = (path: string) => path.split('/').flatMap((segment, i, all) => (segment.startsWith(':') ? [{ name: segment.slice(1), key: `${all[i - 1]}/${segment}` }] : []));
const kindOf = (paramKey: string): Kind | undefined => (PARAM_KINDS as Record<string, Kind>)[paramKey];
const basic = (key: string) => `Basic ${Buffer.from(`${key}:`).toString('base64')}`;

describe('every route of the api host: authorization, keys and bad input', () => {
  let platform: RunningPlatform;
  let agent: https.Agent;
  let apiDb: Kysely<ApiDatabase>;
  let routes: RegisteredRoute[];
  let document: Obj;
  let a: Merchant;
  let b: Merchant;

  async function send(request: Request, port = platform.ports.api): Promise<Reply> {
    for (let attempt = 0; ; attempt++) {
      const reply = await new Promise<Reply>((resolve, reject) => {
        const headers: Record<string, string | number> = {};
        if (request.auth !== undefined) headers.authorization = basic(request.auth);
        if (request.authorization !== undefined) headers.authorization = request.authorization;
        if (request.body !== undefined) {
          headers['content-type'] = request.contentType ?? 'application/json';
          headers['content-length'] = Buffer.byteLength(request.body);
        }
        const req = https.request({ host: '127.0.0.1', servername: 'localhost', port, path: request.url, method: request.method, agent, headers }, (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => { text += chunk; });
          res.on('end', () => {
            let json: Obj | undefined;
            try { json = JSON.parse(text); } catch { json = undefined; }
            resolve({ status: res.statusCode ?? 0, text, json, headers: res.headers });
          });
        });
        req.on('error', reject);
        req.setTimeout(20_000, () => req.destroy(new Error(`${request.method} ${request.url} timed out`)));
        req.end(request.body);
      });
      // Rate limits are someone else's test: wait as told and ask again.
      if (reply.status !== 429 || attempt >= 10) return reply;
      await new Promise((r) => setTimeout(r, Math.min(5_000, 1000 * Number(reply.headers['retry-after'] ?? 1))));
    }
  }
  const json = (method: string, url: string, auth: string, body?: Obj) => send({ method, url, auth, body: body === undefined ? undefined : JSON.stringify(body) });

  /** Fills the route's parameters from `m`'s ids (or `perParam`'s), or throws naming what to add. */
  function urlOf(route: RegisteredRoute, m: Merchant, perParam: Record<string, string> = {}): string {
    const ids = m.ids;
    const queries: string[] = [];
    const path = route.path.split('/').map((segment, i, all) => {
      if (!segment.startsWith(':')) return segment;
      const key = `${all[i - 1]}/${segment}`;
      if (perParam[key] !== undefined) return encodeURIComponent(perParam[key]);
      const kind = kindOf(key);
      if (kind === undefined) throw new Error(`${keyOf(route)}: add ${key} to the matrix (PARAM_KINDS in test/api.route-matrix.test.ts)`);
      const id = ids[kind];
      if (id === undefined) throw new Error(`${keyOf(route)}: no ${kind} id to put in ${key}: create one in populate() or list it in LISTED_KINDS`);
      if (m.queries[kind] !== undefined) queries.push(m.queries[kind]);
      return encodeURIComponent(id);
    }).join('/');
    return queries.length === 0 ? path : `${path}?${queries.join('&')}`;
  }
  const sampleBody = (route: RegisteredRoute, ids: Ids) => SAMPLE_BODIES[keyOf(route)]?.(ids) ?? {};
  const takesBody = (route: RegisteredRoute) => !['GET', 'HEAD'].includes(route.method);
  const operationOf = (route: RegisteredRoute): Obj | undefined => document.paths?.[route.path.replace(/:(\w+)/g, '{$1}')]?.[route.method.toLowerCase()];
  const securityOf = (route: RegisteredRoute): Obj[] => operationOf(route)?.security ?? document.security ?? [{ secretKey: [] }];
  const isPublic = (route: RegisteredRoute) => securityOf(route).length === 0;
  const takesPublicKey = (route: RegisteredRoute) => securityOf(route).some((r) => 'publicKey' in r);

  async function token(m: Merchant): Promise<Obj> {
    const card = { name: `${m.name} Matrix`, number: '4242424242424242', expiration_month: 12, expiration_year: 2040, security_code: '123' };
    const reply = await send({ method: 'POST', url: '/tokens', auth: m.publicKey, body: JSON.stringify({ card }) }, platform.ports.vault);
    assert.equal(reply.status, 200, `token for ${m.name}: ${reply.text}`);
    return reply.json!;
  }

  /** One object of every kind for `m`, each carrying `m.marker` where it has free text. */
  async function populate(m: Merchant): Promise<void> {
    const expect200 = async (what: string, promise: Promise<Reply>) => {
      const reply = await promise;
      assert.equal(reply.status, 200, `${m.name}: ${what}: ${reply.text}`);
      return reply.json!;
    };
    const charge = await expect200('charge', json('POST', '/charges', m.secretKey,
      { amount: 100000, currency: 'thb', card: (await token(m)).id, description: m.marker, metadata: { owner: m.marker } }));
    const refund = await expect200('refund', json('POST', `/charges/${charge.id}/refunds`, m.secretKey, { amount: 10000, metadata: { owner: m.marker } }));
    const customer = await expect200('customer', json('POST', '/customers', m.secretKey,
      { email: `${m.name.toLowerCase()}@matrix.example`, description: m.marker, card: (await token(m)).id }));
    m.ids = { charge: charge.id, refund: refund.id, customer: customer.id, card: customer.cards.data[0].id };
    const pending = await expect200('charge waiting for 3-D Secure', json('POST', '/charges', m.secretKey,
      { amount: 100000, currency: 'thb', card: (await token(m)).id, authentication: '3DS', return_uri: 'https://shop.example/back', description: m.marker }));
    if (typeof pending.authorize_uri === 'string') {
      const page = new URL(pending.authorize_uri);
      m.ids.payment = pending.id;
      m.queries.payment = page.search.slice(1);
    }
    for (const [kind, list] of Object.entries(LISTED_KINDS) as Array<[Kind, string]>) {
      if (!routes.some((r) => r.method === 'GET' && r.path === list)) continue;
      // Events and ledger entries may be written just after the change that causes them.
      for (const deadline = Date.now() + 15_000; m.ids[kind] === undefined && Date.now() < deadline;) {
        const reply = await send({ method: 'GET', url: list, auth: m.secretKey });
        m.ids[kind] = reply.json?.data?.[0]?.id;
        if (m.ids[kind] === undefined) await new Promise((r) => setTimeout(r, 250));
      }
    }
  }

  const describeRequest = (request: Request) =>
    `${request.method} ${request.url.slice(0, 200)}${request.body === undefined ? '' : ` [${request.contentType ?? 'application/json'}] ${request.body.slice(0, 160)}${request.body.length > 160 ? `… (${request.body.length} bytes)` : ''}`}`;
  const describeReply = (reply: Reply) => `${reply.status} ${reply.text.slice(0, 300)}`;

  before(async () => {
    // Rate limits have their own tests; here they would only turn thousands of probes into waits.
    platform = await startPlatform({ STRONGROOM_API_RATE_LIMIT: '1000000', STRONGROOM_API_AUTH_FAILURE_LIMIT: '1000000' });
    agent = new https.Agent({ keepAlive: true, ca: platform.caPem, maxSockets: 4 });
    const demo = JSON.parse(await readFile(join(platform.dataDir, 'demo.json'), 'utf8'));
    const config = JSON.parse(await readFile(join(platform.dataDir, 'services', 'api', 'config.json'), 'utf8')) as { databaseUrl: string };
    apiDb = openDatabase<ApiDatabase>(config.databaseUrl, { max: 2 });
    const accounts = createAccountService({ db: apiDb, store: createAccountStore(apiDb), audit: createAudit({ db: apiDb, service: 'api' }) });
    const other = await accounts.createAccount({ email: 'b@matrix.example', name: 'Merchant B' }, { type: 'system', id: 'api-route-matrix-test' });
    a = { name: 'A', secretKey: demo.secretKey, publicKey: demo.publicKey, marker: `A-MARKER-${randomBytes(4).toString('hex')}`, ids: {}, queries: {} };
    b = { name: 'B', secretKey: other.secretKey, publicKey: other.publicKey, marker: `B-MARKER-${randomBytes(4).toString('hex')}`, ids: {}, queries: {} };
    // The same build the platform runs, read from Fastify's router rather than from the document.
    routes = (await inspectApi(config.databaseUrl)).routes.filter((r) => r.method !== 'HEAD');
    const served = await send({ method: 'GET', url: '/openapi.json' });
    assert.equal(served.status, 200, `GET /openapi.json without a key: ${served.text.slice(0, 300)}`);
    document = served.json!;
    // The api pushes public-key hashes to the vault asynchronously: wait until the vault knows both.
    for (const m of [a, b]) {
      for (const deadline = Date.now() + 30_000; ;) {
        const reply = await send({ method: 'POST', url: '/tokens', auth: m.publicKey, body: JSON.stringify({ card: { name: 'Key Check', number: '4242424242424242', expiration_month: 12, expiration_year: 2040 } }) }, platform.ports.vault);
        if (reply.status === 200) break;
        if (Date.now() > deadline) throw new Error(`the vault never accepted ${m.name}'s public key: ${reply.text}`);
        await new Promise((r) => setTimeout(r, 250));
      }
    }
    await populate(a);
    await populate(b);
  });
  after(async () => {
    agent?.destroy();
    await apiDb?.destroy();
    await platform?.stop();
  });

  test('the error check sees a missing error shape, stack frames and file paths', () => {
    const reply = (text: string, contentType = 'application/json'): Reply => ({ status: 400, text, json: (() => { try { return JSON.parse(text); } catch { return undefined; } })(), headers: { 'content-type': contentType } });
    const good = '{"object":"error","location":"https://www.omise.co/api-errors#bad-request","code":"bad_request","message":"amount must be at most 5"}';
    assert.deepEqual(errorProblems(reply(good), []), []);
    assert.deepEqual(errorProblems(reply('{"error":"x"}'), []), ['not an Omise error object']);
    assert.deepEqual(errorProblems(reply(good.replace('at most 5', 'Error\\n    at readAmount (/work/main/services/api/charges/charge-input.ts:40:9)')), []), ['a stack trace or a file path']);
    assert.deepEqual(errorProblems(reply(good.replace('at most 5', 'at node:internal/process/task_queues:104:5')), []), ['a stack trace or a file path']);
    assert.deepEqual(errorProblems(reply('<p>refused</p>', 'text/html'), [], true), []);
    assert.deepEqual(errorProblems(reply('<p>refused</p>', 'text/html'), []), ['not an Omise error object']);
    assert.deepEqual(errorProblems(reply(good.replace('at most 5', 'chrg_x /tmp/evil was not found')), ['/tmp/evil']), [], 'echoed input is not ours');
  });

  test('every path parameter of every route is in the matrix, with an object of both merchants', (t) => {
    const problems: string[] = [];
    for (const route of routes) {
      try {
        urlOf(route, a);
        urlOf(route, b);
      } catch (error) {
        problems.push((error as Error).message);
      }
    }
    assert.deepEqual(problems, [], problems.join('\n'));
    assert.ok(routes.length >= 20 && routes.some((r) => r.path === '/charges/:id/refunds/:refundId'), `the route list looks wrong: ${routes.map(keyOf).join(', ')}`);
    t.diagnostic(`${routes.length} routes, ${routes.filter((r) => r.path.includes(':')).length} with path parameters; kinds of B: ${JSON.stringify(b.ids)}`);
  });

  test('keys: no key, a public key, an unknown or misplaced secret key → 401 authentication_failure', async (t) => {
    const failures: string[] = [];
    const attempts: Array<{ label: string; auth?: string; authorization?: string; publicKey?: boolean }> = [
      { label: 'no key' },
      { label: "A's public key", auth: a.publicKey, publicKey: true },
      { label: "B's public key", auth: b.publicKey, publicKey: true },
      { label: 'an unknown secret key', auth: `skey_test_${randomBytes(12).toString('hex').slice(0, 19)}` },
      { label: 'the secret key as a Bearer token', authorization: `Bearer ${a.secretKey}` },
      { label: 'the secret key as the password', authorization: `Basic ${Buffer.from(`:${a.secretKey}`).toString('base64')}` },
    ];
    let count = 0;
    for (const route of routes) {
      let url: string;
      try { url = urlOf(route, a); } catch { url = urlOf(route, a, Object.fromEntries(paramsOf(route.path).map((p) => [p.key, 'unmapped']))); }
      for (const attempt of attempts) {
        const request: Request = { method: route.method, url, auth: attempt.auth, authorization: attempt.authorization, body: takesBody(route) ? JSON.stringify(sampleBody(route, a.ids)) : undefined };
        const reply = await send(request);
        count++;
        const allowed = isPublic(route) || (attempt.publicKey === true && takesPublicKey(route));
        if (reply.status >= 500) failures.push(`${attempt.label}: ${describeRequest(request)} → ${describeReply(reply)}`);
        else if (allowed && reply.status === 401) failures.push(`${attempt.label}: ${keyOf(route)} is declared open to it in /openapi.json but answered ${describeReply(reply)}`);
        else if (!allowed && (reply.status !== 401 || reply.json?.code !== 'authentication_failure')) {
          failures.push(`${attempt.label}: ${describeRequest(request)} → ${describeReply(reply)}; if the route is meant to take this, declare it (schema.security) so /openapi.json says so`);
        }
      }
    }
    assert.deepEqual(failures, [], failures.join('\n'));
    t.diagnostic(`${count} requests`);
  });

  test("A's key with B's ids: 404 on every route with path parameters, never B's data; B's own key still reads them", async (t) => {
    const failures: string[] = [];
    const bIds = Object.values(b.ids) as string[];
    let count = 0;
    for (const route of routes.filter((r) => r.path.includes(':') && !isPublic(r))) {
      const params = paramsOf(route.path);
      // All of B's ids, then (with several parameters) A's path with one of B's ids in it.
      const combos: Array<Record<string, string>> = [Object.fromEntries(params.map((p) => [p.key, b.ids[kindOf(p.key)!]!]))];
      if (params.length > 1) for (const p of params) combos.push({ [p.key]: b.ids[kindOf(p.key)!]! });
      for (const combo of combos) {
        const request: Request = { method: route.method, url: urlOf(route, a, combo), auth: a.secretKey, body: takesBody(route) ? JSON.stringify(sampleBody(route, a.ids)) : undefined };
        const reply = await send(request);
        count++;
        const inPath = Object.values(combo);
        const leaked = [b.marker, ...bIds.filter((id) => !inPath.includes(id))].filter((s) => reply.text.includes(s));
        if (reply.status !== 404 || reply.json?.code !== 'not_found') failures.push(`${describeRequest(request)} → ${describeReply(reply)} (expected 404 not_found)`);
        for (const problem of errorProblems(reply, inPath)) failures.push(`${describeRequest(request)}: ${problem}`);
        if (leaked.length > 0) failures.push(`${describeRequest(request)} shows B's data: ${leaked.join(', ')}`);
      }
      if (route.method === 'GET') {
        const control = await send({ method: 'GET', url: urlOf(route, b), auth: b.secretKey });
        if (control.status !== 200) failures.push(`control: B's own GET ${urlOf(route, b)} → ${describeReply(control)}: the ids in this test are not real`);
      }
    }
    assert.deepEqual(failures, [], failures.join('\n'));
    t.diagnostic(`${count} cross-account requests`);
  });

  test("A's lists and singletons never show B's objects", async () => {
    const failures: string[] = [];
    const bIds = [b.marker, ...(Object.values(b.ids) as string[])];
    for (const route of routes.filter((r) => r.method === 'GET' && !r.path.includes(':') && !isPublic(r))) {
      const reply = await send({ method: 'GET', url: route.path, auth: a.secretKey });
      const leaked = bIds.filter((s) => reply.text.includes(s));
      if (reply.status >= 500 || leaked.length > 0) failures.push(`GET ${route.path} with A's key → ${reply.status}, shows ${leaked.join(', ') || 'nothing of B'}`);
    }
    assert.deepEqual(failures, [], failures.join('\n'));
    // The check can see B's data when it is there.
    assert.ok((await send({ method: 'GET', url: '/charges', auth: b.secretKey })).text.includes(b.ids.charge!));
  });

  test("B's objects named inside A's bodies are refused", async () => {
    const cases: Array<[string, string, Obj]> = [
      ['POST', '/charges', { amount: 100000, currency: 'thb', customer: b.ids.customer }],
      ['POST', '/charges', { amount: 100000, currency: 'thb', customer: a.ids.customer, card: b.ids.card }],
      ['POST', '/charges', { amount: 100000, currency: 'thb', card: (await token(b)).id }],
      ['POST', '/customers', { card: (await token(b)).id }],
      ['PATCH', `/customers/${a.ids.customer}`, { default_card: b.ids.card }],
    ];
    for (const [method, url, body] of cases) {
      const reply = await json(method, url, a.secretKey, body);
      assert.ok(reply.status >= 400 && reply.status < 500, `${method} ${url} ${JSON.stringify(body)} → ${describeReply(reply)}`);
      assert.deepEqual(errorProblems(reply, Object.values(body).map(String)), [], `${method} ${url}: ${reply.text}`);
      assert.ok(!reply.text.includes(b.marker));
    }
  });

  test('bad input on every route: a 4xx Omise error object, never a 500, never a stack trace', async (t) => {
    const failures: string[] = [];
    const statuses = new Map<number, number>();
    const accepted: string[] = [];
    let count = 0;
    // Deletions last, deepest first, so that they do not take the other routes' objects away.
    const ordered = [...routes].sort((x, y) => Number(x.method === 'DELETE') - Number(y.method === 'DELETE') || (x.method === 'DELETE' ? y.path.length - x.path.length : 0));
    const check = async (route: RegisteredRoute, request: Request, probe: Probe, echoed: string[]) => {
      const reply = await send(request);
      count++;
      const where = `${describeRequest(request)} (${probe.label})`;
      statuses.set(reply.status, (statuses.get(reply.status) ?? 0) + 1);
      if (reply.status < 400) accepted.push(`${route.method} ${route.path} ${probe.label} → ${reply.status}`);
      if (reply.status >= 500) failures.push(`${where} → ${describeReply(reply)}`);
      else if (probe.strict && (reply.status < 400 || reply.status >= 500)) failures.push(`${where} → ${describeReply(reply)} (expected a 4xx)`);
      if (reply.status >= 400) for (const problem of errorProblems(reply, echoed, isPublic(route))) failures.push(`${where} → ${reply.status}: ${problem}: ${reply.text.slice(0, 300)}`);
      else if (STACK_FRAME.test(reply.text)) failures.push(`${where}: a stack trace in a ${reply.status}`);
    };
    for (const route of ordered) {
      const auth = isPublic(route) ? undefined : a.secretKey;
      const url = urlOf(route, a);
      const operation = operationOf(route);
      if (takesBody(route)) {
        const schema = operation?.requestBody?.content?.['application/json']?.schema;
        for (const probe of badBodies(sampleBody(route, a.ids), schema)) {
          await check(route, { method: route.method, url, auth, body: probe.body, contentType: probe.contentType }, probe, []);
        }
      } else {
        const isList = (operation?.parameters ?? []).some((p: Obj) => p.in === 'query' && p.name === 'limit');
        for (const probe of badQueries(isList)) await check(route, { method: route.method, url: `${url}${url.includes('?') ? '&' : '?'}${probe.query}`, auth }, probe, []);
      }
      for (const param of paramsOf(route.path)) {
        for (const probe of badIds()) {
          const request: Request = { method: route.method, url: urlOf(route, a, { [param.key]: probe.id! }), auth, body: takesBody(route) ? JSON.stringify(sampleBody(route, a.ids)) : undefined };
          await check(route, request, { ...probe, strict: !isPublic(route) }, [probe.id!]);
        }
      }
    }
    assert.deepEqual(failures, [], `${failures.length} problems:\n${failures.join('\n')}`);
    t.diagnostic(`${count} bad requests on ${routes.length} routes; statuses ${JSON.stringify(Object.fromEntries([...statuses].sort((x, y) => x[0] - y[0])))}`);
    t.diagnostic(`accepted (allowed for these probes): ${accepted.join('; ')}`);
  });

  test("B's objects are as B left them", async () => {
    const charge = (await json('GET', `/charges/${b.ids.charge}`, b.secretKey)).json!;
    assert.deepEqual([charge.status, charge.reversed, charge.expired, charge.refunded_amount, charge.description, charge.metadata],
      ['successful', false, false, 10000, b.marker, { owner: b.marker }]);
    assert.equal(charge.refunds.total, 1);
    const customer = (await json('GET', `/customers/${b.ids.customer}`, b.secretKey)).json!;
    assert.deepEqual([customer.description, customer.cards.total, customer.default_card], [b.marker, 1, b.ids.card]);
    const card = (await json('GET', `/customers/${b.ids.customer}/cards/${b.ids.card}`, b.secretKey)).json!;
    assert.equal(card.name, 'B Matrix');
  });
});
