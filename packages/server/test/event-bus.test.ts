/** The event bus forgets an outbox row only once every event stored in it has been delivered. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import pino from 'pino';
import type { DomainEvent } from '../src/domain/events.js';
import { EventBus, type Delivered } from '../src/events/bus.js';

const typing = (sessionId: string): DomainEvent => ({ type: 'session.typing', companyId: 1, sessionId, authorType: 'CLIENT', authorId: 'client-1' });
const handedOff = (sessionId: string): DomainEvent => ({ type: 'session.handedOff', companyId: 1, chatId: 'c', sessionId });
/** A promise a handler waits on until the test releases it. */
function gate(): { held: Promise<void>; release: () => void } {
  let release!: () => void;
  const held = new Promise<void>((resolve) => (release = resolve));
  return { held, release };
}

test('a row shared by a transaction\'s events is forgotten after the last of them, not before', async () => {
  const forgotten: number[][] = [];
  const bus = new EventBus(pino({ level: 'silent' }), async ({ outboxIds }) => {
    forgotten.push(outboxIds);
  });
  const seen: string[] = [];
  const { held, release } = gate();
  bus.register({
    name: 'test',
    handlers: {
      'session.handedOff': async (e) => {
        seen.push(e.sessionId);
        if (e.sessionId === 'b') await held;
      },
      'session.typing': () => {
        seen.push('typing');
      },
    },
  });
  // Row 7 holds two events with an ephemeral one between them; row 8 holds one.
  bus.deliver([
    { outboxId: 7, event: handedOff('a') },
    { outboxId: null, event: typing('a') },
    { outboxId: 7, event: handedOff('b') },
    { outboxId: 8, event: handedOff('c') },
  ]);
  // Well past the forget delay (100 ms), while the row's second event is still being handled.
  await new Promise((r) => setTimeout(r, 250));
  assert.deepEqual(seen, ['a', 'typing', 'b']);
  assert.deepEqual(forgotten, [], 'row 7 is kept while one of its events is undelivered');
  assert.equal(bus.isIdle(), false);
  release();
  await bus.idle();
  assert.deepEqual(seen, ['a', 'typing', 'b', 'c']);
  assert.deepEqual(forgotten.flat(), [7, 8], 'each row forgotten once, after its last event');
  assert.equal(bus.isIdle(), true);
});

test('delivered messages are reported by rowid once handled, with or without an outbox row', async () => {
  const reports: Delivered[] = [];
  const bus = new EventBus(pino({ level: 'silent' }), async (d) => {
    reports.push(d);
  });
  const { held, release } = gate();
  bus.register({
    name: 'test',
    handlers: {
      'session.handedOff': async (e) => {
        if (e.sessionId === 'b') await held;
      },
    },
  });
  // Message 41 is its own record; row 9 names message 42 beside an event of its own.
  bus.deliver([
    { outboxId: null, messageRowid: 41, event: handedOff('a') },
    { outboxId: 9, messageRowid: 42, event: handedOff('b') },
    { outboxId: 9, messageRowid: null, event: handedOff('c') },
  ]);
  await new Promise((r) => setTimeout(r, 250));
  assert.deepEqual(reports, [{ outboxIds: [], messageRowids: [41] }], 'only what has been handled is reported');
  assert.equal(bus.isIdle(), false);
  release();
  await bus.idle();
  assert.deepEqual(reports.flatMap((r) => r.messageRowids), [41, 42]);
  assert.deepEqual(reports.flatMap((r) => r.outboxIds), [9]);
  assert.equal(bus.isIdle(), true);
});
