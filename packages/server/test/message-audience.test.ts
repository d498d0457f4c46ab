/**
 * Who is told of a new message in an assigned session: its operators and the company's
 * admins, none of them blocked; not the other operators of its group. On PostgreSQL the
 * message's own statement reads that audience as it stores the message (no read at delivery),
 * so both paths are held to the same answer.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { eventually, forEachEngine, startTestServer, type TestServer } from './helpers/harness.js';
import { as, connectOperator, createGroup, createOperator } from './helpers/operators.js';
import { assignedAudiences, sessionAudience } from '../src/persistence/repos/routing.js';

forEachEngine('a new message’s audience', (engine) => {
  let srv: TestServer;
  let chatId: string;
  before(async () => {
    srv = await startTestServer(engine);
    chatId = (await srv.createChat()).chatId;
  });
  after(() => srv.close());

  test('the session’s operators and the unblocked admins get it; the rest of the group does not', async () => {
    const groupId = await createGroup(srv, { name: 'Audience', sessionLimit: 5, chatIds: [chatId] });
    const admin = await createOperator(srv, { role: 'ADMIN', name: 'Admin' });
    const blockedAdmin = await createOperator(srv, { role: 'ADMIN', name: 'Blocked admin' });
    const a = await createOperator(srv, { name: 'A', groupIds: [groupId] });
    const b = await createOperator(srv, { name: 'B', groupIds: [groupId] });
    const co = await createOperator(srv, { name: 'Co', groupIds: [] });
    assert.equal((await as(srv, admin)('PATCH', `/api/v1/operators/${blockedAdmin.id}/block`)).status, 200);

    // Only A is online: the session is A's.
    const aLive = await connectOperator(srv, a.token);
    const session: string = (await srv.api('POST', `/api/v1/chats/${chatId}/sessions`, { clientName: 'Audience' })).body.id;
    await aLive.next('chatSessionAdded', (p) => p.data.id === session);
    const adminLive = await connectOperator(srv, admin.token);
    const bLive = await connectOperator(srv, b.token);
    const coLive = await connectOperator(srv, co.token);
    // A co-operator takes part too.
    const invited = await as(srv, a)('PUT', `/api/v1/sessions/${session}/operators/${co.id}`);
    assert.equal(invited.status, 200, JSON.stringify(invited.body));
    await coLive.next('chatSessionAdded', (p) => p.data.id === session);

    const fromClient = await srv.api('POST', `/api/v1/sessions/${session}/messages`, { body: 'to whom it may concern' });
    const fromOperator = await as(srv, a)('POST', `/api/v1/sessions/${session}/messages`, { body: 'an answer' });
    for (const [m, text] of [[fromClient, 'to whom it may concern'], [fromOperator, 'an answer']] as const) {
      assert.equal(m.status, 201);
      const got = [];
      for (const live of [aLive, adminLive, coLive]) got.push(await live.next('chatMessageCreated', (p) => p.data.id === m.body.id));
      // One publication, serialised once for the audience: each receives the same event.
      assert.equal(got[0].data.body, text);
      assert.deepEqual(got[1], got[0]);
      assert.deepEqual(got[2], got[0]);
    }
    await srv.parley.settle();
    // B received everything published to it by now (its channel is served in order): later
    // events reached the others, and B's own channel had nothing for these messages.
    const ids = new Set([fromClient.body.id, fromOperator.body.id]);
    assert.deepEqual(bLive.all('chatMessageCreated').filter((p) => ids.has(p.data.id)), []);

    const expected = [a.id, admin.id, co.id].map(Number).sort((x, y) => x - y);
    for (const m of [fromClient, fromOperator]) {
      const e = await eventually(() => srv.events.find((ev) => ev.type === 'message.created' && ev.message.id === m.body.id));
      assert.equal(e.type, 'message.created');
      if (e.type !== 'message.created') return;
      if (engine === 'postgres') assert.deepEqual([...(e.audience ?? [])].sort((x, y) => x - y), expected, 'read by the message’s statement');
      else assert.equal(e.audience, undefined, 'read at delivery');
    }
  });

  test('every audience query leaves blocked operators out and adds nobody from elsewhere', async () => {
    const chat = (await srv.createChat()).chatId;
    const g1 = await createGroup(srv, { name: 'Queue 1', sessionLimit: 5, chatIds: [chat] });
    const g2 = await createGroup(srv, { name: 'Queue 2', sessionLimit: 5, chatIds: [chat] });
    const elsewhere = await createGroup(srv, { name: 'Elsewhere', sessionLimit: 5, chatIds: [] });
    const admin = await createOperator(srv, { role: 'ADMIN', name: 'Queue admin' });
    const blockedAdmin = await createOperator(srv, { role: 'ADMIN', name: 'Queue blocked admin' });
    const p = await createOperator(srv, { name: 'P', groupIds: [g1, g2] });
    const q = await createOperator(srv, { name: 'Q', groupIds: [g1] });
    const r = await createOperator(srv, { name: 'R', groupIds: [g2] });
    const co = await createOperator(srv, { name: 'Co', groupIds: [elsewhere] });
    const out = await createOperator(srv, { name: 'Out', groupIds: [elsewhere] });
    for (const op of [blockedAdmin, q]) assert.equal((await as(srv, admin)('PATCH', `/api/v1/operators/${op.id}/block`)).status, 200);

    // P, the only one online, takes the session; Co is invited into it.
    const pLive = await connectOperator(srv, p.token);
    const session: string = (await srv.api('POST', `/api/v1/chats/${chat}/sessions`, { clientName: 'Queues' })).body.id;
    await pLive.next('chatSessionAdded', (x) => x.data.id === session);
    assert.equal((await as(srv, p)('PUT', `/api/v1/sessions/${session}/operators/${co.id}`)).status, 200);
    await srv.parley.settle();

    const db = srv.parley.ctx.db.delivery;
    const companyId = srv.parley.companyId;
    const s = { id: session, company_id: companyId, chat_id: chat, group_id: null, bot_status: 'OPERATOR' as const };
    const check = (what: string, got: Set<number>, included: { id: string }[]) => {
      for (const op of included) assert.ok(got.has(Number(op.id)), `${what}: ${op.id} is in it`);
      for (const op of [blockedAdmin, q, r, co, out, p, admin].filter((o) => !included.includes(o))) assert.ok(!got.has(Number(op.id)), `${what}: ${op.id} is not`);
    };
    check('assigned', await sessionAudience(db, s), [p, co, admin]);
    check('waiting in the chat', await sessionAudience(db, { ...s, bot_status: 'WAITING' }), [p, co, admin, r]);
    check('waiting in group 1', await sessionAudience(db, { ...s, bot_status: 'HELP', group_id: g1 }), [p, co, admin]);
    check('waiting in group 2', await sessionAudience(db, { ...s, bot_status: 'HELP', group_id: g2 }), [p, co, admin, r]);
    const several = await assignedAudiences(db, companyId, [session, 'no-such-session']);
    check('assigned, read with another session', several.get(session)!, [p, co, admin]);
    check('a session without operators', several.get('no-such-session')!, [admin]);
  });

  test('an admin who takes the session is told of each message once', async () => {
    const chat = (await srv.createChat()).chatId;
    const group = await createGroup(srv, { name: 'Admins take sessions too', sessionLimit: 5, chatIds: [chat] });
    const boss = await createOperator(srv, { role: 'ADMIN', name: 'Taking admin', groupIds: [group] });
    const live = await connectOperator(srv, boss.token);
    const session: string = (await srv.api('POST', `/api/v1/chats/${chat}/sessions`, { clientName: 'Once' })).body.id;
    await live.next('chatSessionAdded', (p) => p.data.id === session);
    const row = await srv.parley.ctx.db.kysely.selectFrom('sessions').select('operator_id').where('id', '=', session).executeTakeFirstOrThrow();
    assert.equal(String(row.operator_id), String(boss.id), 'the admin holds the session');

    const m = await srv.api('POST', `/api/v1/sessions/${session}/messages`, { body: 'once' });
    assert.equal(m.status, 201);
    await live.next('chatMessageCreated', (p) => p.data.id === m.body.id);
    await srv.parley.settle();
    // An admin and an operator of the session: named by both parts of the audience, told once.
    assert.equal(live.all('chatMessageCreated').filter((p) => p.data.id === m.body.id).length, 1);
    const e = await eventually(() => srv.events.find((ev) => ev.type === 'message.created' && ev.message.id === m.body.id));
    if (engine === 'postgres' && e.type === 'message.created') assert.ok(e.audience?.includes(Number(boss.id)), JSON.stringify(e.audience));
  });
});
