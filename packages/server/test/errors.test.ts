/**
 * Bad input everywhere gets a clear error with a stable code; nothing crashes and
 * nothing is stored twice.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import WebSocket from 'ws';
import { demoScenario } from '../src/bot/scenario/index.js';
import { connectClient, connectError } from './helpers/clients.js';
import { eventually, forEachEngine, startTestServer, type TestServer } from './helpers/harness.js';

const MISSING = '00000000-0000-4000-8000-000000000000';

forEachEngine('errors', (engine) => {
  let srv: TestServer;
  let chatId: string;
  let sessionId: string;
  before(async () => {
    srv = await startTestServer(engine, { BODY_LIMIT_BYTES: '65536' });
    ({ chatId } = await srv.createChat({ scenario: demoScenario }));
    sessionId = (await srv.api('POST', `/api/v1/chats/${chatId}/sessions`, {})).body.id;
  });
  after(() => srv.close());

  const expectError = (res: { status: number; body: any }, status: number, code: string) => {
    assert.equal(res.status, status, JSON.stringify(res.body));
    assert.equal(res.body.error.code, code);
    assert.equal(typeof res.body.error.message, 'string');
  };

  test('malformed JSON, wrong types, missing fields name the field', async () => {
    expectError(await srv.api('POST', `/api/v1/chats/${chatId}/sessions`, '{"name": '), 400, 'INVALID_JSON');
    expectError(await srv.api('POST', `/api/v1/sessions/${sessionId}/messages`, '{"body": "x",}'), 400, 'INVALID_JSON');
    const wrong = await srv.api('POST', `/api/v1/sessions/${sessionId}/messages`, { body: 5 });
    expectError(wrong, 400, 'VALIDATION_FAILED');
    assert.deepEqual(wrong.body.error.details, [{ path: '/body', message: 'must be string' }]);
    const missing = await srv.api('POST', `/api/v1/sessions/${sessionId}/messages`, { attachments: [] });
    expectError(missing, 400, 'VALIDATION_FAILED');
    assert.equal(missing.body.error.details[0].path, '/body');
    const many = await srv.api('POST', `/api/v1/chats/${chatId}/sessions`, { sessionTtl: 'long', clientMetadata: 'x', returnAnswerAsync: 'yes' });
    expectError(many, 400, 'VALIDATION_FAILED');
    const paths = many.body.error.details.map((d: { path: string }) => d.path);
    for (const p of ['/sessionTtl', '/clientMetadata', '/returnAnswerAsync']) assert.ok(paths.includes(p), `${p} in ${paths}`);
    expectError(await srv.api('POST', `/api/v1/sessions/${sessionId}/messages`, { body: '   ' }), 400, 'VALIDATION_FAILED');
    expectError(await srv.api('POST', `/api/v1/sessions/${sessionId}/messages`, [1, 2]), 400, 'VALIDATION_FAILED');
    expectError(await srv.api('GET', `/api/v1/sessions/${sessionId}/messages?limit=0`), 400, 'VALIDATION_FAILED');
    expectError(await srv.api('GET', `/api/v1/sessions/${sessionId}/messages?limit=abc`), 400, 'VALIDATION_FAILED');
  });

  test('unsupported media type, oversize body, unknown route', async () => {
    expectError(await srv.api('POST', `/api/v1/sessions/${sessionId}/messages`, 'body=hi', { 'content-type': 'application/x-www-form-urlencoded' }), 415, 'UNSUPPORTED_MEDIA_TYPE');
    expectError(await srv.api('POST', `/api/v1/sessions/${sessionId}/messages`, { body: 'x'.repeat(70_000) }), 413, 'PAYLOAD_TOO_LARGE');
    expectError(await srv.api('POST', `/api/v1/sessions/${sessionId}/messages`, { body: 'x'.repeat(10_001) }), 400, 'VALIDATION_FAILED');
    expectError(await srv.api('GET', '/api/v1/nothing-here'), 404, 'ROUTE_NOT_FOUND');
  });

  test('unknown ids are 404 with a specific code', async () => {
    expectError(await srv.api('POST', `/api/v1/chats/${MISSING}/sessions`, {}), 404, 'CHAT_NOT_FOUND');
    expectError(await srv.api('POST', '/api/v1/chats/not-a-uuid/sessions', {}), 404, 'CHAT_NOT_FOUND');
    expectError(await srv.api('PUT', `/api/v1/chats/${MISSING}/sessions`, {}), 404, 'CHAT_NOT_FOUND');
    expectError(await srv.api('POST', `/api/v1/sessions/${MISSING}/messages`, { body: 'hi' }), 404, 'SESSION_NOT_FOUND');
    expectError(await srv.api('GET', `/api/v1/sessions/${MISSING}/messages`), 404, 'SESSION_NOT_FOUND');
    expectError(await srv.api('PATCH', `/api/v1/messages/${MISSING}/read`), 404, 'MESSAGE_NOT_FOUND');
    expectError(await srv.api('DELETE', `/api/v1/sessions/${MISSING}`), 404, 'SESSION_NOT_FOUND');
    expectError(await srv.api('POST', `/api/v1/chats/${chatId}/sessions`, { clientId: MISSING }), 404, 'CLIENT_NOT_FOUND');
    expectError(await srv.api('POST', `/api/v1/chats/${chatId}/sessions`, { botId: MISSING }), 404, 'BOT_NOT_FOUND');
    expectError(await srv.api('POST', `/api/v1/sessions/${sessionId}/messages`, { body: 'x', attachments: [MISSING] }), 404, 'FILE_NOT_FOUND');
    expectError(await srv.api('POST', `/api/v1/sessions/${sessionId}/messages`, { body: 'x', replyToMessageId: MISSING }), 404, 'MESSAGE_NOT_FOUND');
    expectError(await srv.api('GET', `/api/v1/sessions/${sessionId}/messages?after=${MISSING}`), 404, 'MESSAGE_NOT_FOUND');
  });

  test('wrong state: closed sessions take no messages; clients do not mark their own messages read', async () => {
    const s = (await srv.api('POST', `/api/v1/chats/${chatId}/sessions`, {})).body.id;
    const own = await srv.api('POST', `/api/v1/sessions/${s}/messages`, { body: 'hello' });
    expectError(await srv.api('PATCH', `/api/v1/messages/${own.body.id}/read`), 422, 'INVALID_MESSAGE_STATE');
    // The bot answers after the commit; close once its reply is stored.
    await eventually(async () => ((await srv.api('GET', `/api/v1/sessions/${s}/messages`)).body.count === 3 ? true : undefined));
    const closed = await srv.api('DELETE', `/api/v1/sessions/${s}`, { result: 'done' });
    assert.equal(closed.status, 200);
    assert.equal(closed.body.status, 'CLOSED');
    assert.equal(closed.body.result, 'done');
    expectError(await srv.api('POST', `/api/v1/sessions/${s}/messages`, { body: 'late' }), 409, 'SESSION_CLOSED');
    expectError(await srv.api('DELETE', `/api/v1/sessions/${s}`), 409, 'SESSION_CLOSED');
    const count = (await srv.api('GET', `/api/v1/sessions/${s}/messages`)).body.count;
    assert.equal(count, 3, 'greeting, menu-less reply and the client message; nothing after close');
  });

  test('Idempotency-Key: a retry returns the same message, a different body is refused', async () => {
    const s = (await srv.api('POST', `/api/v1/chats/${chatId}/sessions`, { returnAnswerAsync: true })).body.id;
    const key = { 'idempotency-key': 'retry-1' };
    const first = await srv.api('POST', `/api/v1/sessions/${s}/messages`, { body: 'once' }, key);
    const again = await srv.api('POST', `/api/v1/sessions/${s}/messages`, { body: 'once' }, key);
    assert.equal(first.status, 201);
    assert.equal(again.status, 201);
    assert.equal(again.body.id, first.body.id);
    assert.equal(again.headers.get('idempotent-replayed'), 'true');
    const parallel = await Promise.all(
      Array.from({ length: 10 }, () => srv.api('POST', `/api/v1/sessions/${s}/messages`, { body: 'burst' }, { 'idempotency-key': 'burst' })),
    );
    assert.deepEqual(new Set(parallel.map((r) => r.status)), new Set([201]));
    assert.equal(new Set(parallel.map((r) => r.body.id)).size, 1);
    expectError(await srv.api('POST', `/api/v1/sessions/${s}/messages`, { body: 'other' }, key), 422, 'IDEMPOTENCY_KEY_REUSED');
    await srv.parley.settle();
    const history = await srv.api('GET', `/api/v1/sessions/${s}/messages?limit=200`);
    const bodies = history.body.items.filter((m: any) => m.authorType === 'CLIENT').map((m: any) => m.body);
    assert.deepEqual(bodies, ['once', 'burst']);
  });

  test('a burst shares commits, yet each request gets its own answer: one closed session fails alone', async () => {
    const open = await Promise.all(Array.from({ length: 4 }, async () => (await srv.api('POST', `/api/v1/chats/${chatId}/sessions`, { returnAnswerAsync: true })).body.id as string));
    const closed = (await srv.api('POST', `/api/v1/chats/${chatId}/sessions`, { returnAnswerAsync: true })).body.id as string;
    await srv.api('DELETE', `/api/v1/sessions/${closed}`);
    await srv.parley.settle();
    const requests = Array.from({ length: 40 }, (_, i) => {
      const s = i % 10 === 7 ? closed : open[i % open.length]!;
      return { s, body: `burst ${i}`, res: srv.api('POST', `/api/v1/sessions/${s}/messages`, { body: `burst ${i}` }) };
    });
    for (const r of requests) {
      const res = await r.res;
      if (r.s === closed) expectError(res, 409, 'SESSION_CLOSED');
      else assert.equal(res.status, 201, `${r.body}: ${JSON.stringify(res.body)}`);
    }
    await srv.parley.settle();
    for (const s of open) {
      const history = (await srv.api('GET', `/api/v1/sessions/${s}/messages?limit=200`)).body.items as { body: string; authorType: string }[];
      const sent = requests.filter((r) => r.s === s).map((r) => r.body);
      assert.deepEqual(history.filter((m) => m.body.startsWith('burst ')).map((m) => m.body).sort(), [...sent].sort(), 'every acknowledged message stored once');
    }
    const closedHistory = (await srv.api('GET', `/api/v1/sessions/${closed}/messages?limit=200`)).body.items as { body: string }[];
    assert.equal(closedHistory.filter((m) => m.body.startsWith('burst ')).length, 0, 'nothing stored in the closed session');
    const created = srv.events.filter((e) => e.type === 'message.created' && 'message' in e && e.message.body.startsWith('burst '));
    assert.equal(created.length, requests.filter((r) => r.s !== closed).length, 'one message.created per stored message');
    const seqs = new Map<string, number[]>();
    for (const e of created) if (e.type === 'message.created') seqs.set(e.sessionId, [...(seqs.get(e.sessionId) ?? []), e.seq]);
    for (const list of seqs.values()) assert.deepEqual(list, [...list].sort((a, b) => a - b), 'events in commit order, sequence numbers increasing');
  });

  test('admin API needs the admin token', async () => {
    expectError(await srv.api('GET', '/api/v1/bots'), 401, 'UNAUTHORIZED');
    expectError(await srv.api('GET', '/api/v1/chats', undefined, { authorization: 'Bearer wrong' }), 401, 'UNAUTHORIZED');
    expectError(await srv.api('POST', '/api/v1/bots', { name: 'x', type: 'scenario', scenario: demoScenario }, { authorization: 'Basic abc' }), 401, 'UNAUTHORIZED');
  });

  for (const version of ['v2', 'v4'] as const) {
    test(`socket.io-client ${version}: missing, unknown and closed keys get connect_error {code, message}`, async () => {
      const none = await connectError(version, srv.url, null);
      assert.equal(none.code, 'SESSION_KEY_MISSING');
      const unknown = await connectError(version, srv.url, MISSING);
      assert.deepEqual(Object.keys(unknown).sort(), ['code', 'message']);
      assert.equal(unknown.code, 'SESSION_NOT_FOUND');
      const s = (await srv.api('POST', `/api/v1/chats/${chatId}/sessions`, {})).body.id;
      await srv.api('DELETE', `/api/v1/sessions/${s}`);
      assert.equal((await connectError(version, srv.url, s)).code, 'SESSION_CLOSED');
      const ok = await connectClient(version, srv.url, sessionId);
      ok.close();
    });
  }

  test('garbage websocket frames and junk Engine.IO requests do not take the server down', async () => {
    const wsUrl = `${srv.url.replace('http', 'ws')}/operator/socket.io/?EIO=4&transport=websocket&key=${sessionId}`;
    const frames = ['garbage', '4', '42["typing"', '4{}', '\u0000\u0001', '42[1,2,3]', '44/x,', '6', '9'.repeat(10_000)];
    for (const frame of frames) {
      const ws = new WebSocket(wsUrl);
      await new Promise<void>((resolve) => {
        ws.on('open', () => ws.send(frame));
        ws.on('message', () => ws.send(frame));
        ws.on('close', () => resolve());
        ws.on('error', () => resolve());
        setTimeout(() => {
          ws.terminate();
          resolve();
        }, 300);
      });
    }
    const junk = await fetch(`${srv.url}/operator/socket.io/?EIO=4&transport=carrier-pigeon`);
    assert.equal(junk.status, 400);
    const huge = await fetch(`${srv.url}/operator/socket.io/?EIO=4&transport=polling&sid=nope`, { method: 'POST', body: 'x'.repeat(200_000) });
    assert.equal(huge.status, 400);
    assert.equal((await srv.api('GET', '/healthz')).status, 200);
    const c = await connectClient('v4', srv.url, sessionId);
    c.close();
  });
});
