import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { createLogger } from './logger.ts';

const PAN = '4242424242424242';
const PAN_SPACED = '5555 5555 5555 4444';

function withLogFile(run: (file: string) => void): Record<string, unknown>[] {
  const dir = mkdtempSync(join(tmpdir(), 'strongroom-log-'));
  try {
    const file = join(dir, 'nested', 'deeper', 'app.log');
    run(file);
    const text = readFileSync(file, 'utf8');
    assert.ok(!text.includes(PAN) && !text.includes(PAN_SPACED) && !text.includes('5555555555554444'), 'PAN in log output');
    return text.trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('writes JSON lines with service, ISO time and label level to a file, creating parent dirs', () => {
  const [line] = withLogFile((file) => createLogger({ service: 'vault', file, stdout: false }).info('hello'));
  assert.equal(line?.service, 'vault');
  assert.equal(line?.msg, 'hello');
  assert.equal(line?.level, 'info');
  assert.match(String(line?.time), /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
});

test('appends to an existing file instead of truncating it', () => {
  const lines = withLogFile((file) => {
    createLogger({ service: 'api', file, stdout: false }).info('first');
    createLogger({ service: 'api', file, stdout: false }).info('second');
  });
  assert.deepEqual(lines.map((l) => l.msg), ['first', 'second']);
});

test('a PAN in the message never reaches the output', () => {
  const [a, b] = withLogFile((file) => {
    const log = createLogger({ service: 'api', file, stdout: false });
    log.info(`charging card ${PAN}`);
    log.warn(`retry for ${PAN_SPACED}`);
  });
  assert.equal(a?.msg, 'charging card ************4242');
  assert.equal(b?.msg, 'retry for **** **** **** 4444');
});

test('a PAN in an object never reaches the output, under sensitive and innocent keys alike', () => {
  const [line] = withLogFile((file) => {
    const log = createLogger({ service: 'api', file, stdout: false });
    log.info({ charge: { card: { number: PAN, security_code: '123' }, note: `pan ${PAN}` }, extra: [PAN] }, 'charge');
  });
  const charge = line?.charge as { card: Record<string, string>; note: string };
  assert.equal(charge.card.number, '[REDACTED]');
  assert.equal(charge.card.security_code, '[REDACTED]');
  assert.equal(charge.note, 'pan ************4242');
  assert.deepEqual(line?.extra, ['************4242']);
});

test('a PAN in an error message (and its stack) never reaches the output', () => {
  const [a, b] = withLogFile((file) => {
    const log = createLogger({ service: 'api', file, stdout: false });
    log.error(new Error(`card ${PAN} declined`));
    log.error({ err: new TypeError(`bad ${PAN_SPACED}`) }, 'failed');
  });
  const errA = a?.err as { message: string; stack: string };
  assert.equal(errA.message, 'card ************4242 declined');
  assert.match(errA.stack, /card \*{12}4242 declined/);
  assert.equal((b?.err as { message: string }).message, 'bad **** **** **** 4444');
});

test('redacts credentials and secrets at the usual paths', () => {
  const [line] = withLogFile((file) => {
    const log = createLogger({ service: 'api', file, stdout: false });
    log.info({
      req: { headers: { authorization: 'Basic c2tleQ==', cookie: 'sid=abc', 'user-agent': 'curl' } },
      user: { password: 'hunter2', email: 'a@example.com' },
      token: 'tokn_x',
      deep: { inner: { secret: 's3cr3t', cvv: '999' } },
    });
  });
  const text = JSON.stringify(line);
  for (const secret of ['c2tleQ', 'sid=abc', 'hunter2', 'tokn_x', 's3cr3t', '999']) {
    assert.ok(!text.includes(secret), `${secret} leaked`);
  }
  assert.equal((line?.req as { headers: Record<string, string> }).headers['user-agent'], 'curl');
  assert.equal((line?.user as Record<string, string>).email, 'a@example.com');
});

test('respects the level option', () => {
  const lines = withLogFile((file) => {
    const log = createLogger({ service: 'api', file, stdout: false, level: 'warn' });
    log.info('hidden');
    log.warn('shown');
  });
  assert.deepEqual(lines.map((l) => l.msg), ['shown']);
});

test('rejects a malformed service name or an unknown level (config typos fail at startup)', () => {
  assert.throws(() => createLogger({ service: 'Bad Name', stdout: false }), TypeError);
  assert.throws(() => createLogger({ service: 'api', stdout: false, level: 'verbose' }), /invalid log level/);
  const configLevel: string = 'debug';
  assert.equal(createLogger({ service: 'api', stdout: false, level: configLevel }).level, 'debug');
});

test('stdout output is scrubbed too (real process)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'strongroom-log-'));
  try {
    const script = join(dir, 'emit.ts');
    const loggerUrl = new URL('./logger.ts', import.meta.url).href;
    writeFileSync(
      script,
      `import { createLogger } from ${JSON.stringify(loggerUrl)};\n` +
        `createLogger({ service: 'api' }).info({ n: '${PAN}' }, 'pay ${PAN_SPACED}');\n`,
    );
    const out = execFileSync(process.execPath, [script], { encoding: 'utf8' });
    assert.ok(!out.includes(PAN) && !out.includes(PAN_SPACED), out);
    const line = JSON.parse(out.trim()) as Record<string, unknown>;
    assert.equal(line.msg, 'pay **** **** **** 4444');
    assert.equal(line.n, '************4242');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
