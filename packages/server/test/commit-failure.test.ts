/**
 * A COMMIT that fails. One the database refuses stored nothing: the units of a shared
 * transaction run again on their own. One whose connection failed (PostgreSQL) may
 * have committed: it is looked up, and never run twice.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import SQLite from 'better-sqlite3';
import pg from 'pg';
import { sql } from 'kysely';
import { appendMessage } from '../src/commands/appendMessage.js';
import { forEachEngine, interceptCommit, startTestServer, type Engine, type TestServer } from './helpers/harness.js';

/** What the next COMMIT does instead of committing normally. */
type Fault = 'refused' | 'lost after committing' | 'lost before committing' | 'none';

const connectionLost = () => new Error('Connection terminated unexpectedly');
const refusal = (engine: Engine) =>
  engine === 'sqlite'
    ? new SQLite.SqliteError('database or disk is full', 'SQLITE_FULL')
    : new pg.DatabaseError('could not serialize access due to concurrent update', 0, 'error');

forEachEngine('a failing COMMIT', (engine) => {
  let srv: TestServer;
  let sessions: string[];
  let armed: Fault | null = null;
  let restore = () => {};
  /**
   * PostgreSQL: the next COMMIT is followed in its query by a statement that fails (the BEGIN of
   * `commit; begin` replaced, or one added to a COMMIT sent alone, as it is once a second).
   */
  let failAfterCommit = false;
  const realQuery = pg.Client.prototype.query;

  before(async () => {
    // Installed before the server connects: its pools' clients bind `query` when they are made.
    pg.Client.prototype.query = function (this: pg.Client, text: unknown, ...rest: unknown[]) {
      if (failAfterCommit && (text === 'commit; begin' || text === 'commit')) {
        failAfterCommit = false;
        text = 'commit; select 1 / 0';
      }
      return (realQuery as (...a: unknown[]) => unknown).call(this, text, ...rest);
    } as typeof realQuery;
    // No sweeps during the test: the only transactions are the test's.
    srv = await startTestServer(engine, { SESSION_SWEEP_INTERVAL_MS: '3600000' });
    const { chatId } = await srv.createChat();
    sessions = [];
    for (let i = 0; i < 4; i++) sessions.push((await srv.api('POST', `/api/v1/chats/${chatId}/sessions`, { clientName: `C${i}` })).body.id);
    await srv.parley.settle();
    restore = interceptCommit(engine, async (commit) => {
      const fault = armed;
      armed = null;
      if (fault === null || fault === 'none') return commit();
      // The transaction is still open on the two "before" faults: the caller rolls it back.
      if (fault === 'lost after committing') await commit();
      throw fault === 'refused' ? refusal(engine) : connectionLost();
    });
  });
  after(async () => {
    pg.Client.prototype.query = realQuery;
    restore();
    await srv.close();
  });

  const stored = async (body: string) =>
    (await srv.parley.ctx.db.kysely.selectFrom('messages').select(['id', 'session_id']).where('body', '=', body).execute());
  const announced = (body: string) =>
    srv.events.filter((e) => e.type === 'message.created' && e.message.body === body).map((e) => (e as { message: { id: string } }).message.id);

  /** Each unit succeeded with a message stored once, in its session, and announced once. */
  async function assertEachStoredOnce(settled: PromiseSettledResult<unknown>[], tag: string) {
    assert.deepEqual(settled.map((s) => s.status), sessions.map(() => 'fulfilled'));
    for (let i = 0; i < sessions.length; i++) {
      const rows = await stored(`${tag} ${i}`);
      assert.equal(rows.length, 1, `${tag} ${i} stored once`);
      assert.equal(rows[0]!.session_id, sessions[i]);
      assert.equal((settled[i] as PromiseFulfilledResult<{ id: string }>).value.id, rows[0]!.id, 'answered with the stored row');
      assert.deepEqual(announced(`${tag} ${i}`), [rows[0]!.id], 'announced once');
    }
  }

  /**
   * Appends one message to each session in units that share one transaction (a first
   * unit holds the queue until the others are in it); `fault` hits that transaction's COMMIT.
   */
  async function sharedCommit(fault: Fault, tag: string): Promise<PromiseSettledResult<unknown>[]> {
    const { ctx } = srv.parley;
    let open!: () => void;
    const gate = new Promise<void>((resolve) => (open = resolve));
    const holder = ctx.uow.batch(() => gate);
    let toArm: Fault | null = fault; // once: a unit may run again
    const units = sessions.map((id, i) =>
      // One statement each, as a plain client message: on PostgreSQL they run together.
      ctx.uow.batch(async (tx) => {
        if (i === 0) [armed, toArm] = [toArm, null];
        return appendMessage(ctx, tx, { id }, { authorType: 'CLIENT', body: `${tag} ${i}` });
      }, { oneStatement: true }));
    open();
    await holder;
    const settled = await Promise.allSettled(units);
    await srv.parley.settle();
    return settled;
  }

  /**
   * SQLite: once everything is delivered, the delivery cursor stands at the newest message. The
   * rowids of a rolled-back transaction are used again by the messages stored after it; had the
   * cursor counted them as stored, it would pass those messages before they are delivered.
   */
  async function assertCursorAtNewest() {
    if (engine !== 'sqlite') return;
    const { kysely } = srv.parley.ctx.db;
    const cursor = await kysely.selectFrom('delivery_cursor').select('message_rowid').executeTakeFirstOrThrow();
    const newest = await sql<{ rowid: number }>`select max(rowid) as rowid from messages`.execute(kysely);
    assert.equal(cursor.message_rowid, newest.rows[0]!.rowid, 'the delivery cursor at the newest message');
  }

  test('refused: nothing was stored, so each unit runs again on its own and is stored once', async () => {
    await assertEachStoredOnce(await sharedCommit('refused', 'refused'), 'refused');
    assert.equal(armed, null, 'the fault was hit');
    await assertCursorAtNewest();
  });

  test('refused, and one unit fails when run again: the others are stored once, and the delivery cursor counts only what was stored', async () => {
    const { ctx } = srv.parley;
    let open!: () => void;
    const gate = new Promise<void>((resolve) => (open = resolve));
    const holder = ctx.uow.batch(() => gate);
    let toArm: Fault | null = 'refused';
    let runs = 0;
    const units = sessions.map((id, i) =>
      ctx.uow.batch(async (tx) => {
        if (i === 0) [armed, toArm] = [toArm, null];
        if (i === 1 && ++runs > 1) throw new Error('second run refused');
        return appendMessage(ctx, tx, { id }, { authorType: 'CLIENT', body: `rerun ${i}` });
      }));
    open();
    await holder;
    const settled = await Promise.allSettled(units);
    await srv.parley.settle();
    assert.equal(armed, null, 'the fault was hit');
    assert.deepEqual(settled.map((r) => r.status), ['fulfilled', 'rejected', 'fulfilled', 'fulfilled']);
    for (const i of [0, 2, 3]) assert.equal((await stored(`rerun ${i}`)).length, 1, `rerun ${i} stored once`);
    assert.equal((await stored('rerun 1')).length, 0);
    // The rolled-back transaction held four rowids; three messages were stored in them.
    await assertCursorAtNewest();
    // The next message takes the fourth: delivered, and only then counted.
    const next = await srv.api('POST', `/api/v1/sessions/${sessions[1]}/messages`, { body: 'after the rerun' });
    assert.equal(next.status, 201);
    await srv.parley.settle();
    assert.deepEqual(announced('after the rerun'), [next.body.id]);
    await assertCursorAtNewest();
  });

  test('the last write refused (the outbox INSERT; on SQLite the message INSERT, the record of a transaction of messages): nothing of the transaction is stored, the other units run again and are stored once', async () => {
    // PostgreSQL: a trigger refuses the outbox row of any transaction with a message of session 1
    // (the row names the session). The COMMIT is already on its way behind the INSERT when the
    // refusal comes back, and must roll the whole transaction back. SQLite: a transaction of
    // messages only writes no outbox row; the trigger refuses the message of session 1, which
    // the shared transaction writes after another unit's.
    const { kysely } = srv.parley.ctx.db;
    const refused = sql.lit(`%${sessions[1]}%`);
    if (engine === 'sqlite') {
      await sql`create trigger refuse_outbox before insert on messages when new.session_id like ${refused} begin select raise(abort, 'outbox row refused'); end`.execute(kysely);
    } else {
      await sql`create function refuse_outbox() returns trigger language plpgsql as $$ begin if new.payload like ${refused} then raise exception 'outbox row refused'; end if; return new; end $$`.execute(kysely);
      await sql`create trigger refuse_outbox before insert on outbox for each row execute function refuse_outbox()`.execute(kysely);
    }
    try {
      const { ctx } = srv.parley;
      let open!: () => void;
      const gate = new Promise<void>((resolve) => (open = resolve));
      const holder = ctx.uow.batch(() => gate);
      const units = sessions.map((id, i) =>
        ctx.uow.batch((tx) => appendMessage(ctx, tx, { id }, { authorType: 'CLIENT', body: i === 1 ? 'outbox refuse-me' : `outbox ${i}` })));
      open();
      await holder;
      const settled = await Promise.allSettled(units);
      await srv.parley.settle();
      assert.equal(settled[1]!.status, 'rejected', 'the unit whose outbox row is refused fails');
      assert.match(String((settled[1] as PromiseRejectedResult).reason), /outbox row refused/);
      assert.equal((await stored('outbox refuse-me')).length, 0, 'nothing of it is stored');
      assert.deepEqual(announced('outbox refuse-me'), []);
      for (const i of [0, 2, 3]) {
        assert.equal(settled[i]!.status, 'fulfilled');
        const rows = await stored(`outbox ${i}`);
        assert.deepEqual(rows.map((r) => r.session_id), [sessions[i]], `outbox ${i} stored once`);
        assert.deepEqual(announced(`outbox ${i}`), [rows[0]!.id], 'announced once');
      }
      // The connections are usable afterwards: the next message is stored.
      const next = await srv.api('POST', `/api/v1/sessions/${sessions[2]}/messages`, { body: 'after the refusal' });
      assert.equal(next.status, 201);
      assert.equal((await stored('after the refusal')).length, 1);
      await srv.parley.settle();
      await assertCursorAtNewest();
    } finally {
      await sql`drop trigger refuse_outbox${sql.raw(engine === 'postgres' ? ' on outbox' : '')}`.execute(kysely);
    }
  });

  test('a unit that leaves a statement in flight: the outbox INSERT still goes before the COMMIT, stored and announced once', async () => {
    // The INSERT then waits for that statement, so it is not on the connection when the unit of
    // work would send the COMMIT behind it: the unit of work must wait for it instead.
    const { ctx } = srv.parley;
    const row = await ctx.uow.batch(async (tx) => {
      const appended = await appendMessage(ctx, tx, { id: sessions[2]! }, { authorType: 'CLIENT', body: 'in flight' });
      void tx.db.selectFrom('sessions').select('id').where('id', '=', sessions[2]!).execute().catch(() => undefined);
      return appended;
    });
    await srv.parley.settle();
    assert.deepEqual((await stored('in flight')).map((r) => r.id), [row.id]);
    assert.deepEqual(announced('in flight'), [row.id]);
  });

  if (engine === 'postgres') {
    test('connection lost after the COMMIT took effect: the units succeed, stored and announced once', async () => {
      await assertEachStoredOnce(await sharedCommit('lost after committing', 'committed'), 'committed');
      assert.equal(armed, null, 'the fault was hit');
    });

    test('the COMMIT took effect and the statement after it in the same query failed: the units succeed, stored and announced once', async () => {
      failAfterCommit = true;
      await assertEachStoredOnce(await sharedCommit('none', 'after commit'), 'after commit');
      assert.equal(failAfterCommit, false, 'the fault was hit');
      // The connection begins its next transaction for real: the next message is stored.
      const next = await srv.api('POST', `/api/v1/sessions/${sessions[0]}/messages`, { body: 'after the failed begin' });
      assert.equal(next.status, 201);
      assert.equal((await stored('after the failed begin')).length, 1);
    });

    test('connection lost before the COMMIT: the units fail with UNAVAILABLE and are not run again', async () => {
      const settled = await sharedCommit('lost before committing', 'lost');
      for (const s of settled) {
        assert.equal(s.status, 'rejected');
        assert.equal((s as PromiseRejectedResult).reason.code, 'UNAVAILABLE');
      }
      for (let i = 0; i < sessions.length; i++) assert.equal((await stored(`lost ${i}`)).length, 0);
      assert.deepEqual(srv.events.filter((e) => e.type === 'message.created' && e.message.body.startsWith('lost ')), []);
    });

    test('over REST: 503 UNAVAILABLE when the outcome is unknown; the retry with the same Idempotency-Key stores it once', async () => {
      const post = () => srv.api('POST', `/api/v1/sessions/${sessions[0]}/messages`, { body: 'retried' }, { 'idempotency-key': 'k-retried' });
      armed = 'lost before committing';
      const first = await post();
      assert.equal(first.status, 503);
      assert.equal(first.body.error.code, 'UNAVAILABLE');
      assert.equal((await stored('retried')).length, 0);
      const second = await post();
      assert.equal(second.status, 201);
      armed = 'lost after committing';
      const committed = await srv.api('POST', `/api/v1/sessions/${sessions[0]}/messages`, { body: 'committed anyway' });
      assert.equal(committed.status, 201, 'the COMMIT took effect, so the request succeeded');
      await srv.parley.settle();
      assert.deepEqual((await stored('retried')).map((r) => r.id), [second.body.id]);
      assert.deepEqual((await stored('committed anyway')).map((r) => r.id), [committed.body.id]);
      assert.deepEqual(announced('committed anyway'), [committed.body.id]);
    });
  }
});
