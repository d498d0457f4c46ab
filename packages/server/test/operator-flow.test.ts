/**
 * The whole life of a chat across both real-time channels, with the official
 * `centrifuge` client for operators and both Socket.IO client generations for the
 * client, on both database engines. Every event is asserted with its payload.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { demoScenario } from '../src/bot/scenario/index.js';
import { connectClient, type SioVersion } from './helpers/clients.js';
import { eventually, forEachEngine, startTestServer, type TestServer } from './helpers/harness.js';
import { as, connectOperator, createGroup, createOperator } from './helpers/operators.js';
import { TIMESTAMP, UUID, assertSeedMessage } from './helpers/shapes.js';

const SEED_SESSION_KEYS = [
  'id', 'chatId', 'clientId', 'name', 'markedAsSpam', 'operatorId', 'operatorType', 'channel', 'botStatus', 'status', 'startedAt',
  'clientOnlineAt', 'clientOfflineAt', 'lastMessageCreatedAt', 'lastMessage', 'clientExternalId', 'clientBanned', 'referer', 'clientIp',
  'coordinates', 'unreadClientMessageCount', 'unreadClientMessageExists', 'messengerType', 'whatsappPhone', 'timerFirstAnswer',
  'timerNextAnswers', 'lastOperatorMessage', 'firstClientMessageAfterLastOperatorMessage', 'operatorAssignedAt', 'previousOperator',
];
const FILE_KEYS = ['id', 'isPrivate', 'createdAt', 'contentType', 'name', 'baseName', 'extension', 'suggestedExtension', 'path', 'size', 'url', 'downloadLink', 'ownerId'];
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==', 'base64');

function assertSessionShape(s: any, expect: { id: string; botStatus: string; operatorId?: string | null }) {
  for (const k of SEED_SESSION_KEYS) assert.ok(k in s, `session object has ${k}`);
  assert.equal(s.id, expect.id);
  assert.equal(s.botStatus, expect.botStatus);
  assert.equal(s.status, 'OPEN');
  assert.match(s.startedAt, TIMESTAMP);
  if (expect.operatorId !== undefined) assert.equal(s.operatorId, expect.operatorId);
}

forEachEngine('operator flow', (engine) => {
  let srv: TestServer;
  let chatId: string;
  let botId: string;
  before(async () => {
    srv = await startTestServer(engine);
    const chat = await srv.createChat({ scenario: demoScenario, settings: { operatorsBusyMessage: 'Please wait!' } });
    chatId = chat.chatId;
    botId = chat.botId!;
  });
  after(() => srv.close());

  for (const version of ['v4', 'v2'] as SioVersion[]) {
    test(`socket.io-client ${version} ↔ centrifuge: bot, help queue, assignment, messages, typing, reads, edit, pause, take, transfer, logout, close`, async () => {
      const groupId = await createGroup(srv, { name: `Support ${version}`, sessionLimit: 5, chatIds: [chatId] });
      const admin = await createOperator(srv, { role: 'ADMIN', name: 'Admin' });
      const a = await createOperator(srv, { name: 'Первый Оператор V', groupIds: [groupId] });
      const b = await createOperator(srv, { name: 'II Dev', groupIds: [groupId] });
      // Operator A has an avatar: it appears in TWIN's file-object shape.
      const form = new FormData();
      form.append('file', new Blob([PNG], { type: 'image/png' }), 'мяч.png');
      const up = await fetch(`${srv.url}/api/v1/operators/${a.id}/avatar`, { method: 'PUT', headers: { authorization: `Bearer ${a.token}` }, body: form });
      assert.equal(up.status, 200);
      const avatar = ((await up.json()) as { avatar: any }).avatar;
      assert.deepEqual(Object.keys(avatar).sort(), [...FILE_KEYS].sort());
      assert.equal(avatar.baseName, 'мяч');
      assert.equal(avatar.extension, 'png');
      assert.equal((await fetch(avatar.url)).headers.get('content-type'), 'image/png');

      const adminLive = await connectOperator(srv, admin.token);
      const start = await srv.api('POST', `/api/v1/chats/${chatId}/sessions`, { clientName: 'Клиент' });
      const s1: string = start.body.id;
      const client = await connectClient(version, srv.url, s1);
      try {
        // Hand-off with nobody online: operatorNotFound, help queue, busy message.
        await srv.api('POST', `/api/v1/sessions/${s1}/messages`, { body: 'оператор' });
        assertSeedMessage(await client.until('chatMessageCreatedEmit', (m) => m.body === 'Переключаю на оператора'), { authorType: 'BOT', sessionId: s1 });
        assertSeedMessage(await client.until('chatMessageCreatedEmit', (m) => m.body === 'Please wait!'), { authorType: 'BOT', sessionId: s1 });
        const notFound = await adminLive.next('operatorNotFound', (p) => p.data.sessionId === s1);
        assert.deepEqual(notFound, { event: 'operatorNotFound', action: 'operatorNotFound', data: { botStatus: 'HELP', chatId, operatorType: 'OPERATOR', sessionId: s1, status: 'OPEN' } });
        assertSessionShape((await adminLive.next('chatSessionStarted', (p) => p.data.id === s1)).data, { id: s1, botStatus: 'HELP', operatorId: null });

        // A connects: capacity appears, the queue is served.
        const aLive = await connectOperator(srv, a.token);
        const added = await aLive.next('chatSessionAdded', (p) => p.data.id === s1);
        assertSessionShape(added.data, { id: s1, botStatus: 'OPERATOR', operatorId: a.id });
        assert.match(added.data.operatorAssignedAt, TIMESTAMP);
        assert.deepEqual(await client.next('operatorChangedEmit'), {
          operatorId: a.id, operatorName: 'Первый Оператор V', avatar, previousOperatorId: botId, previousOperatorName: 'Test Bot', previousOperatorAvatar: null,
        });
        const switched = await adminLive.next('chatSessionSwitchedFromBotToOperator', (p) => p.data.sessionId === s1);
        assert.deepEqual(switched.data, { sessionId: s1, chatId, operatorId: a.id, operatorName: 'Первый Оператор V' });

        // Messages both ways.
        const hello = await srv.api('POST', `/api/v1/sessions/${s1}/messages`, { body: 'Здравствуйте' });
        const got = await aLive.next('chatMessageCreated', (p) => p.data.id === hello.body.id);
        assertSeedMessage(got.data, { authorType: 'CLIENT', sessionId: s1, body: 'Здравствуйте' });
        // A plain client message takes its author from the session as the sequence number is allocated.
        assert.equal(got.data.authorId, start.body.clientId);
        assert.equal(got.data.authorName, 'Клиент');
        const reply = await as(srv, a)('POST', `/api/v1/sessions/${s1}/messages`, { body: '\nHi' });
        assert.equal(reply.status, 201);
        const opMsg = await client.until('chatMessageCreatedEmit', (m) => m.id === reply.body.id);
        assertSeedMessage(opMsg, { authorType: 'OPERATOR', sessionId: s1, body: '\nHi' });
        assert.equal(opMsg.authorId, a.id);
        assert.equal(opMsg.authorName, 'Первый Оператор V');
        assert.deepEqual(opMsg.avatar, avatar);

        // Typing both ways: the client over the socket, the operator by RPC and by publish.
        client.socket.emit('typing', {});
        assert.deepEqual((await aLive.next('typing')).data, { sessionId: s1, authorType: 'CLIENT', authorId: start.body.clientId });
        await aLive.centrifuge.rpc('typing', { sessionId: s1 });
        assert.deepEqual(await client.until('showTypingIndicatorEmit', (p) => p.authorType === 'OPERATOR'), { authorType: 'OPERATOR' });
        await aLive.centrifuge.publish(`operator:${a.id}`, { event: 'typing', sessionId: s1 });
        assert.deepEqual(await client.until('showTypingIndicatorEmit', (p) => p.authorType === 'OPERATOR'), { authorType: 'OPERATOR' });

        // Read receipts both ways.
        await srv.api('PATCH', `/api/v1/messages/${reply.body.id}/read`);
        const read = await aLive.next('chatMessageRead');
        assert.equal(read.data.messageId, reply.body.id);
        assert.equal(read.data.sessionId, s1);
        await as(srv, a)('PATCH', `/api/v1/messages/${hello.body.id}/read`);
        assert.deepEqual(await client.next('chatMessageReadEmit'), { messageId: hello.body.id });

        // An edit of the operator's own message.
        const edited = await as(srv, a)('PATCH', `/api/v1/messages/${reply.body.id}`, { body: 'Hi (edited)' });
        assert.equal(edited.status, 200);
        const ed = await aLive.next('chatMessageEdited');
        assert.equal(ed.data.id, reply.body.id);
        assert.equal(ed.data.body, 'Hi (edited)');
        assert.match(ed.data.updatedAt, TIMESTAMP);
        assert.equal((await client.next('chatMessageEditedEmit')).body, 'Hi (edited)');

        // PAUSED: the client hears of it; new sessions do not go to A.
        assert.equal((await as(srv, a)('PATCH', '/api/v1/operators/me/status', { status: 'PAUSED' })).status, 200);
        assert.deepEqual(await client.next('operatorStatusChangedEmit'), { operatorId: a.id, previousStatus: 'ACTIVE', currentStatus: 'PAUSED' });
        const s2 = (await srv.api('POST', `/api/v1/chats/${chatId}/sessions`, { messageBody: 'operator please' })).body.id;
        assertSessionShape((await aLive.next('chatSessionStarted', (p) => p.data.id === s2)).data, { id: s2, botStatus: 'HELP', operatorId: null });
        await aLive.next('operatorNotFound', (p) => p.data.sessionId === s2);
        // A paused operator may still take from the help queue; a second take loses.
        assert.equal((await as(srv, a)('POST', `/api/v1/sessions/${s2}/take`)).status, 200);
        assertSessionShape((await aLive.next('chatSessionAdded', (p) => p.data.id === s2)).data, { id: s2, botStatus: 'OPERATOR', operatorId: a.id });
        const late = await as(srv, b)('POST', `/api/v1/sessions/${s2}/take`);
        assert.equal(late.status, 409);
        assert.equal(late.body.error.code, 'SESSION_CONFLICT');

        // Transfer A → B.
        const bLive = await connectOperator(srv, b.token);
        assert.equal((await as(srv, a)('PATCH', `/api/v1/sessions/${s1}/operators/${b.id}`)).status, 200);
        assertSessionShape((await bLive.next('chatSessionAdded', (p) => p.data.id === s1)).data, { id: s1, botStatus: 'OPERATOR', operatorId: b.id });
        assert.deepEqual((await aLive.next('chatSessionDeleted', (p) => p.data.sessionId === s1)).data, { sessionId: s1, reason: 'TRANSFERRED' });
        assert.deepEqual(await client.next('operatorChangedEmit'), {
          operatorId: b.id, operatorName: 'II Dev', avatar: null, previousOperatorId: a.id, previousOperatorName: 'Первый Оператор V', previousOperatorAvatar: avatar,
        });

        // B logs out: the client and B's console are told; A is paused, so the session goes back to the queue.
        assert.equal((await as(srv, b)('POST', '/api/v1/auth/logout')).status, 200);
        assert.deepEqual(await client.next('operatorLoggedOutEmit'), { operatorId: b.id });
        assert.deepEqual((await bLive.next('operatorLoggedOut')).data, { operatorId: b.id });
        assert.equal((await bLive.disconnected).code, 4505);
        await aLive.next('operatorNotFound', (p) => p.data.sessionId === s1);
        const revoked = await as(srv, b)('GET', '/api/v1/sessions');
        assert.equal(revoked.body.error.code, 'TOKEN_REVOKED');

        // The client closes: A (watching the queue) gets sessionClosedByClient.
        assert.equal((await srv.api('DELETE', `/api/v1/sessions/${s1}`, { result: 'thanks' })).status, 200);
        assert.deepEqual((await aLive.next('sessionClosedByClient', (p) => p.data.sessionId === s1)).data, { sessionId: s1, result: 'thanks' });

        // Presence: the client's socket going away is clientOffline for A's session s2's watchers; s1's audience saw clientOnline/Offline too.
        const online = adminLive.all('clientOnline').find((p) => p.data.id === s1);
        assert.deepEqual(online, { event: 'clientOnline', action: 'clientOnline', data: { id: s1, clientId: start.body.clientId } });
        aLive.close();
        adminLive.close();
      } finally {
        client.close();
      }
    });
  }

  test('under a burst, an operator gets every message of each session in commit order, with presence and typing', async () => {
    // No bot: every client message stays a client message, and the admin follows every session.
    const { chatId: plainChat } = await srv.createChat();
    const admin = await createOperator(srv, { role: 'ADMIN', name: 'Burst Admin' });
    const live = await connectOperator(srv, admin.token);
    const sessions: string[] = [];
    for (let i = 0; i < 3; i++) sessions.push((await srv.api('POST', `/api/v1/chats/${plainChat}/sessions`, {})).body.id);
    // Two operators take a session each: the burst's audience reads are answered together,
    // and each operator must get the messages of its own session only.
    const burstGroup = await createGroup(srv, { name: 'Burst', sessionLimit: 5, chatIds: [plainChat] });
    const ops = [await createOperator(srv, { name: 'Burst A', groupIds: [burstGroup] }), await createOperator(srv, { name: 'Burst B', groupIds: [burstGroup] })];
    for (const [k, op] of ops.entries()) {
      const took = await as(srv, op)('POST', `/api/v1/sessions/${sessions[k]}/take`);
      assert.equal(took.status, 200, JSON.stringify(took.body));
    }
    const opLive = await Promise.all(ops.map((op) => connectOperator(srv, op.token)));
    const clients = await Promise.all(sessions.map((id) => connectClient('v4', srv.url, id)));
    try {
      // Presence, typing and 45 concurrent posts: the fan-out reads ahead of delivery, the publications must not overtake each other.
      await Promise.all(clients.map((c) => c.emitAck('typing', {})));
      const posts = await Promise.all(Array.from({ length: 45 }, (_, i) => srv.api('POST', `/api/v1/sessions/${sessions[i % 3]}/messages`, { body: `burst ${i}` })));
      for (const p of posts) assert.equal(p.status, 201, JSON.stringify(p.body));
      await eventually(() => (live.all('chatMessageCreated').filter((p) => p.data.body.startsWith('burst ')).length === 45 ? true : undefined));
      await eventually(() => (sessions.every((id) => live.all('clientOnline').some((p) => p.data.id === id)) ? true : undefined));
      for (const [k, id] of sessions.entries()) {
        const history = await srv.api('GET', `/api/v1/sessions/${id}/messages`);
        const stored = (history.body.items ?? history.body).filter((m: any) => m.body.startsWith('burst ')).map((m: any) => m.id);
        assert.equal(stored.length, 15);
        const mine = live.pubs.filter((p) => (p.data?.sessionId ?? p.data?.id) === id);
        const received = mine.filter((p) => p.event === 'chatMessageCreated' && p.data.body.startsWith('burst ')).map((p) => p.data.id);
        assert.deepEqual(received, stored, `session ${k}: publications in stored order`);
        // Presence and typing travel the same ordered path; they arrive too (their order against the posts is not fixed by the client).
        const events = mine.map((p) => p.event);
        assert.ok(events.includes('clientOnline') && events.includes('typing'), `session ${k}: online and typing: ${events.join(',')}`);
        // Each operator gets every message of the session it holds and none of the session the other holds
        // (the third session goes to whichever the router picks).
        for (const [j, l] of opLive.entries()) {
          if (k >= ops.length) break;
          const got = () => l.all('chatMessageCreated').filter((p) => p.data.sessionId === id && p.data.body.startsWith('burst ')).map((p) => p.data.id);
          if (j === k) {
            await eventually(() => (got().length >= 15 ? true : undefined));
            assert.deepEqual(got(), stored, `operator ${j}, session ${k}: every message, in stored order`);
          } else {
            assert.deepEqual(got(), [], `operator ${j} must not get the messages of session ${k}, which another operator holds`);
          }
        }
      }
    } finally {
      for (const c of clients) c.close();
      for (const l of opLive) l.close();
      live.close();
    }
  });
});
