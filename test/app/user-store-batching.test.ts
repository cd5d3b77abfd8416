import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { openServiceDatabase } from '../../src/app/db/database.js';
import { UserStore } from '../../src/app/users/user-store.js';
import { isAppError } from '../../src/http/errors.js';

test('users added in one event-loop turn are committed together; a taken email fails alone', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'magnetar-users-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const db = openServiceDatabase(join(dir, 'u.db'));
  t.after(() => db.close());
  const store = new UserStore(db);
  const outcomes = await Promise.allSettled([
    store.add({ name: 'First', email: 'one@example.com' }),
    store.add({ name: 'Second', email: 'two@example.com', age: 7 }),
    store.add({ name: 'Again', email: 'ONE@example.com' }),
    store.add({ name: 'Third', email: 'three@example.com' }),
  ]);
  assert.deepEqual(
    outcomes.map((o) => o.status),
    ['fulfilled', 'fulfilled', 'rejected', 'fulfilled'],
  );
  const failed = outcomes[2] as PromiseRejectedResult;
  assert.ok(isAppError(failed.reason) && failed.reason.errorName === 'EMAIL_TAKEN');
  // Arrival order is insertion order, as if the users had been added one by one.
  assert.deepEqual(
    store.page(10).items.map((u) => u.name),
    ['First', 'Second', 'Third'],
  );
  const added = (outcomes[1] as PromiseFulfilledResult<{ id: string }>).value;
  assert.deepEqual(store.get(added.id), added);
});
