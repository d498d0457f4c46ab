/** Bot administration and the external webhook bot, through the REST API. */
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { demoScenario } from '../src/bot/scenario/index.js';
import { connectClient } from './helpers/clients.js';
import { eventually, forEachEngine, startTestServer, type TestServer } from './helpers/harness.js';
import { assertSeedMessage } from './helpers/shapes.js';

/** A webhook bot server whose behaviour each test sets. */
function webhookServer() {
  const requests: any[] = [];
  let behave: (body: any, res: http.ServerResponse) => void = (_b, res) => res.end('{}');
  const server = http.createServer((req, res) => {
    let raw = '';
    req.on('data', (c) => (raw += c));
    req.on('end', () => {
      const body = JSON.parse(raw);
      requests.push({ body, auth: req.headers.authorization });
      behave(body, res);
    });
  });
  return {
    requests,
    set: (fn: typeof behave) => (behave = fn),
    listen: () => new Promise<string>((r) => server.listen(0, '127.0.0.1', () => r(`http://127.0.0.1:${(server.address() as AddressInfo).port}/bot`))),
    close: () => new Promise<void>((r) => {
      server.closeAllConnections();
      server.close(() => r());
    }),
  };
}

forEachEngine('bots', (engine) => {
  let srv: TestServer;
  const hook = webhookServer();
  let hookUrl: string;
  before(async () => {
    srv = await startTestServer(engine);
    hookUrl = await hook.listen();
  });
  after(async () => {
    await srv.close();
    await hook.close();
  });

  test('scenario bot CRUD; a bad scenario is refused with every problem listed', async () => {
    const created = await srv.admin('POST', '/api/v1/bots', { name: 'Demo', type: 'scenario', scenario: demoScenario });
    assert.equal(created.status, 201);
    const id = created.body.id;
    assert.equal((await srv.admin('GET', `/api/v1/bots/${id}`)).body.name, 'Demo');
    const bad = await srv.admin('PUT', `/api/v1/bots/${id}`, {
      name: 'Demo', type: 'scenario',
      scenario: { start: 'nowhere', nodes: { a: { type: 'message', text: '' }, b: { type: 'question', text: 'q', branches: [{ regex: '(', next: 'zz' }] } } },
    });
    assert.equal(bad.status, 400);
    assert.equal(bad.body.error.code, 'INVALID_SCENARIO');
    const paths = bad.body.error.details.map((d: { path: string }) => d.path);
    for (const p of ['/scenario/start', '/scenario/nodes/a/text', '/scenario/nodes/b/branches/0/regex', '/scenario/nodes/b/branches/0/next']) {
      assert.ok(paths.includes(p), `${p} missing from ${JSON.stringify(paths)}`);
    }
    assert.equal((await srv.admin('GET', `/api/v1/bots/${id}`)).body.scenario.start, 'greeting', 'the stored scenario is untouched');
    const list = await srv.admin('GET', '/api/v1/bots');
    assert.ok(list.body.items.some((b: { id: string }) => b.id === id));
    const chat = await srv.admin('POST', '/api/v1/chats', { name: 'C', botId: id });
    assert.equal((await srv.admin('DELETE', `/api/v1/bots/${id}`)).body.error.code, 'BOT_IN_USE');
    await srv.admin('PUT', `/api/v1/chats/${chat.body.id}`, { name: 'C', botId: null });
    assert.equal((await srv.admin('DELETE', `/api/v1/bots/${id}`)).status, 204);
    assert.equal((await srv.admin('GET', `/api/v1/bots/${id}`)).body.error.code, 'BOT_NOT_FOUND');
    const missing = await srv.admin('POST', '/api/v1/bots', { name: 'x', type: 'scenario' });
    assert.equal(missing.body.error.code, 'INVALID_SCENARIO');
  });

  test('webhook bot: Parley posts the turn and posts the answers; secrets are never returned', async () => {
    hook.set((body, res) => {
      const text = body.event === 'start' ? `Hi ${body.client.name}` : `You said: ${body.message.body}`;
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ messages: [{ body: text, answers: [{ text: 'More' }] }], handoff: body.message?.body === 'human' }));
    });
    const bot = await srv.admin('POST', '/api/v1/bots', { name: 'Hook', type: 'webhook', webhook: { url: hookUrl, secret: 's3cret', timeoutMs: 2000 } });
    assert.equal(bot.status, 201);
    assert.equal(bot.body.webhook.secret, undefined);
    assert.equal(bot.body.webhook.url, hookUrl);
    const chat = await srv.admin('POST', '/api/v1/chats', { name: 'Hooked', botId: bot.body.id });
    const start = await srv.api('POST', `/api/v1/chats/${chat.body.id}/sessions`, { clientName: 'Bea', clientMetadata: { plan: 'pro' } });
    const sessionId = start.body.id;
    assertSeedMessage(start.body.messages[0], { authorType: 'BOT', sessionId, body: 'Hi Bea' });
    assert.deepEqual(start.body.messages[0].answers, [{ id: '0:0', text: 'More' }]);
    const first = hook.requests.at(-1);
    assert.equal(first.auth, 'Bearer s3cret');
    assert.deepEqual(first.body.client.metadata, { plan: 'pro' });
    assert.equal(first.body.message, null);

    const c = await connectClient('v4', srv.url, sessionId);
    try {
      await srv.api('POST', `/api/v1/sessions/${sessionId}/messages`, { body: 'hello' });
      assert.deepEqual(await c.next('showTypingIndicatorEmit'), { authorType: 'BOT' });
      assertSeedMessage(await c.next('chatMessageCreatedEmit'), { authorType: 'BOT', sessionId, body: 'You said: hello' });
      await srv.api('POST', `/api/v1/sessions/${sessionId}/messages`, { body: 'human' });
      assertSeedMessage(await c.next('chatMessageCreatedEmit'), { authorType: 'BOT', sessionId, body: 'You said: human' });
      await eventually(() => srv.events.find((e) => e.type === 'session.handedOff' && e.sessionId === sessionId));
    } finally {
      c.close();
    }
  });

  for (const [name, behaviour] of [
    ['errors', (_b: unknown, res: http.ServerResponse) => { res.statusCode = 500; res.end('boom'); }],
    ['times out', () => undefined],
    ['answers garbage', (_b: unknown, res: http.ServerResponse) => res.end('{"messages": "nope"}')],
  ] as const) {
    test(`webhook bot that ${name}: the session is handed to operators`, async () => {
      hook.set(behaviour);
      const bot = await srv.admin('POST', '/api/v1/bots', { name: 'Flaky', type: 'webhook', webhook: { url: hookUrl, timeoutMs: 300 } });
      const chat = await srv.admin('POST', '/api/v1/chats', { name: 'Flaky chat', botId: bot.body.id, operatorsBusyMessage: '' });
      const start = await srv.api('POST', `/api/v1/chats/${chat.body.id}/sessions`, {});
      assert.equal(start.status, 201);
      assert.deepEqual(start.body.messages, []);
      const sessionId = start.body.id;
      await eventually(() => srv.events.find((e) => e.type === 'session.handedOff' && e.sessionId === sessionId), 5000, 'hand-off');
      await srv.parley.settle();
      const row = await srv.parley.ctx.db.kysely.selectFrom('sessions').select('bot_status').where('id', '=', sessionId).executeTakeFirstOrThrow();
      assert.equal(row.bot_status, 'HELP', 'handed off, and queued: no operator is online');
    });
  }
});
