/**
 * Message ids are time-ordered UUIDs (version 7): valid UUIDs that sort by creation time,
 * with random bits that keep them unique within a millisecond. Session ids, which are the
 * client's key, stay fully random (version 4).
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { timeOrderedUuid } from '../src/domain/ids.js';
import { forEachEngine, startTestServer, type TestServer } from './helpers/harness.js';

const V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const msOf = (id: string) => parseInt(id.replace(/-/g, '').slice(0, 12), 16);

test('a time-ordered UUID: version 7, its time in the first 48 bits, ordered across milliseconds, unique within one', () => {
  const t = Date.UTC(2026, 11, 2, 12, 0, 0, 123);
  const id = timeOrderedUuid(t);
  assert.match(id, V7);
  assert.equal(msOf(id), t);
  const later = Array.from({ length: 50 }, (_, i) => timeOrderedUuid(t + 1 + i));
  assert.deepEqual([...later].sort(), later, 'lexical order is time order');
  assert.ok(later.every((x) => x > id));
  const same = new Set(Array.from({ length: 10_000 }, () => timeOrderedUuid(t)));
  assert.equal(same.size, 10_000);
  assert.match(timeOrderedUuid(0), /^00000000-0000-7/);
  // A clock's fractions of a millisecond, or a value out of range, still give a valid id.
  assert.equal(msOf(timeOrderedUuid(t + 0.75)), t);
  assert.match(timeOrderedUuid(-5), /^00000000-0000-7/);
  assert.match(timeOrderedUuid(2 ** 50), /^ffffffff-ffff-7/);
  for (const x of [t + 0.75, -5, 2 ** 50]) assert.match(timeOrderedUuid(x), V7);
});

forEachEngine('ids over the API', (engine) => {
  let srv: TestServer;
  before(async () => {
    srv = await startTestServer(engine);
  });
  after(async () => srv.close());

  test('messages get version 7 ids carrying their creation time; the session id is version 4', async () => {
    const { chatId } = await srv.createChat();
    const session = (await srv.api('POST', `/api/v1/chats/${chatId}/sessions`, { clientName: 'Ids' })).body;
    assert.match(session.id, V4);
    const before = Date.now();
    const first = (await srv.api('POST', `/api/v1/sessions/${session.id}/messages`, { body: 'one' })).body;
    const second = (await srv.api('POST', `/api/v1/sessions/${session.id}/messages`, { body: 'two' })).body;
    for (const m of [first, second]) {
      assert.match(m.id, V7);
      assert.ok(msOf(m.id) >= before && msOf(m.id) <= Date.now());
    }
    assert.ok(msOf(second.id) >= msOf(first.id));
  });
});
