/**
 * Group commit, one transaction at a time, on both engines: the next batch starts once the
 * previous one's COMMIT has returned, and every unit queued meanwhile shares it. Units are
 * answered, and their events delivered, when their own COMMIT returns.
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

forEachEngine('group commit, one transaction at a time', (engine) => {
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
  /** A unit appending `body` to `session`; `started` resolves with the unit's transaction when it begins. */
  const unit = (session: string, body: string) => {
    let startedWith!: (trx: unknown) => void;
    const started = new Promise<unknown>((r) => (startedWith = r));
    const answered = srv.parley.ctx.uow.batch(async (tx) => {
      startedWith(tx.db);
      return appendMessage(srv.parley.ctx, tx, { id: session }, { authorType: 'CLIENT', body });
    });
    return { started, answered };
  };
  const announcedOrder = (prefix: string) =>
    srv.events.flatMap((e) => (e.type === 'message.created' && e.message.body.startsWith(prefix) ? [e.message.body] : []));

  test('the next batch waits until the previous COMMIT has returned, then takes every unit queued meanwhile', async () => {
    const holdA = holdNextCommit();
    const a = unit(sessions[0]!, 'wait A');
    const aTrx = await a.started;
    await holdA.reached.promise;
    const b = unit(sessions[1]!, 'wait B');
    const c = unit(sessions[2]!, 'wait C');
    assert.equal(await settlesWithin(b.started, 200), false, 'B waits while A is committing');
    assert.equal(await settlesWithin(a.answered, 50), false, 'A is not answered before its COMMIT returns');
    holdA.release.resolve();
    await a.answered;
    const [bTrx, cTrx] = await Promise.all([b.started, c.started]);
    assert.notEqual(bTrx, aTrx);
    assert.equal(cTrx, bTrx, 'B and C, queued during A\'s COMMIT, share the next transaction');
    const [bRow, cRow] = await Promise.all([b.answered, c.answered]) as [MessageRow, MessageRow];
    assert.deepEqual([bRow.body, cRow.body], ['wait B', 'wait C']);
    await srv.parley.settle();
    assert.deepEqual(announcedOrder('wait '), ['wait A', 'wait B', 'wait C']);
  });

  test('messages of one session queued during a COMMIT are stored and announced in order', async () => {
    const holdA = holdNextCommit();
    const a = unit(sessions[2]!, 'same A');
    await holdA.reached.promise;
    const b = unit(sessions[2]!, 'same B');
    const c = unit(sessions[2]!, 'same C');
    holdA.release.resolve();
    const [aRow, bRow, cRow] = await Promise.all([a.answered, b.answered, c.answered]) as [MessageRow, MessageRow, MessageRow];
    assert.deepEqual([bRow.seq, cRow.seq], [aRow.seq + 1, aRow.seq + 2]);
    await srv.parley.settle();
    assert.deepEqual(announcedOrder('same '), ['same A', 'same B', 'same C']);
  });
});
