/**
 * Routing guarantees and account rules: atomic takes, limits and spread, FIFO help
 * queue, recovery of missed publications, blocking, duplicate login, expired tokens
 * and company isolation.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { hashPassword } from '../src/auth/password.js';
import { insertCompany } from '../src/persistence/repos/directory.js';
import { insertOperator } from '../src/persistence/repos/operators.js';
import { connectClient } from './helpers/clients.js';
import { eventually, forEachEngine, startTestServer, type TestServer } from './helpers/harness.js';
import { as, connectOperator, createGroup, createOperator, type LiveOperator } from './helpers/operators.js';

forEachEngine('operator rules', (engine) => {
  let srv: TestServer;
  before(async () => {
    srv = await startTestServer(engine);
  });
  after(() => srv.close());

  const openCounts = async (ids: string[]) => {
    const rows = await srv.parley.ctx.db.kysely.selectFrom('sessions').select(['operator_id']).where('status', '=', 'OPEN').where('operator_id', 'in', ids.map(Number)).execute();
    return ids.map((id) => rows.filter((r) => r.operator_id === Number(id)).length);
  };

  test('50 simultaneous takes of one session: exactly one wins, the rest get 409 SESSION_CONFLICT', async () => {
    const { chatId } = await srv.createChat();
    const groupId = await createGroup(srv, { name: 'Takers', sessionLimit: 50, chatIds: [chatId] });
    const ops = await Promise.all(Array.from({ length: 50 }, (_, i) => createOperator(srv, { name: `Taker ${i}`, groupIds: [groupId] })));
    // Nobody is connected, so the session waits in the help queue.
    const s = (await srv.api('POST', `/api/v1/chats/${chatId}/sessions`, {})).body.id;
    await srv.parley.settle();
    const results = await Promise.all(ops.map((op) => as(srv, op)('POST', `/api/v1/sessions/${s}/take`)));
    const winners = results.filter((r) => r.status === 200);
    assert.equal(winners.length, 1);
    assert.ok(results.filter((r) => r.status !== 200).every((r) => r.status === 409 && r.body.error.code === 'SESSION_CONFLICT'));
    const row = await srv.parley.ctx.db.kysely.selectFrom('sessions').selectAll().where('id', '=', s).executeTakeFirstOrThrow();
    const winner = ops[results.findIndex((r) => r.status === 200)]!;
    assert.equal(String(row.operator_id), winner.id);
    const primaries = await srv.parley.ctx.db.kysely.selectFrom('session_operators').selectAll().where('session_id', '=', s).execute();
    assert.deepEqual(primaries.map((p) => [String(p.operator_id), p.role]), [[winner.id, 'PRIMARY']]);
  });

  test('230 sessions over 10 operators with limit 20: nobody over the limit, spread within 1, the rest queued and served FIFO', async () => {
    const { chatId } = await srv.createChat({ settings: { operatorsBusyMessage: '' } });
    const groupId = await createGroup(srv, { name: 'Load', sessionLimit: 20, chatIds: [chatId] });
    const ops = await Promise.all(Array.from({ length: 10 }, (_, i) => createOperator(srv, { name: `Load ${i}`, groupIds: [groupId] })));
    const lives: LiveOperator[] = [];
    for (const op of ops) lives.push(await connectOperator(srv, op.token));
    try {
      const ids: string[] = [];
      for (let batch = 0; batch < 23; batch++) {
        const started = await Promise.all(Array.from({ length: 10 }, () => srv.api('POST', `/api/v1/chats/${chatId}/sessions`, {})));
        ids.push(...started.map((r) => r.body.id as string));
      }
      await srv.parley.settle();
      const counts = await openCounts(ops.map((o) => o.id));
      assert.ok(Math.max(...counts) <= 20, `over the limit: ${counts}`);
      assert.ok(Math.max(...counts) - Math.min(...counts) <= 1, `uneven: ${counts}`);
      assert.equal(counts.reduce((a, b) => a + b, 0), 200);
      const queued = await srv.parley.ctx.db.kysely.selectFrom('sessions').select(['id', 'help_at']).where('chat_id', '=', chatId).where('bot_status', '=', 'HELP').orderBy('help_at').orderBy('id').execute();
      assert.equal(queued.length, 30);
      // Operator 0 closes 3 sessions: the 3 oldest queued sessions go to them.
      const mine = await as(srv, ops[0]!)('GET', '/api/v1/sessions?view=mine&limit=3');
      for (const s of mine.body.items) assert.equal((await as(srv, ops[0]!)('DELETE', `/api/v1/sessions/${s.id}`, { result: 'done' })).status, 200);
      await srv.parley.settle();
      const oldestThree = queued.slice(0, 3).map((q) => q.id);
      const assigned = await srv.parley.ctx.db.kysely.selectFrom('sessions').select(['id', 'operator_id']).where('id', 'in', oldestThree).execute();
      assert.deepEqual(assigned.map((a) => String(a.operator_id)), [ops[0]!.id, ops[0]!.id, ops[0]!.id]);
      assert.deepEqual(await openCounts([ops[0]!.id]), [20]);
    } finally {
      for (const l of lives) l.close();
    }
  });

  test('an operator disconnected while 100 events are published gets all 100, in order, on reconnect', async () => {
    const op = await createOperator(srv, { name: 'Recovering' });
    const live = await connectOperator(srv, op.token, { minReconnectDelay: 200 });
    let recovered: boolean | undefined;
    live.centrifuge.on('subscribed', (ctx) => {
      if (ctx.wasRecovering) recovered = ctx.recovered;
    });
    try {
      const reconnecting = new Promise<void>((resolve) => live.centrifuge.once('connecting', () => resolve()));
      srv.parley.live.disconnect(op.id, 4000, 'test reconnect');
      await reconnecting;
      for (let i = 0; i < 100; i++) {
        srv.parley.live.publish(`operator:${op.id}`, { event: 'typing', data: { sessionId: `s-${i}`, authorType: 'CLIENT', authorId: 'x' } });
      }
      await eventually(() => (live.all('typing').length >= 100 ? true : undefined), 10_000, '100 recovered publications');
      assert.deepEqual(live.all('typing').map((p) => p.data.sessionId), Array.from({ length: 100 }, (_, i) => `s-${i}`));
      assert.equal(recovered, true);
    } finally {
      live.close();
    }
  });

  test('40 operators authenticating at once each get their own identity; a blocked one among them is refused', async () => {
    // On PostgreSQL the operator reads of one turn share a query: its rows must go to the right requests.
    const admin = await createOperator(srv, { role: 'ADMIN' });
    const ops = await Promise.all(Array.from({ length: 40 }, (_, i) => createOperator(srv, { name: `Concurrent ${i}` })));
    const blocked = ops[7]!;
    assert.equal((await as(srv, admin)('PATCH', `/api/v1/operators/${blocked.id}/block`)).status, 200);
    // Each operator twice, interleaved, so that the same id is asked for more than once in a turn.
    const callers = [...ops, ...ops];
    const results = await Promise.all(callers.map((op) => as(srv, op)('GET', '/api/v1/operators/me')));
    results.forEach((r, i) => {
      const op = callers[i]!;
      if (op === blocked) {
        assert.equal(r.status, 403);
        assert.equal(r.body.error.code, 'OPERATOR_BLOCKED');
      } else {
        assert.equal(r.status, 200, JSON.stringify(r.body));
        assert.equal(String(r.body.id), String(op.id));
        assert.equal(r.body.name, `Concurrent ${ops.indexOf(op)}`);
      }
    });
  });

  test('blocking: the console is told and closed, tokens stop working, sessions move on', async () => {
    const { chatId } = await srv.createChat();
    const groupId = await createGroup(srv, { name: 'Blockers', sessionLimit: 5, chatIds: [chatId] });
    const admin = await createOperator(srv, { role: 'ADMIN' });
    const a = await createOperator(srv, { groupIds: [groupId] });
    const b = await createOperator(srv, { groupIds: [groupId] });
    const aLive = await connectOperator(srv, a.token);
    const s = (await srv.api('POST', `/api/v1/chats/${chatId}/sessions`, {})).body.id;
    await aLive.next('chatSessionAdded', (p) => p.data.id === s);
    const client = await connectClient('v4', srv.url, s);
    const bLive = await connectOperator(srv, b.token);
    try {
      assert.equal((await as(srv, admin)('PATCH', `/api/v1/operators/${a.id}/block`)).status, 200);
      assert.deepEqual((await aLive.next('operatorBlocked')).data, { operatorId: a.id });
      assert.equal((await aLive.disconnected).code, 4503);
      const denied = await as(srv, a)('GET', '/api/v1/sessions');
      assert.equal(denied.status, 403);
      assert.equal(denied.body.error.code, 'OPERATOR_BLOCKED');
      // The session went to B, and the client heard of the change.
      await bLive.next('chatSessionAdded', (p) => p.data.id === s);
      assert.equal((await client.next('operatorChangedEmit')).operatorId, b.id);
      // Reconnecting with the old token is refused without a reconnect loop.
      await assert.rejects(connectOperator(srv, a.token), (err: { code?: number }) => err.code === 101);
      const relogin = await srv.api('POST', '/api/v1/auth/login', { email: a.email, password: a.password });
      assert.equal(relogin.body.error.code, 'OPERATOR_BLOCKED');
      assert.equal((await as(srv, admin)('PATCH', `/api/v1/operators/${a.id}/unblock`)).status, 200);
      assert.equal((await srv.api('POST', '/api/v1/auth/login', { email: a.email, password: a.password })).status, 200);
    } finally {
      client.close();
      bLive.close();
    }
  });

  test('duplicate login: the older console gets chatUserExists and is closed; the newer stays', async () => {
    const op = await createOperator(srv);
    const first = await connectOperator(srv, op.token);
    const again = await srv.api('POST', '/api/v1/auth/login', { email: op.email, password: op.password });
    const second = await connectOperator(srv, again.body.token);
    try {
      assert.deepEqual((await first.next('chatUserExists')).data, { operatorId: op.id });
      assert.equal((await first.disconnected).code, 4504);
      await new Promise((r) => setTimeout(r, 100));
      assert.equal(second.centrifuge.state, 'connected');
      assert.equal(second.all('chatUserExists').length, 0);
    } finally {
      second.close();
    }
  });

  test('expired and invalid tokens: 401 over REST, the protocol errors over the live channel', async () => {
    const op = await createOperator(srv);
    const expired = await srv.parley.tokens.issue({ operatorId: Number(op.id), companyId: srv.parley.companyId, role: 'OPERATOR', version: 0 }, -10);
    const res = await srv.api('GET', '/api/v1/sessions', undefined, { authorization: `Bearer ${expired}` });
    assert.equal(res.status, 401);
    assert.equal(res.body.error.code, 'TOKEN_EXPIRED');
    const garbage = await srv.api('GET', '/api/v1/sessions', undefined, { authorization: 'Bearer not.a.jwt' });
    assert.equal(garbage.body.error.code, 'UNAUTHORIZED');
    await assert.rejects(connectOperator(srv, 'not.a.jwt'), (err: { code?: number }) => err.code === 101);
    const refreshed = await srv.api('GET', `/api/v1/auth/refresh?refreshToken=${encodeURIComponent(op.refreshToken)}`);
    assert.equal(refreshed.status, 200);
    assert.equal((await srv.api('GET', `/api/v1/auth/refresh?refreshToken=${encodeURIComponent(op.refreshToken)}`)).status, 401, 'a refresh token works once');
    assert.equal((await as(srv, { token: refreshed.body.token })('GET', '/api/v1/operators/me')).body.id, op.id);
  });

  test('writing into a session: its operators may, a group member who has not taken it gets 403, an operator of another group 404', async () => {
    const { chatId } = await srv.createChat();
    const groupId = await createGroup(srv, { name: 'Writers', sessionLimit: 5, chatIds: [chatId] });
    const otherGroup = await createGroup(srv, { name: 'Elsewhere', sessionLimit: 5 });
    const member = await createOperator(srv, { name: 'Member', groupIds: [groupId] });
    const stranger = await createOperator(srv, { name: 'Stranger', groupIds: [otherGroup] });
    // Nobody is connected: the session waits in the help queue, visible to the group.
    const s = (await srv.api('POST', `/api/v1/chats/${chatId}/sessions`, {})).body.id;
    await srv.parley.settle();
    const early = await as(srv, member)('POST', `/api/v1/sessions/${s}/messages`, { body: 'before taking' });
    assert.equal(early.status, 403);
    assert.equal(early.body.error.code, 'FORBIDDEN');
    const outside = await as(srv, stranger)('POST', `/api/v1/sessions/${s}/messages`, { body: 'not mine' });
    assert.equal(outside.status, 404);
    assert.equal(outside.body.error.code, 'SESSION_NOT_FOUND');
    assert.equal((await as(srv, member)('POST', `/api/v1/sessions/${s}/take`)).status, 200);
    const sent = await as(srv, member)('POST', `/api/v1/sessions/${s}/messages`, { body: 'after taking' });
    assert.equal(sent.status, 201, JSON.stringify(sent.body));
    const bodies = (await srv.api('GET', `/api/v1/sessions/${s}/messages`)).body.items.map((m: { body: string }) => m.body);
    assert.ok(bodies.includes('after taking'));
    assert.ok(!bodies.includes('before taking') && !bodies.includes('not mine'), 'refused messages are not stored');
  });

  test('operator typing: participants and admins may type; the client and the other followers are told, the author and bystanders are not', async () => {
    const { chatId } = await srv.createChat({ settings: { operatorsBusyMessage: '' } });
    const groupId = await createGroup(srv, { name: 'Typists', sessionLimit: 5, chatIds: [chatId] });
    const holder = await createOperator(srv, { name: 'Holder', groupIds: [groupId] });
    const bystander = await createOperator(srv, { name: 'Bystander', groupIds: [groupId] });
    const admin = await createOperator(srv, { name: 'Typing Admin', role: 'ADMIN' });
    // Nobody is online: the session waits until the holder takes it.
    const s = (await srv.api('POST', `/api/v1/chats/${chatId}/sessions`, {})).body.id as string;
    await srv.parley.settle();
    assert.equal((await as(srv, holder)('POST', `/api/v1/sessions/${s}/take`)).status, 200);
    const [holderLive, bystanderLive, adminLive] = [await connectOperator(srv, holder.token), await connectOperator(srv, bystander.token), await connectOperator(srv, admin.token)];
    const client = await connectClient('v4', srv.url, s);
    try {
      await holderLive.centrifuge.rpc('typing', { sessionId: s });
      assert.deepEqual(await client.until('showTypingIndicatorEmit', () => true), { authorType: 'OPERATOR' });
      assert.deepEqual((await adminLive.next('typing')).data, { sessionId: s, authorType: 'OPERATOR', authorId: holder.id });
      // An admin may type in any session of the company; the holder hears it, and never its own.
      await adminLive.centrifuge.rpc('typing', { sessionId: s });
      assert.deepEqual((await holderLive.next('typing')).data, { sessionId: s, authorType: 'OPERATOR', authorId: admin.id });
      assert.equal(holderLive.all('typing').length, 1);
      assert.equal(adminLive.all('typing').length, 1);
      // A member of the group who does not hold the session may not type in it, and hears nothing of it.
      await assert.rejects(bystanderLive.centrifuge.rpc('typing', { sessionId: s }), (e: { code: number }) => e.code === 103);
      await assert.rejects(holderLive.centrifuge.rpc('typing', { sessionId: 'no-such-session' }), (e: { code: number }) => e.code === 102);
      await srv.parley.settle();
      srv.parley.live.publish(`operator:${bystander.id}`, { event: 'barrier', data: {} } as never);
      await bystanderLive.next('barrier');
      assert.deepEqual(bystanderLive.all('typing'), []);
      // Nobody types in a closed session.
      assert.equal((await as(srv, holder)('DELETE', `/api/v1/sessions/${s}`, { result: 'done' })).status, 200);
      await assert.rejects(holderLive.centrifuge.rpc('typing', { sessionId: s }), (e: { code: number }) => e.code === 400);
    } finally {
      client.close();
      for (const l of [holderLive, bystanderLive, adminLive]) l.close();
    }
  });

  test('companies are isolated: another company sees none of this one', async () => {
    const { chatId, botId } = await srv.createChat({ scenario: { start: 'a', nodes: { a: { type: 'question', text: 'hi', next: 'a' } } } });
    const groupId = await createGroup(srv, { name: 'Home', sessionLimit: 5, chatIds: [chatId] });
    const home = await createOperator(srv, { groupIds: [groupId] });
    const s = (await srv.api('POST', `/api/v1/chats/${chatId}/sessions`, {})).body.id;
    const db = srv.parley.ctx.db.kysely;
    const other = await insertCompany(db, 'Other Co', Date.now());
    const now = Date.now();
    await insertOperator(db, {
      company_id: other, email: `admin-${now}@other.test`, password_hash: await hashPassword('other-admin-pass'), name: 'Other Admin', role: 'ADMIN',
      avatar_file_id: null, status: 'OFFLINE', blocked: 0, token_version: 0, last_assigned_at: null, created_at: now, updated_at: now,
    });
    const login = await srv.api('POST', '/api/v1/auth/login', { email: `admin-${now}@other.test`, password: 'other-admin-pass' });
    const outsider = as(srv, { token: login.body.token });
    const otherLive = await connectOperator(srv, login.body.token);
    try {
      assert.equal((await outsider('GET', `/api/v1/sessions/${s}`)).body.error.code, 'SESSION_NOT_FOUND');
      assert.equal((await outsider('GET', `/api/v1/sessions/${s}/messages`)).body.error.code, 'SESSION_NOT_FOUND');
      assert.equal((await outsider('POST', `/api/v1/sessions/${s}/take`)).body.error.code, 'SESSION_NOT_FOUND');
      assert.equal((await outsider('POST', `/api/v1/sessions/${s}/messages`, { body: 'hi' })).body.error.code, 'SESSION_NOT_FOUND');
      assert.equal((await outsider('DELETE', `/api/v1/sessions/${s}`)).body.error.code, 'SESSION_NOT_FOUND');
      assert.equal((await outsider('GET', '/api/v1/sessions?view=all')).body.count, 0);
      await assert.rejects(otherLive.centrifuge.rpc('typing', { sessionId: s }), (e: { code: number }) => e.code === 102);
      assert.equal((await outsider('GET', `/api/v1/chats/${chatId}`)).body.error.code, 'CHAT_NOT_FOUND');
      assert.equal((await outsider('GET', `/api/v1/bots/${botId}`)).body.error.code, 'BOT_NOT_FOUND');
      assert.equal((await outsider('GET', `/api/v1/operators/${home.id}`)).body.error.code, 'OPERATOR_NOT_FOUND');
      assert.equal((await outsider('GET', `/api/v1/groups/${groupId}`)).body.error.code, 'GROUP_NOT_FOUND');
      assert.equal((await outsider('GET', '/api/v1/operators')).body.items.some((o: { id: string }) => o.id === home.id), false);
      const hijack = await outsider('PUT', `/api/v1/groups/${groupId}`, { name: 'mine now' });
      assert.equal(hijack.body.error.code, 'GROUP_NOT_FOUND');
      // Home-company activity sends nothing to the other company's admin.
      await srv.api('POST', `/api/v1/sessions/${s}/messages`, { body: 'private' });
      await srv.parley.settle();
      assert.deepEqual(otherLive.pubs, []);
    } finally {
      otherLive.close();
    }
  });
});
