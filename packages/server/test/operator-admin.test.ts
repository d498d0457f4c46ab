/** Administration, co-operators, group transfers, spam, and the timers (idle operators, expiry) across restarts. */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { connectClient } from './helpers/clients.js';
import { ManualClock, eventually, forEachEngine, startTestServer, type TestServer } from './helpers/harness.js';
import { as, connectOperator, createGroup, createOperator } from './helpers/operators.js';

forEachEngine('operator administration and timers', (engine) => {
  let srv: TestServer;
  const clock = new ManualClock();
  before(async () => {
    srv = await startTestServer(engine, { SESSION_SWEEP_INTERVAL_MS: '100' }, clock);
  });
  after(() => srv.close());

  test('operators and groups: create, validate, duplicate e-mail, admin-only changes, colleagues visible', async () => {
    const admin = await createOperator(srv, { role: 'ADMIN' });
    const op = await createOperator(srv);
    const bad = await as(srv, admin)('POST', '/api/v1/operators', { email: 'not-an-email', name: '', password: 'short' });
    assert.equal(bad.status, 400);
    const paths = bad.body.error.details.map((d: { path: string }) => d.path);
    for (const p of ['/email', '/name', '/password']) assert.ok(paths.includes(p), `${p} in ${paths}`);
    const dup = await as(srv, admin)('POST', '/api/v1/operators', { email: op.email.toUpperCase(), name: 'Dup', password: 'long-enough-password' });
    assert.equal(dup.status, 409);
    assert.equal(dup.body.error.code, 'EMAIL_TAKEN');
    const noPassword = await as(srv, admin)('POST', '/api/v1/operators', { email: `np-${Date.now()}@x.test`, name: 'No password' });
    assert.equal(noPassword.body.error.code, 'VALIDATION_FAILED');
    // Operators may list colleagues and groups but not change them.
    assert.equal((await as(srv, op)('GET', '/api/v1/operators')).status, 200);
    assert.equal((await as(srv, op)('POST', '/api/v1/groups', { name: 'Mine' })).body.error.code, 'FORBIDDEN');
    assert.equal((await as(srv, op)('PATCH', `/api/v1/operators/${admin.id}/block`)).body.error.code, 'FORBIDDEN');
    const g = await as(srv, admin)('POST', '/api/v1/groups', { name: 'VIP', sessionLimit: 2, timerFirstAnswer: 30, timerNextAnswers: 45, operatorIds: [op.id] });
    assert.equal(g.status, 201);
    assert.deepEqual({ ...g.body, chatIds: [] }, { id: g.body.id, name: 'VIP', timerFirstAnswer: 30, timerNextAnswers: 45, sessionLimit: 2, operatorIds: [op.id], chatIds: [] });
    assert.equal((await as(srv, admin)('PUT', `/api/v1/groups/${g.body.id}`, { name: 'VIP', operatorIds: ['999999'] })).body.error.code, 'OPERATOR_NOT_FOUND');
    const me = await as(srv, op)('GET', '/api/v1/operators/me');
    assert.deepEqual(me.body.groupIds, [g.body.id]);
    assert.equal(me.body.status, 'ACTIVE');
    // A new password revokes the old tokens and closes the live connection.
    const live = await connectOperator(srv, op.token);
    assert.equal((await as(srv, admin)('PUT', `/api/v1/operators/${op.id}`, { email: op.email, name: 'Renamed', password: 'a-brand-new-password' })).status, 200);
    assert.equal((await as(srv, op)('GET', '/api/v1/operators/me')).body.error.code, 'TOKEN_REVOKED');
    assert.equal((await live.disconnected).code, 4505);
    // Duplicate ids in a body are one id, not an error.
    const twice = await as(srv, admin)('PUT', `/api/v1/groups/${g.body.id}`, { name: 'VIP', operatorIds: [op.id, op.id, Number(op.id)] });
    assert.deepEqual(twice.body.operatorIds, [op.id]);
  });

  test('co-operators, transfer to a group, spam', async () => {
    const { chatId } = await srv.createChat({ settings: { operatorsBusyMessage: '' } });
    const front = await createGroup(srv, { name: 'Front', sessionLimit: 5, chatIds: [chatId] });
    const experts = await createGroup(srv, { name: 'Experts', sessionLimit: 5 });
    const a = await createOperator(srv, { groupIds: [front] });
    const e = await createOperator(srv, { groupIds: [experts] });
    const aLive = await connectOperator(srv, a.token);
    const eLive = await connectOperator(srv, e.token);
    try {
      const s = (await srv.api('POST', `/api/v1/chats/${chatId}/sessions`, {})).body.id;
      await aLive.next('chatSessionAdded', (p) => p.data.id === s);
      assert.equal((await as(srv, a)('PUT', `/api/v1/sessions/${s}/operators/${e.id}`)).status, 200);
      const added = await eLive.next('chatSessionAdded', (p) => p.data.id === s);
      assert.deepEqual(added.data.operators.map((o: { id: string; type: string }) => [o.id, o.type]), [[a.id, 'PRIMARY'], [e.id, 'CO']]);
      // The co-operator may write; the client gets it.
      assert.equal((await as(srv, e)('POST', `/api/v1/sessions/${s}/messages`, { body: 'expert here' })).status, 201);
      assert.equal((await as(srv, a)('DELETE', `/api/v1/sessions/${s}/operators/${e.id}`)).status, 200);
      assert.deepEqual((await eLive.next('chatSessionDeleted', (p) => p.data.sessionId === s)).data, { sessionId: s, reason: 'REMOVED' });
      assert.equal((await as(srv, e)('POST', `/api/v1/sessions/${s}/messages`, { body: 'no longer' })).body.error.code, 'SESSION_NOT_FOUND');
      // Transfer to the experts group: routed to its member.
      assert.equal((await as(srv, a)('PATCH', `/api/v1/sessions/${s}/groupoperators/${experts}`)).status, 200);
      const moved = await eLive.next('chatSessionAdded', (p) => p.data.id === s && p.data.operatorId === e.id);
      assert.equal(moved.data.groupId, experts);
      // The session now belongs to the experts: the front desk no longer sees it.
      assert.equal((await as(srv, a)('GET', `/api/v1/sessions/${s}`)).body.error.code, 'SESSION_NOT_FOUND');
      assert.equal(moved.data.timerFirstAnswer, 60);
      assert.deepEqual((await aLive.next('chatSessionDeleted', (p) => p.data.sessionId === s && p.data.reason !== 'REMOVED')).data, { sessionId: s, reason: 'RETURNED' });
      assert.equal((await as(srv, e)('PATCH', `/api/v1/sessions/${s}/spam`)).status, 200);
      const listed = await as(srv, e)('GET', '/api/v1/sessions?view=mine&markedAsSpam=true');
      assert.deepEqual(listed.body.items.map((x: { id: string }) => x.id), [s]);
    } finally {
      aLive.close();
      eLive.close();
    }
  });

  test('an idle operator loses the session to another; timers keep running across a restart', async () => {
    const { chatId } = await srv.createChat({ settings: { allowableOperatorIdleTime: 60, operatorsBusyMessage: '' } });
    const groupId = await createGroup(srv, { name: 'Idle', sessionLimit: 5, chatIds: [chatId] });
    const slow = await createOperator(srv, { groupIds: [groupId] });
    const quick = await createOperator(srv, { groupIds: [groupId] });
    const slowLive = await connectOperator(srv, slow.token);
    const s = (await srv.api('POST', `/api/v1/chats/${chatId}/sessions`, { sessionTtl: 600 })).body.id;
    await slowLive.next('chatSessionAdded', (p) => p.data.id === s);
    const quickLive = await connectOperator(srv, quick.token);
    const client = await connectClient('v2', srv.url, s);
    try {
      await srv.api('POST', `/api/v1/sessions/${s}/messages`, { body: 'hello? anyone?' });
      clock.advance(61_000);
      await quickLive.next('chatSessionAdded', (p) => p.data.id === s);
      assert.deepEqual((await slowLive.next('chatSessionDeleted', (p) => p.data.sessionId === s)).data, { sessionId: s, reason: 'RETURNED' });
      const change = await client.next('operatorChangedEmit');
      assert.equal(change.operatorId, quick.id);
      assert.equal(change.previousOperatorId, slow.id);
      // An answer stops the idle clock: the session stays with `quick`.
      await as(srv, quick)('POST', `/api/v1/sessions/${s}/messages`, { body: 'here!' });
      clock.advance(61_000);
      await new Promise((r) => setTimeout(r, 400));
      const row = await srv.parley.ctx.db.kysely.selectFrom('sessions').select('operator_id').where('id', '=', s).executeTakeFirstOrThrow();
      assert.equal(String(row.operator_id), quick.id);
    } finally {
      client.close();
      slowLive.close();
      quickLive.close();
    }
    // The ttl clock lives in the database: after a restart the session still expires on time.
    await srv.restart();
    clock.advance(600_000);
    await eventually(async () => {
      const r = await srv.parley.ctx.db.kysely.selectFrom('sessions').select(['status', 'result']).where('id', '=', s).executeTakeFirstOrThrow();
      return r.status === 'CLOSED' ? r : undefined;
    }, 5000, 'expiry after restart');
  });
});
