/**
 * The whole client flow through the real entry points, with both Socket.IO client
 * generations and both transports, on both database engines.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import WebSocket from 'ws';
import { demoScenario } from '../src/bot/scenario/index.js';
import { connectClient, type SioVersion, type Transport } from './helpers/clients.js';
import { eventually, forEachEngine, startTestServer, type TestServer } from './helpers/harness.js';
import { TIMESTAMP, UUID, assertSeedMessage } from './helpers/shapes.js';

forEachEngine('client flow', (engine) => {
  let srv: TestServer;
  let chatId: string;
  before(async () => {
    srv = await startTestServer(engine);
    ({ chatId } = await srv.createChat({ scenario: demoScenario }));
  });
  after(() => srv.close());

  const combos: [SioVersion, Transport[] | undefined][] = [
    ['v2', undefined], ['v4', undefined], ['v2', ['websocket']], ['v4', ['websocket']], ['v2', ['polling']], ['v4', ['polling']],
  ];
  for (const [version, transports] of combos) {
    test(`socket.io-client ${version} (${transports?.join('+') ?? 'polling→websocket'}): greeting, message, button, hand-off`, async () => {
      const start = await srv.api('POST', `/api/v1/chats/${chatId}/sessions?x_widget=1`, { clientName: 'Ann', clientMetadata: { city: 'Riga' } });
      assert.equal(start.status, 201);
      const { id: sessionId, clientId, startedAt, ttl, messages } = start.body;
      assert.match(sessionId, UUID);
      assert.match(clientId, UUID);
      assert.match(startedAt, TIMESTAMP);
      assert.equal(ttl, 3600);
      assert.equal(messages.length, 1, 'the greeting comes in the response');
      assertSeedMessage(messages[0], { authorType: 'BOT', sessionId, body: /Hello! I am the Parley demo bot/ });
      assert.ok(messages[0].answers.some((a: { text: string }) => a.text === 'Цены / Prices'));
      // The greeting's live emit goes out after its commit, to whoever is in the room by then: a
      // fast connection can catch it. This test counts what comes after, so it connects once
      // the start's events are delivered.
      await srv.parley.settle();

      const client = await connectClient(version, srv.url, sessionId, transports);
      const second = await connectClient(version, srv.url, sessionId, transports);
      try {
        const sent = await srv.api('POST', `/api/v1/sessions/${sessionId}/messages`, { body: 'сколько стоит? price' });
        assert.equal(sent.status, 201);
        assert.match(sent.body.id, UUID);
        assert.match(sent.body.createdAt, TIMESTAMP);

        for (const c of [client, second]) {
          assert.deepEqual(await c.next('showTypingIndicatorEmit'), { authorType: 'BOT' });
          const reply = await c.next('chatMessageCreatedEmit');
          assertSeedMessage(reply, { authorType: 'BOT', sessionId, body: /990/ });
          const menu = await c.next('chatMessageCreatedEmit');
          assertSeedMessage(menu, { authorType: 'BOT', sessionId, body: /What would you like to know/ });
          assert.equal(menu.answers.length, 5);
        }
        // The typing indicator precedes the message it announces.
        const names = client.events.map((e) => e.name);
        assert.ok(names.indexOf('showTypingIndicatorEmit') < names.indexOf('chatMessageCreatedEmit'));

        // Press the operator button: the bot says it is switching and hands off.
        const press = await srv.api('POST', `/api/v1/sessions/${sessionId}/clients/messages?x_widget=1`, { body: 'Оператор / Operator' });
        assert.equal(press.status, 201);
        for (const c of [client, second]) {
          const handoff = await c.next('chatMessageCreatedEmit');
          assertSeedMessage(handoff, { authorType: 'BOT', sessionId, body: 'Переключаю на оператора' });
          assert.deepEqual(handoff.answers, []);
        }
        await eventually(() => srv.events.find((e) => e.type === 'session.handedOff' && e.sessionId === sessionId), 5000, 'session.handedOff');
        await srv.parley.settle();
        const row = await srv.parley.ctx.db.kysely.selectFrom('sessions').selectAll().where('id', '=', sessionId).executeTakeFirstOrThrow();
        assert.equal(row.bot_status, 'HELP', 'handed off, and queued: no operator is online');
        assert.equal(row.status, 'OPEN');
        // Queued: every connection is told that all operators are busy.
        for (const c of [client, second]) {
          const notice = await c.next('chatMessageCreatedEmit');
          assertSeedMessage(notice, { authorType: 'BOT', sessionId, body: /All operators are busy/ });
        }

        // The client's own messages are never echoed back to it.
        assert.ok(client.all('chatMessageCreatedEmit').every((m) => m.authorType !== 'CLIENT'));
        assert.deepEqual(client.events.map((e) => e.name), second.events.map((e) => e.name));
      } finally {
        client.close();
        second.close();
      }
    });
  }

  test('operator-side domain events reach every connection of the session with the seed payloads', async () => {
    const { body } = await srv.api('POST', `/api/v1/chats/${chatId}/sessions`, {});
    const sessionId: string = body.id;
    const a = await connectClient('v2', srv.url, sessionId);
    const b = await connectClient('v4', srv.url, sessionId);
    try {
      const companyId = srv.parley.companyId;
      const change = {
        operatorId: '494', operatorName: 'III Operator', avatar: null,
        previousOperatorId: body.messages[0].authorId, previousOperatorName: 'Test Bot', previousOperatorAvatar: null,
      };
      const { bus } = srv.parley.ctx;
      bus.publish({
        type: 'session.operatorChanged', companyId, chatId, sessionId, change, operatorId: '494',
        previousOperatorId: null, reason: 'ROUTED', fromQueue: false,
      });
      bus.publish({ type: 'operator.statusChanged', companyId, operatorId: '494', previousStatus: 'ACTIVE', currentStatus: 'PAUSED', sessionIds: [sessionId] });
      bus.publish({ type: 'session.typing', companyId, sessionId, authorType: 'OPERATOR', authorId: '494' });
      bus.publish({ type: 'message.read', companyId, sessionId, messageId: body.messages[0].id, reader: 'OPERATOR', readAt: Date.now() });
      bus.publish({ type: 'operator.loggedOut', companyId, operatorId: '494', sessionIds: [sessionId] });
      for (const c of [a, b]) {
        assert.deepEqual(await c.next('operatorChangedEmit'), change);
        assert.deepEqual(await c.next('operatorStatusChangedEmit'), { operatorId: '494', previousStatus: 'ACTIVE', currentStatus: 'PAUSED' });
        assert.deepEqual(await c.next('showTypingIndicatorEmit'), { authorType: 'OPERATOR' });
        assert.deepEqual(await c.next('chatMessageReadEmit'), { messageId: body.messages[0].id });
        assert.deepEqual(await c.next('operatorLoggedOutEmit'), { operatorId: '494' });
      }
      // A client read receipt is not echoed as chatMessageReadEmit (that event reports operator reads).
      assert.equal(a.all('chatMessageReadEmit').length, 1);
    } finally {
      a.close();
      b.close();
    }
  });

  test('client → server: typing and messageRead over the socket, acknowledged and turned into domain events', async () => {
    const { body } = await srv.api('POST', `/api/v1/chats/${chatId}/sessions`, {});
    const sessionId: string = body.id;
    const greeting = body.messages[0].id as string;
    for (const version of ['v2', 'v4'] as const) {
      const c = await connectClient(version, srv.url, sessionId);
      try {
        assert.deepEqual(await c.emitAck('typing', {}), { ok: true });
        await eventually(() => srv.events.find((e) => e.type === 'session.typing' && e.sessionId === sessionId && e.authorType === 'CLIENT'));
        assert.deepEqual(await c.emitAck('messageRead', { messageId: greeting }), { ok: true });
        const bad = await c.emitAck('messageRead', { messageId: 42 });
        assert.equal(bad.ok, false);
        assert.equal(bad.error.code, 'INVALID_EVENT');
        const unknown = await c.emitAck('messageRead', { messageId: '00000000-0000-4000-8000-000000000000' });
        assert.equal(unknown.error.code, 'MESSAGE_NOT_FOUND');
      } finally {
        c.close();
      }
    }
    const reads = srv.events.filter((e) => e.type === 'message.read' && e.messageId === greeting);
    assert.equal(reads.length, 1, 'reading twice records one read');
    const history = await srv.api('GET', `/api/v1/sessions/${sessionId}/messages`);
    assert.match(history.body.items[0].readAt, TIMESTAMP);
  });

  test('presence: first connection marks the client online, last disconnect offline', async () => {
    const { body } = await srv.api('POST', `/api/v1/chats/${chatId}/sessions`, {});
    const sessionId: string = body.id;
    const presence = () => srv.events.filter((e) => e.type === 'client.presence' && e.sessionId === sessionId).map((e) => (e as { online: boolean }).online);
    const a = await connectClient('v2', srv.url, sessionId);
    const b = await connectClient('v4', srv.url, sessionId);
    await eventually(() => (presence().length === 1 ? true : undefined));
    a.close();
    await new Promise((r) => setTimeout(r, 200));
    assert.deepEqual(presence(), [true]);
    b.close();
    await eventually(() => (presence().length === 2 ? true : undefined), 5000, 'offline');
    assert.deepEqual(presence(), [true, false]);
  });
});

forEachEngine('Engine.IO v3 wire (python-socketio 4.6.1 behaviour)', (engine) => {
  let srv: TestServer;
  before(async () => {
    srv = await startTestServer(engine);
  });
  after(() => srv.close());

  test('an event sent right after the handshake, before the namespace connect, is handled and the connection survives', async () => {
    const { chatId } = await srv.createChat({ scenario: demoScenario });
    const sessionId = (await srv.api('POST', `/api/v1/chats/${chatId}/sessions`, {})).body.id;
    const ws = new WebSocket(`${srv.url.replace('http', 'ws')}/operator/socket.io/?EIO=3&transport=websocket&key=${sessionId}`);
    const frames: string[] = [];
    await new Promise<void>((resolve, reject) => {
      ws.on('error', reject);
      // Emit with an ack id at once, as python-socketio 4.6.1 may do when connect() returns.
      ws.on('open', () => ws.send('421["typing",{}]'));
      ws.on('message', (data) => {
        frames.push(String(data));
        if (frames.some((f) => f.startsWith('431'))) resolve();
      });
      setTimeout(() => reject(new Error(`no ack; frames: ${frames.join(' | ')}`)), 5000);
    });
    assert.match(frames[0]!, /^0\{"sid":/);
    assert.ok(frames.includes('40'), 'implicit namespace connect');
    assert.ok(frames.includes('431[{"ok":true}]'));
    // EIO3: the client pings, the server pongs, and the connection is still open.
    const pong = new Promise<string>((resolve) => ws.once('message', (d) => resolve(String(d))));
    ws.send('2');
    assert.equal(await pong, '3');
    assert.equal(ws.readyState, WebSocket.OPEN);
    await eventually(() => srv.events.find((e) => e.type === 'session.typing' && e.sessionId === sessionId && e.authorType === 'CLIENT'));
    ws.close();
  });
});
