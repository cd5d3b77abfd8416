import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { AppError, ERROR_CATALOGUE, type ErrorName } from '../../src/http/errors.js';
import { toAppError } from '../../src/http/error-handler.js';
import { BrokerError } from '../../src/broker/errors.js';

function tableRows(marker: string): string[][] {
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
  const m = new RegExp(`<!-- ${marker}:start -->([\\s\\S]*?)<!-- ${marker}:end -->`).exec(readme);
  assert.ok(m, `README has a ${marker} section`);
  return m[1]
    .trim()
    .split('\n')
    .slice(2)
    .map((line) =>
      line
        .split('|')
        .slice(1, -1)
        .map((cell) => cell.trim().replaceAll('`', '')),
    );
}

test('the README error table lists exactly the catalogue, in order', () => {
  const documented = tableRows('error-table').map(([code, status, name, message]) => ({
    code: Number(code),
    status: Number(status),
    name,
    message,
  }));
  const catalogue = Object.entries(ERROR_CATALOGUE).map(([name, e]) => ({ ...e, name }));
  assert.deepEqual(
    documented,
    catalogue.map(({ code, status, name, message }) => ({ code, status, name, message })),
  );
});

test('codes are unique and readable: status * 100 + n', () => {
  const codes = new Set<number>();
  for (const [name, e] of Object.entries(ERROR_CATALOGUE)) {
    assert.ok(!codes.has(e.code), `duplicate code ${e.code}`);
    codes.add(e.code);
    assert.equal(Math.floor(e.code / 100), e.status, name);
    assert.ok(e.code % 100 >= 1, name);
  }
});

test('the catalogue covers every status the design promises', () => {
  const statuses = new Set<number>(Object.values(ERROR_CATALOGUE).map((e) => e.status));
  for (const s of [400, 401, 403, 404, 409, 413, 415, 429, 500, 503])
    assert.ok(statuses.has(s), `${s}`);
});

test('AppError carries its catalogue entry', () => {
  for (const name of Object.keys(ERROR_CATALOGUE) as ErrorName[]) {
    const err = new AppError(name, { x: 1 });
    assert.equal(err.code, ERROR_CATALOGUE[name].code);
    assert.equal(err.statusCode, ERROR_CATALOGUE[name].status);
    assert.equal(err.message, ERROR_CATALOGUE[name].message);
    assert.deepEqual(err.data, { x: 1 });
  }
});

test('a SQLite lock held by another process is a 503 worth retrying, anything else a 500', () => {
  for (const code of ['SQLITE_BUSY', 'SQLITE_BUSY_SNAPSHOT']) {
    const err = toAppError(Object.assign(new Error('database is locked'), { code }));
    assert.equal(err.errorName, 'DATABASE_BUSY', code);
    assert.equal(err.statusCode, 503);
    assert.equal(err.headers['retry-after'], '1');
  }
  for (const code of ['SQLITE_BUSYNESS', 'SQLITE_CONSTRAINT', undefined])
    assert.equal(toAppError(Object.assign(new Error('x'), { code })).errorName, 'INTERNAL');
});

test('a SQLite lock behind a broker error (a dead-letter replay) is a 503 too', () => {
  const locked = Object.assign(new Error('database is locked'), { code: 'SQLITE_BUSY' });
  const wrapped = new BrokerError('Internal', 'could not store messages', { cause: locked });
  assert.equal(toAppError(wrapped).errorName, 'DATABASE_BUSY');
  const other = new BrokerError('Internal', 'x', { cause: new Error('disk I/O error') });
  assert.equal(toAppError(other).errorName, 'INTERNAL');
});
