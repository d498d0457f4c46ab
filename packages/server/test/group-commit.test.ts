/**
 * Group commit, one transaction at a time, on both engines: the next batch starts once the
 * previous one's COMMIT has returned, and every unit queued meanwhile shares it. Units are
 * answered, and their events delivered, when their own COMMIT returns. On PostgreSQL with
 * COMMIT_GATHER_MS, after a batch of several units the next one waits for more (up to four).
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { appendMessage } from '../src/commands/appendMessage.js';
import type { MessageRow } from '../src/persistence/schema.js';
import { forEachEngine, interceptCommit, startTestServer, type Engine, type TestServer } from './helpers/harness.js';

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

/**
 * A test server with `sessionCount` open sessions whose COMMITs can be held, and units of work
 * appending messages to them. Registers its own before/after hooks in the calling describe.
 */
function commitFixture(engine: Engine, env: Record<string, string>, sessionCount: number) {
  const f = {
    srv: undefined as unknown as TestServer,
    sessions: [] as string[],
    /** Holds the next COMMIT: `reached` resolves when it is reached, and it proceeds on `release`. */
    holdNextCommit() {
      const h = { reached: deferred(), release: deferred() };
      holds.push(h);
      return h;
    },
    /** A unit appending `body` to `session`; `started` resolves with the unit's transaction when it begins. */
    unit(session: string, body: string) {
      let startedWith!: (trx: unknown) => void;
      const started = new Promise<unknown>((r) => (startedWith = r));
      const answered = f.srv.parley.ctx.uow.batch(async (tx) => {
        startedWith(tx.db);
        return appendMessage(f.srv.parley.ctx, tx, { id: session }, { authorType: 'CLIENT', body });
      });
      return { started, answered };
    },
    /** Commits A alone, then B and C (queued during A's COMMIT) together: a batch of two units. */
    async siblingBatch(tag: string) {
      const hold = f.holdNextCommit();
      const a = f.unit(f.sessions[0]!, `${tag} A`);
      await hold.reached.promise;
      const b = f.unit(f.sessions[1]!, `${tag} B`);
      const c = f.unit(f.sessions[2]!, `${tag} C`);
      hold.release.resolve();
      await a.answered;
      assert.equal(await c.started, await b.started, 'B and C share a transaction');
      await Promise.all([b.answered, c.answered]);
    },
    /** The bodies starting with `prefix` of the messages announced, in order. */
    announcedOrder(prefix: string) {
      return f.srv.events.flatMap((e) => (e.type === 'message.created' && e.message.body.startsWith(prefix) ? [e.message.body] : []));
    },
  };
  const holds: { reached: Deferred; release: Deferred }[] = [];
  let restore = () => {};
  before(async () => {
    f.srv = await startTestServer(engine, { SESSION_SWEEP_INTERVAL_MS: '3600000', ...env });
    const { chatId } = await f.srv.createChat();
    for (let i = 0; i < sessionCount; i++) f.sessions.push((await f.srv.api('POST', `/api/v1/chats/${chatId}/sessions`, { clientName: `P${i}` })).body.id);
    await f.srv.parley.settle();
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
    await f.srv.close();
  });
  return f;
}

forEachEngine('group commit, one transaction at a time', (engine) => {
  // With a short gathering wait (COMMIT_GATHER_MS, PostgreSQL): one transaction at a time holds with it too.
  const fx = commitFixture(engine, { COMMIT_GATHER_MS: '1' }, 3);
  const { sessions, holdNextCommit, unit, siblingBatch, announcedOrder } = fx;

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
    await fx.srv.parley.settle();
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
    await fx.srv.parley.settle();
    assert.deepEqual(announcedOrder('same '), ['same A', 'same B', 'same C']);
  });

  test('after a transaction of several units, a lone unit queued at once is answered when the short wait ends', async () => {
    // The 1 ms gathering wait (PostgreSQL) must end by itself when no more units come.
    const d = await siblingBatch('lone').then(() => unit(sessions[0]!, 'lone D'));
    assert.equal(await settlesWithin(d.answered, 10_000), true);
    await fx.srv.parley.settle();
    assert.deepEqual(announcedOrder('lone '), ['lone A', 'lone B', 'lone C', 'lone D']);
  });
});

forEachEngine('group commit, gathering under concurrent load', (engine) => {
  // A wait far longer than any test: whether a unit waits is then a matter of structure, not time.
  const fx = commitFixture(engine, { COMMIT_GATHER_MS: '60000' }, 6);
  const { sessions, unit, siblingBatch, announcedOrder } = fx;

  test('a lone unit after a lone unit starts at once', async () => {
    // Nothing has been committed with a sibling: no wait, however long the setting.
    const a = unit(sessions[3]!, 'lone A');
    assert.equal(await settlesWithin(a.answered, 10_000), true);
    const b = unit(sessions[4]!, 'lone B');
    assert.equal(await settlesWithin(b.answered, 10_000), true);
  });

  test('after a transaction of several units, the next waits until four are queued (PostgreSQL only)', async () => {
    await siblingBatch('gather');
    const d = unit(sessions[3]!, 'gather D');
    if (engine === 'sqlite') {
      // SQLite ignores the setting: its transactions never wait for I/O.
      assert.equal(await settlesWithin(d.answered, 10_000), true, 'SQLite runs D at once');
      return;
    }
    assert.equal(await settlesWithin(d.started, 300), false, 'D waits for more units');
    const e = unit(sessions[4]!, 'gather E');
    const f = unit(sessions[5]!, 'gather F');
    assert.equal(await settlesWithin(e.started, 100), false, 'three queued: still waiting');
    const g = unit(sessions[0]!, 'gather G');
    const [dTrx, eTrx, fTrx, gTrx] = await Promise.all([d.started, e.started, f.started, g.started]);
    assert.ok(dTrx === eTrx && eTrx === fTrx && fTrx === gTrx, 'the four share one transaction');
    const rows = await Promise.all([d.answered, e.answered, f.answered, g.answered]) as MessageRow[];
    assert.deepEqual(rows.map((r) => r.body), ['gather D', 'gather E', 'gather F', 'gather G']);
    await fx.srv.parley.settle();
    assert.deepEqual(announcedOrder('gather '), ['gather A', 'gather B', 'gather C', 'gather D', 'gather E', 'gather F', 'gather G']);
  });
});
