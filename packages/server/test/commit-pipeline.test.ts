/**
 * Group commit's pipelining. On PostgreSQL the next batch starts while the previous one's
 * COMMIT is in flight (at most two transactions open, one being built); on SQLite, whose one
 * connection is synchronous, a batch starts only after the previous one has committed.
 * Events are delivered, and units answered, as each COMMIT returns; a batch that touches a
 * row the committing one holds waits for it, so it cannot commit, or be announced, first.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { appendMessage } from '../src/commands/appendMessage.js';
import type { MessageRow } from '../src/persistence/schema.js';
import { forEachEngine, interceptCommit, startTestServer, type TestServer } from './helpers/harness.js';

interface Deferred {
  promise: Promise<void>;
  resolve: () => void;
}
function deferred(): Deferred {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

/** Resolves true if `p` settles within `ms`, else false. */
const settlesWithin = (p: Promise<unknown>, ms: number) =>
  Promise.race([p.then(() => true, () => true), new Promise<boolean>((r) => setTimeout(() => r(false), ms))]);

forEachEngine('group commit pipelining', (engine) => {
  let srv: TestServer;
  let sessions: string[];
  let restore = () => {};
  /** COMMITs to hold: each is reported as reached and proceeds when released. */
  const holds: { reached: Deferred; release: Deferred }[] = [];

  before(async () => {
    srv = await startTestServer(engine, { SESSION_SWEEP_INTERVAL_MS: '3600000' });
    const { chatId } = await srv.createChat();
    sessions = [];
    for (let i = 0; i < 3; i++) sessions.push((await srv.api('POST', `/api/v1/chats/${chatId}/sessions`, { clientName: `P${i}` })).body.id);
    await srv.parley.settle();
    restore = interceptCommit(engine, async (commit) => {
      const hold = holds.shift();
      if (hold) {
        hold.reached.resolve();
        await hold.release.promise;
      }
      return commit();
    });
  });
  after(async () => {
    restore();
    await srv.close();
  });

  const holdNextCommit = () => {
    const h = { reached: deferred(), release: deferred() };
    holds.push(h);
    return h;
  };
  /** A unit appending `body` to `session`; `started` resolves when the unit begins. */
  const unit = (session: string, body: string) => {
    const started = deferred();
    const answered = srv.parley.ctx.uow.batch(async (tx) => {
      started.resolve();
      return appendMessage(srv.parley.ctx, tx, { id: session }, { authorType: 'CLIENT', body });
    });
    return { started: started.promise, answered };
  };
  const announcedOrder = (prefix: string) =>
    srv.events.flatMap((e) => (e.type === 'message.created' && e.message.body.startsWith(prefix) ? [e.message.body] : []));

  test(engine === 'postgres'
    ? 'the next batch runs while the previous COMMIT is in flight, and commits first when independent'
    : 'the next batch waits until the previous COMMIT has returned', async () => {
    const holdA = holdNextCommit();
    const a = unit(sessions[0]!, 'indep A');
    await holdA.reached.promise;
    const b = unit(sessions[1]!, 'indep B');
    if (engine === 'postgres') {
      assert.equal(await settlesWithin(b.started, 2000), true, 'B started while A was committing');
      const bRow = await b.answered;
      assert.equal(await settlesWithin(a.answered, 50), false, 'A is not answered before its COMMIT returns');
      assert.equal(bRow.body, 'indep B');
      await srv.parley.settle();
      assert.deepEqual(announcedOrder('indep '), ['indep B'], 'B is announced at its own COMMIT');
      holdA.release.resolve();
      await a.answered;
      await srv.parley.settle();
      assert.deepEqual(announcedOrder('indep '), ['indep B', 'indep A']);
    } else {
      assert.equal(await settlesWithin(b.started, 200), false, 'B waits for A');
      holdA.release.resolve();
      await a.answered;
      await b.answered;
      await srv.parley.settle();
      assert.deepEqual(announcedOrder('indep '), ['indep A', 'indep B']);
    }
  });

  if (engine === 'postgres') {
    test('a batch touching the committing one\'s session waits for that COMMIT: stored and announced in order', async () => {
      const holdA = holdNextCommit();
      const a = unit(sessions[2]!, 'same A');
      await holdA.reached.promise;
      const b = unit(sessions[2]!, 'same B');
      assert.equal(await settlesWithin(b.started, 2000), true, 'B started');
      assert.equal(await settlesWithin(b.answered, 200), false, 'B waits on the session row A holds');
      holdA.release.resolve();
      const [aRow, bRow] = await Promise.all([a.answered, b.answered]) as [MessageRow, MessageRow];
      assert.equal(bRow.seq, aRow.seq + 1);
      await srv.parley.settle();
      assert.deepEqual(announcedOrder('same '), ['same A', 'same B']);
    });

    test('at most two transactions are open: a third batch waits until one of them commits', async () => {
      const holdA = holdNextCommit();
      const holdB = holdNextCommit();
      const a = unit(sessions[0]!, 'three A');
      await holdA.reached.promise;
      const b = unit(sessions[1]!, 'three B');
      await holdB.reached.promise;
      const c = unit(sessions[2]!, 'three C');
      assert.equal(await settlesWithin(c.started, 200), false, 'C waits while A and B are both committing');
      holdB.release.resolve();
      await b.answered;
      assert.equal(await settlesWithin(c.started, 2000), true, 'C starts once B has committed');
      await c.answered;
      holdA.release.resolve();
      await a.answered;
      await srv.parley.settle();
      assert.deepEqual(announcedOrder('three '), ['three B', 'three C', 'three A']);
    });
  }
});
