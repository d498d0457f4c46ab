/** Assertions for the wire shapes the TWIN seed documents fix. */
import assert from 'node:assert/strict';

export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[1-8][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
export const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+00:00$/;

/** The exact key set and types of `chatMessageCreatedEmit` in seed 000. */
export function assertSeedMessage(m: any, expected: { authorType: string; sessionId: string; body?: string | RegExp }): void {
  assert.deepEqual(
    Object.keys(m).sort(),
    ['actions', 'answers', 'attachments', 'authorId', 'authorName', 'authorType', 'avatar', 'body', 'createdAt', 'id', 'sessionId', 'type'].sort(),
  );
  assert.match(m.id, UUID);
  assert.equal(m.authorType, expected.authorType);
  assert.equal(typeof m.authorName, 'string');
  assert.ok(m.authorName.length > 0);
  assert.equal(m.type, 'REGULAR');
  assert.equal(typeof m.body, 'string');
  if (typeof expected.body === 'string') assert.equal(m.body, expected.body);
  if (expected.body instanceof RegExp) assert.match(m.body, expected.body);
  assert.ok(Array.isArray(m.answers));
  for (const a of m.answers) assert.deepEqual(Object.keys(a).sort(), ['id', 'text']);
  assert.match(m.createdAt, TIMESTAMP);
  assert.equal(m.sessionId, expected.sessionId);
  assert.deepEqual(m.attachments, []);
  assert.deepEqual(m.actions, []);
  if (expected.authorType === 'BOT') {
    assert.match(m.authorId, UUID);
    assert.equal(m.avatar, null);
  } else if (expected.authorType === 'OPERATOR') {
    assert.match(m.authorId, /^\d+$/);
  }
}
