/** Session lifecycle over REST: history and resync, continue, async answers, expiry, crash recovery. */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { sql } from 'kysely';
import { demoScenario } from '../src/bot/scenario/index.js';
import { connectClient } from './helpers/clients.js';
import { ManualClock, eventually, forEachEngine, startTestServer, type TestServer } from './helpers/harness.js';
import { assertSeedMessage } from './helpers/shapes.js';
import { appendMessage } from '../src/commands/appendMessage.js';
import { EventBus } from '../src/events/bus.js';
import { createUnitOfWork, pendingEvents } from '../src/persistence/tx.js';
import type { DomainEvent } from '../src/domain/events.js';
import { messagesById } from '../src/queries/messages.js';

const echoScenario = {
  start: 'ask',
  nodes: { ask: { type: 'question', text: 'Say something', saveAs: 'said', next: 'echo' }, echo: { type: 'message', text: 'Echo: {{said}}', next: 'ask' } },
};

forEachEngine('sessions', (engine) => {
  let srv: TestServer;
  const clock = new ManualClock();
  let chatId: string;
  before(async () => {
    srv = await startTestServer(engine, { SESSION_SWEEP_INTERVAL_MS: '100' }, clock);
    ({ chatId } = await srv.createChat({ scenario: echoScenario }));
  });
  after(() => srv.close());

  test('history pages oldest-first and resyncs with ?after=<messageId>', async () => {
    const start = await srv.api('POST', `/api/v1/chats/${chatId}/sessions`, { returnAnswerAsync: true });
    const s = start.body.id;
    for (let i = 1; i <= 12; i++) await srv.api('POST', `/api/v1/sessions/${s}/messages`, { body: `m${i}` });
    await srv.parley.settle();
    const all = await srv.api('GET', `/api/v1/sessions/${s}/messages?limit=200`);
    assert.equal(all.body.count, 1 + 12 * 3, 'greeting, then per message: the message, the echo and the question again');
    assert.equal(all.body.items.length, all.body.count);
    assert.equal(all.body.nextCursor, null);
    const clientBodies = all.body.items.filter((m: any) => m.authorType === 'CLIENT').map((m: any) => m.body);
    assert.deepEqual(clientBodies, Array.from({ length: 12 }, (_, i) => `m${i + 1}`));
    // Each echo follows its own message: the bot answered in order.
    const echoes = all.body.items.filter((m: any) => m.body.startsWith('Echo:')).map((m: any) => m.body);
    assert.deepEqual(echoes, clientBodies.map((b: string) => `Echo: ${b}`));

    // Walk forward from the first message in pages of 5: same items, nothing lost or doubled.
    const seen: string[] = [all.body.items[0].id];
    let cursor: string | null = all.body.items[0].id;
    while (cursor) {
      const page: any = await srv.api('GET', `/api/v1/sessions/${s}/messages?after=${cursor}&limit=5`);
      assert.ok(page.body.items.length <= 5);
      seen.push(...page.body.items.map((m: any) => m.id));
      cursor = page.body.nextCursor;
    }
    assert.deepEqual(seen, all.body.items.map((m: any) => m.id));

    const tail = await srv.api('GET', `/api/v1/sessions/${s}/messages?limit=3`);
    assert.deepEqual(tail.body.items.map((m: any) => m.id), all.body.items.slice(-3).map((m: any) => m.id));
    const before = await srv.api('GET', `/api/v1/sessions/${s}/messages?before=${tail.body.items[0].id}&limit=2`);
    assert.deepEqual(before.body.items.map((m: any) => m.id), all.body.items.slice(-5, -3).map((m: any) => m.id));
    // The TWIN gateway alias prefix serves the same data.
    const alias = await srv.api('GET', `/api/chats/v1/sessions/${s}/messages?limit=200`);
    assert.deepEqual(alias.body, all.body);
  });

  test('a client that reconnects recovers everything it missed from history', async () => {
    const s = (await srv.api('POST', `/api/v1/chats/${chatId}/sessions`, {})).body.id;
    const c = await connectClient('v2', srv.url, s);
    await srv.api('POST', `/api/v1/sessions/${s}/messages`, { body: 'one' });
    // The greeting may also arrive over the socket (its fan-out can trail the HTTP response).
    const seenLast = (await c.until('chatMessageCreatedEmit', (m) => m.body === 'Echo: one')).id;
    await srv.parley.settle();
    c.close();
    await srv.api('POST', `/api/v1/sessions/${s}/messages`, { body: 'two' });
    await srv.api('POST', `/api/v1/sessions/${s}/messages`, { body: 'three' });
    await srv.parley.settle();
    const missed = await srv.api('GET', `/api/v1/sessions/${s}/messages?after=${seenLast}`);
    const all = (await srv.api('GET', `/api/v1/sessions/${s}/messages?limit=200`)).body.items;
    const idx = all.findIndex((m: any) => m.id === seenLast);
    assert.deepEqual(missed.body.items, all.slice(idx + 1), 'exactly the messages after the last one seen');
    const bodies = missed.body.items.map((m: any) => m.body);
    for (const b of ['two', 'Echo: two', 'three', 'Echo: three']) assert.ok(bodies.includes(b), `${b} recovered`);
    assert.ok(bodies.indexOf('two') < bodies.indexOf('Echo: two') && bodies.indexOf('three') < bodies.indexOf('Echo: three'));
  });

  test('PUT continues the open session of a client (by external id, client id or session id) and starts anew when asked', async () => {
    const first = await srv.api('PUT', `/api/v1/chats/${chatId}/sessions`, { clientExternalId: 'crm-42', clientName: 'Dora' });
    assert.equal(first.status, 201);
    const again = await srv.api('PUT', `/api/v1/chats/${chatId}/sessions`, { clientExternalId: 'crm-42' });
    assert.equal(again.status, 200);
    assert.equal(again.body.id, first.body.id);
    assert.equal(again.body.clientId, first.body.clientId);
    assert.equal(again.body.startedAt, first.body.startedAt);
    const byClient = await srv.api('PUT', `/api/v1/chats/${chatId}/sessions`, { clientId: first.body.clientId, messageBody: 'back again' });
    assert.equal(byClient.body.id, first.body.id);
    assert.deepEqual(byClient.body.messages.map((m: any) => m.body), ['Echo: back again', 'Say something']);
    const bySession = await srv.api('PUT', `/api/v1/chats/${chatId}/sessions`, { sessionId: first.body.id.toUpperCase(), clientName: 'Dora K.' });
    assert.equal(bySession.body.id, first.body.id);
    const client = await srv.parley.ctx.db.kysely.selectFrom('clients').select('name').where('id', '=', first.body.clientId).executeTakeFirstOrThrow();
    assert.equal(client.name, 'Dora K.', 'profile fields update the client when continuing by session id');
    const fresh = await srv.api('PUT', `/api/v1/chats/${chatId}/sessions`, { clientExternalId: 'crm-42', recreateOnExists: true });
    assert.equal(fresh.status, 201);
    assert.notEqual(fresh.body.id, first.body.id);
    assert.equal(fresh.body.clientId, first.body.clientId, 'same client, new session');
    const old = await srv.api('POST', `/api/v1/sessions/${first.body.id}/messages`, { body: 'x' });
    assert.equal(old.body.error.code, 'SESSION_CLOSED');
    // POST always starts a new session, for the same client when the external id is known.
    const post = await srv.api('POST', `/api/v1/chats/${chatId}/sessions`, { clientExternalId: 'crm-42' });
    assert.notEqual(post.body.id, fresh.body.id);
    assert.equal(post.body.clientId, first.body.clientId);
  });

  test('start with messageBody: the bot answers it; returnAnswerAsync sends the answers over the socket instead', async () => {
    const sync = await srv.api('POST', `/api/v1/chats/${chatId}/sessions`, { messageBody: 'hi there' });
    assert.deepEqual(sync.body.messages.map((m: any) => m.body), ['Say something', 'Echo: hi there', 'Say something']);
    const async = await srv.api('POST', `/api/v1/chats/${chatId}/sessions`, { returnAnswerAsync: true });
    assert.deepEqual(async.body.messages, []);
    const c = await connectClient('v4', srv.url, async.body.id);
    try {
      await srv.parley.settle();
      const history = await srv.api('GET', `/api/v1/sessions/${async.body.id}/messages`);
      assert.equal(history.body.items[0].body, 'Say something');
      await srv.api('POST', `/api/v1/sessions/${async.body.id}/messages`, { body: 'yo' });
      // The async greeting may reach the socket first; the echo must follow.
      const echo = await c.until('chatMessageCreatedEmit', (m) => m.body !== 'Say something');
      assertSeedMessage(echo, { authorType: 'BOT', sessionId: async.body.id, body: 'Echo: yo' });
    } finally {
      c.close();
    }
  });

  test('answerOnFirstClientMessage: the bot stays silent until the client writes', async () => {
    const { chatId: quiet } = await srv.createChat({ scenario: demoScenario, settings: { answerOnFirstClientMessage: true } });
    const start = await srv.api('POST', `/api/v1/chats/${quiet}/sessions`, {});
    assert.deepEqual(start.body.messages, []);
    const c = await connectClient('v2', srv.url, start.body.id);
    try {
      await srv.api('POST', `/api/v1/sessions/${start.body.id}/messages`, { body: 'hello?' });
      assertSeedMessage(await c.next('chatMessageCreatedEmit'), { authorType: 'BOT', sessionId: start.body.id, body: /Hello! I am the Parley demo bot/ });
    } finally {
      c.close();
    }
  });

  test('a chat without a bot hands every new session to operators at once', async () => {
    const { chatId: noBot } = await srv.createChat();
    const start = await srv.api('POST', `/api/v1/chats/${noBot}/sessions`, { messageBody: 'anyone?' });
    assert.equal(start.status, 201);
    assert.deepEqual(start.body.messages, []);
    await eventually(() => srv.events.find((e) => e.type === 'session.handedOff' && e.sessionId === start.body.id));
    await srv.parley.settle();
    const row = await srv.parley.ctx.db.kysely.selectFrom('sessions').select('bot_status').where('id', '=', start.body.id).executeTakeFirstOrThrow();
    assert.equal(row.bot_status, 'HELP', 'handed off, and queued: no operator is online');
  });

  test('sessions idle beyond their ttl close, and the client is told', async () => {
    const s = (await srv.api('POST', `/api/v1/chats/${chatId}/sessions`, { sessionTtl: 60 })).body.id;
    const keep = (await srv.api('POST', `/api/v1/chats/${chatId}/sessions`, { sessionTtl: 3600 })).body.id;
    const c = await connectClient('v4', srv.url, s);
    try {
      clock.advance(61_000);
      const closed = await c.next('sessionClosedEmit', 5000);
      assert.deepEqual(closed, { sessionId: s, closedBy: 'SYSTEM', result: 'expired' });
      const late = await srv.api('POST', `/api/v1/sessions/${s}/messages`, { body: 'late' });
      assert.equal(late.body.error.code, 'SESSION_CLOSED');
      assert.equal((await srv.api('POST', `/api/v1/sessions/${keep}/messages`, { body: 'still here' })).status, 201);
    } finally {
      c.close();
    }
  });

  test('events committed before a crash are delivered after the restart', async () => {
    const s = (await srv.api('POST', `/api/v1/chats/${chatId}/sessions`, { returnAnswerAsync: true })).body.id;
    await srv.parley.settle();
    // Simulate a crash between commit and delivery: the client message and its event are
    // committed, but the process dies before the bot ran.
    // An event as earlier versions stored it, the message inside. On SQLite the row stands above
    // the delivery cursor as well: named by the outbox row, it is delivered from there, once.
    const pending = { type: 'message.created', companyId: srv.parley.companyId, sessionId: s, message: { id: '11111111-1111-4111-8111-111111111111', authorType: 'CLIENT' } };
    await srv.parley.ctx.db.kysely.transaction().execute(async (trx) => {
      const row = await trx.updateTable('sessions').set((eb) => ({ last_seq: eb('last_seq', '+', 1) })).where('id', '=', s).returning('last_seq').executeTakeFirstOrThrow();
      await trx.insertInto('messages').values({
        id: '11111111-1111-4111-8111-111111111111', session_id: s, seq: row.last_seq, author_type: 'CLIENT', author_id: 'c', author_name: 'C',
        type: 'REGULAR', body: 'before the crash', answers: '[]', actions: '[]', attachments: '[]', reply_to_message_id: null,
        created_at: Date.now(), updated_at: null, read_at: null,
      }).execute();
      await trx.insertInto('outbox').values({ type: 'message.created', payload: JSON.stringify({ ...pending, seq: row.last_seq }), created_at: Date.now() }).execute();
    });
    await srv.restart();
    await srv.parley.settle();
    const history = await srv.api('GET', `/api/v1/sessions/${s}/messages`);
    assert.deepEqual(history.body.items.map((m: any) => m.body).slice(-3), ['before the crash', 'Echo: before the crash', 'Say something']);
    const left = await srv.parley.ctx.db.kysely.selectFrom('outbox').select('id').execute();
    assert.deepEqual(left, [], 'delivered events are forgotten');
  });

  test('a shared transaction stopped between COMMIT and delivery: one outbox row naming its messages, each delivered once after the restart', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push((await srv.api('POST', `/api/v1/chats/${chatId}/sessions`, { returnAnswerAsync: true })).body.id);
    await srv.parley.settle();
    const { ctx } = srv.parley;
    // A unit of work whose bus only records and forgets nothing: what it commits is never
    // delivered, as if the process had stopped right after the COMMIT.
    const committed: DomainEvent[] = [];
    const bus = new EventBus(ctx.log, async () => undefined);
    bus.register({ name: 'recorder', handlers: { 'message.created': (e) => void committed.push(e) } });
    const stalled = createUnitOfWork(ctx.db, bus, () => Date.now());
    let open!: () => void;
    const gate = new Promise<void>((resolve) => (open = resolve));
    const holder = stalled.batch(() => gate);
    const units = ids.map((id, i) => stalled.batch((tx) => appendMessage(ctx, tx, { id }, { authorType: 'CLIENT', body: `stopped ${i}` })));
    open();
    await holder;
    const rows = await Promise.all(units);
    const outbox = await ctx.db.kysely.selectFrom('outbox').select(['type', 'payload']).execute();
    if (engine === 'sqlite') {
      // Only messages: their rows are the record, above the delivery cursor.
      assert.deepEqual(outbox, [], 'no outbox row');
      const cursor = await ctx.db.kysely.selectFrom('delivery_cursor').select('message_rowid').executeTakeFirstOrThrow();
      const above = await sql<{ id: string }>`select id from messages where rowid > ${cursor.message_rowid} order by rowid`.execute(ctx.db.kysely);
      assert.deepEqual(above.rows.map((r) => r.id), rows.map((r) => r.id), 'the undelivered messages, and only they, are above the cursor');
    } else {
      assert.equal(outbox.length, 1, 'one row for the shared transaction: ' + JSON.stringify(outbox));
      assert.equal(outbox[0]!.type, 'message.created');
      const entries = JSON.parse(outbox[0]!.payload) as { type: string; sessionId: string; messageId: string; message?: unknown }[];
      assert.deepEqual(entries.map((e) => [e.type, e.sessionId, e.messageId]), rows.map((r, i) => ['message.created', ids[i], r.id]));
      assert.ok(entries.every((e) => e.message === undefined) && !outbox[0]!.payload.includes('stopped'), 'the messages are named, not copied');
      // The statement read each session's audience; it is used at delivery, not stored.
      assert.ok(committed.every((e) => e.type === 'message.created' && Array.isArray(e.audience)), 'the audience read at commit');
      assert.ok(!outbox[0]!.payload.includes('audience'), 'the audience is not stored');
    }
    await bus.idle();
    const recovered = await pendingEvents(ctx.db, (companyId, messageIds) => messagesById(ctx, companyId, messageIds), (id) => assert.fail(`row ${id} unreadable`));
    const withoutAudience = (e: DomainEvent) => {
      if (e.type !== 'message.created') return e;
      const { audience: _audience, ...rest } = e;
      return rest;
    };
    assert.deepEqual(recovered.map((r) => r.event), committed.map(withoutAudience), 'the events read back are the ones committed, messages included');
    await srv.restart();
    await srv.parley.settle();
    for (const [i, s] of ids.entries()) {
      const history = await srv.api('GET', `/api/v1/sessions/${s}/messages`);
      assert.deepEqual(history.body.items.map((m: any) => m.body), ['Say something', `stopped ${i}`, `Echo: stopped ${i}`, 'Say something'],
        'the bot answered the recovered message once');
    }
    assert.deepEqual(await srv.parley.ctx.db.kysely.selectFrom('outbox').select('id').execute(), [], 'delivered events are forgotten');
  });

  test('events stopped between COMMIT and delivery come back in commit order: messages recorded by their rows among outbox rows', async () => {
    const s = (await srv.api('POST', `/api/v1/chats/${chatId}/sessions`, { returnAnswerAsync: true })).body.id;
    await srv.parley.settle();
    const { ctx } = srv.parley;
    const bus = new EventBus(ctx.log, async () => undefined);
    const stalled = createUnitOfWork(ctx.db, bus, () => Date.now());
    // A message on its own (SQLite: no outbox row), an event with an outbox row, a message again.
    const first = await stalled.batch((tx) => appendMessage(ctx, tx, { id: s }, { authorType: 'CLIENT', body: 'order 1' }));
    await stalled.batch(async (tx) => tx.record({ type: 'session.handedOff', companyId: srv.parley.companyId, chatId, sessionId: s }));
    const second = await stalled.batch((tx) => appendMessage(ctx, tx, { id: s }, { authorType: 'CLIENT', body: 'order 2' }));
    await bus.idle();
    const outbox = await ctx.db.kysely.selectFrom('outbox').select('type').execute();
    assert.deepEqual(outbox.map((r) => r.type), engine === 'sqlite' ? ['session.handedOff'] : ['message.created', 'session.handedOff', 'message.created']);
    const recovered = await pendingEvents(ctx.db, (companyId, messageIds) => messagesById(ctx, companyId, messageIds), (id) => assert.fail(`row ${id} unreadable`));
    assert.deepEqual(recovered.map((r) => (r.event.type === 'message.created' ? r.event.message.id : r.event.type)), [first.id, 'session.handedOff', second.id]);
    // Delivered now, by the server's own bus: nothing stays pending for the tests after this one.
    ctx.bus.deliver(recovered);
    await srv.parley.settle();
    assert.deepEqual(await ctx.db.kysely.selectFrom('outbox').select('id').execute(), [], 'delivered events are forgotten');
    assert.deepEqual(await pendingEvents(ctx.db, (companyId, messageIds) => messagesById(ctx, companyId, messageIds), (id) => assert.fail(`row ${id} unreadable`)), [],
      'nothing is pending once delivered');
  });

  test('an outbox row that is not events does not keep the server from starting; the events beside it are delivered', async () => {
    const s = (await srv.api('POST', `/api/v1/chats/${chatId}/sessions`, { returnAnswerAsync: true })).body.id;
    await srv.parley.settle();
    const { ctx } = srv.parley;
    const stalled = createUnitOfWork(ctx.db, new EventBus(ctx.log, async () => undefined), () => Date.now());
    const { kysely } = ctx.db;
    const bad = await kysely.insertInto('outbox').values({ type: 'message.created', payload: '{"type": "message.cre', created_at: Date.now() }).returning('id').executeTakeFirstOrThrow();
    const notEvents = await kysely.insertInto('outbox').values({ type: 'message.created', payload: '[1, 2]', created_at: Date.now() }).returning('id').executeTakeFirstOrThrow();
    await stalled.batch((tx) => appendMessage(ctx, tx, { id: s }, { authorType: 'CLIENT', body: 'beside a bad row' }));
    await srv.restart();
    await srv.parley.settle();
    const history = await srv.api('GET', `/api/v1/sessions/${s}/messages`);
    assert.deepEqual(history.body.items.map((m: any) => m.body), ['Say something', 'beside a bad row', 'Echo: beside a bad row', 'Say something']);
    const left = await srv.parley.ctx.db.kysely.selectFrom('outbox').select('id').orderBy('id').execute();
    assert.deepEqual(left.map((r) => r.id), [bad.id, notEvents.id], 'the unreadable rows stay, for inspection; the delivered one is gone');
    await srv.parley.ctx.db.kysely.deleteFrom('outbox').execute();
  });
});
