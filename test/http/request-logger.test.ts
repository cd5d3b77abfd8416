import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import pino, { type Logger } from 'pino';
import { Registry } from 'prom-client';
import { createHttpServer } from '../../src/http/server.js';
import { deferredChildLogger } from '../../src/observability/request-logger.js';

function capture(level: pino.LevelWithSilent): {
  logger: Logger;
  lines: Record<string, unknown>[];
} {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const line of chunk.toString('utf8').split('\n')) if (line) lines.push(JSON.parse(line));
      cb();
    },
  });
  return { logger: pino({ level }, sink), lines };
}

/** Counts the pino children made from `logger`. */
function countChildren(logger: Logger): { readonly count: number } {
  const made = { count: 0 };
  const child = logger.child.bind(logger);
  logger.child = ((...args: Parameters<Logger['child']>) => {
    made.count++;
    return child(...args);
  }) as Logger['child'];
  return made;
}

async function server(logger: Logger) {
  const app = await createHttpServer({
    logger,
    registry: new Registry(),
    jwtSecret: 's'.repeat(40),
    bodyLimitBytes: 1024,
    rateLimit: { max: 0, windowMs: 1000 },
    corsOrigin: '*',
    maxEventLoopDelayMs: 0,
    openApi: { title: 't', version: '1', description: 'd' },
    trustProxy: false,
  });
  app.get('/quiet', async () => ({ ok: true }));
  app.get('/noisy', async (request) => {
    request.log.info('not written at warn');
    request.log.warn({ detail: 1 }, 'something odd');
    return { ok: true };
  });
  app.get('/boom', async () => {
    throw new Error('kaput');
  });
  return app;
}

test('at warn, a request that logs nothing makes no child logger', async (t) => {
  const { logger, lines } = capture('warn');
  const children = countChildren(logger);
  const app = await server(logger);
  t.after(() => app.close());
  await app.ready();
  const before = children.count;
  for (let i = 0; i < 5; i++) assert.equal((await app.inject({ url: '/quiet' })).statusCode, 200);
  assert.equal(children.count - before, 0);
  assert.equal(lines.length, 0);
});

test('lines a request writes carry its id, as with an eager child', async (t) => {
  const { logger, lines } = capture('warn');
  const children = countChildren(logger);
  const app = await server(logger);
  t.after(() => app.close());
  await app.ready();
  const before = children.count;
  await app.inject({ url: '/noisy', headers: { 'x-request-id': 'noisy-1' } });
  await app.inject({ url: '/boom', headers: { 'x-request-id': 'boom-1' } });
  assert.equal(children.count - before, 2, 'one child per request that wrote a line');
  const odd = lines.find((l) => l.msg === 'something odd');
  assert.ok(odd);
  assert.equal(odd.requestId, 'noisy-1');
  assert.equal(odd.detail, 1);
  assert.equal(odd.level, 40);
  assert.equal(
    lines.find((l) => l.msg === 'not written at warn'),
    undefined,
  );
  const boom = lines.find((l) => l.msg === 'unhandled error');
  assert.ok(boom);
  assert.equal(boom.requestId, 'boom-1');
  assert.match(String((boom.err as { message: string }).message), /kaput/);
});

test('at info, request logging writes incoming and completed lines with the id', async (t) => {
  const { logger, lines } = capture('info');
  const app = await server(logger);
  t.after(() => app.close());
  await app.inject({ url: '/quiet', headers: { 'x-request-id': 'q-1' } });
  const mine = lines.filter((l) => l.requestId === 'q-1').map((l) => l.msg);
  assert.deepEqual(mine, ['incoming request', 'request completed']);
});

test('a deferred child follows level changes, makes children and honours options', () => {
  const { logger, lines } = capture('warn');
  const log = deferredChildLogger(logger, { requestId: 'r-1' }, {});
  assert.equal(log.level, 'warn');
  log.debug('hidden');
  assert.equal(lines.length, 0);
  log.level = 'debug';
  assert.equal(log.level, 'debug');
  assert.equal(logger.level, 'warn', "the parent's level is untouched");
  log.debug('shown');
  log.child({ step: 'two' }).warn('nested');
  log.silent('never written');
  assert.deepEqual(
    lines.map((l) => [l.msg, l.requestId, l.step]),
    [
      ['shown', 'r-1', undefined],
      ['nested', 'r-1', 'two'],
    ],
  );
  const own = deferredChildLogger(logger, { requestId: 'r-2' }, { level: 'trace' });
  assert.equal(own.level, 'trace');
  own.trace('route level');
  assert.equal(lines.at(-1)?.requestId, 'r-2');
});
