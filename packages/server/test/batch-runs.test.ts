/**
 * Units that send one statement each, run together in a shared transaction. On PostgreSQL each
 * is called once the one before has handed its statement over, without waiting for its answer;
 * the outcome must be the same as one by one, and a unit that breaks the promise (or fails) must
 * make the batch run again unit by unit. On SQLite units always run one by one.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import pino from 'pino';
import { appendMessage } from '../src/commands/appendMessage.js';
import { createUnitOfWork } from '../src/persistence/tx.js';
import type { MessageRow } from '../src/persistence/schema.js';
import { forEachEngine, startTestServer, type TestServer } from './helpers/harness.js';

forEachEngine('units run together', (engine) => {
  let srv: TestServer;
  let sessions: string[];

  before(async () => {
    srv = await startTestServer(engine, { SESSION_SWEEP_INTERVAL_MS: '3600000' });
    const { chatId } = await srv.createChat();
    sessions = [];
    for (let i = 0; i < 3; i++) sessions.push((await srv.api('POST', `/api/v1/chats/${chatId}/sessions`, { clientName: `R${i}` })).body.id);
    await srv.parley.settle();
  });
  after(() => srv.close());

  const stored = async (prefix: string) =>
    srv.parley.ctx.db.kysely.selectFrom('messages').select(['id', 'session_id', 'seq', 'body']).where('body', 'like', `${prefix}%`).orderBy('body').execute();
  const announced = (prefix: string) =>
    srv.events.flatMap((e) => (e.type === 'message.created' && e.message.body.startsWith(prefix) ? [e.message.body] : []));

  /**
   * Queues `bodies.length` units in one batch (a first unit holds the queue until all are in it).
   * Unit i appends bodies[i] to sessions[target(i)]; `extra(i)` may make it send a second statement.
   */
  async function batchOf(bodies: string[], target: (i: number) => string, extra: (i: number) => boolean = () => false, uow = srv.parley.ctx.uow) {
    const { ctx } = srv.parley;
    const log: string[] = [];
    const calls = bodies.map(() => 0);
    let open!: () => void;
    const gate = new Promise<void>((resolve) => (open = resolve));
    const holder = uow.batch(() => gate);
    const units = bodies.map((body, i) =>
      uow.batch(async (tx) => {
        calls[i]!++;
        log.push(`called ${i}`);
        const row = await appendMessage(ctx, tx, { id: target(i) }, { authorType: 'CLIENT', body });
        log.push(`answered ${i}`);
        if (extra(i)) await tx.db.selectFrom('sessions').select('id').where('id', '=', target(i)).execute();
        return row;
      }, { oneStatement: true }));
    open();
    await holder;
    const settled = await Promise.allSettled(units);
    await srv.parley.settle();
    return { settled, log, calls };
  }

  test('the outcome is as one by one; on PostgreSQL each unit is called before the one before it is answered', async () => {
    // Two sessions, three messages each, interleaved: sequence numbers follow the queue order.
    const bodies = Array.from({ length: 6 }, (_, i) => `together ${i}`);
    const { settled, log, calls } = await batchOf(bodies, (i) => sessions[i % 2]!);
    assert.deepEqual(settled.map((s) => s.status), bodies.map(() => 'fulfilled'));
    assert.deepEqual(calls, bodies.map(() => 1), 'run once each');
    const rows = settled.map((s) => (s as PromiseFulfilledResult<MessageRow>).value);
    for (const i of [2, 3, 4, 5]) assert.equal(rows[i]!.seq, rows[i - 2]!.seq + 1, `unit ${i} follows unit ${i - 2} in its session`);
    assert.deepEqual((await stored('together ')).map((r) => [r.body, r.session_id, r.seq]), rows.map((r) => [r.body, r.session_id, r.seq]));
    assert.deepEqual(announced('together '), bodies, 'announced once each, in order');
    if (engine === 'postgres') {
      assert.deepEqual(log.slice(0, 6), bodies.map((_, i) => `called ${i}`), 'all six statements were out before the first answer');
    } else {
      assert.deepEqual(log.slice(0, 4), ['called 0', 'answered 0', 'called 1', 'answered 1'], 'SQLite: one by one');
    }
  });

  test('a unit that sends a second statement: the batch runs again unit by unit, each stored and announced once', async () => {
    const bodies = Array.from({ length: 3 }, (_, i) => `second ${i}`);
    // A unit of work on the server's database and bus whose warnings are kept.
    const warnings: string[] = [];
    const { ctx } = srv.parley;
    const uow = createUnitOfWork(ctx.db, ctx.bus, () => Date.now(), pino({ level: 'warn' }, { write: (line: string) => void warnings.push(line) }));
    const { settled, calls } = await batchOf(bodies, (i) => sessions[i]!, (i) => i === 1, uow);
    assert.deepEqual(settled.map((s) => s.status), bodies.map(() => 'fulfilled'));
    assert.deepEqual(calls, engine === 'postgres' ? [2, 2, 2] : [1, 1, 1], 'PostgreSQL: refused together, then run one by one');
    assert.equal(warnings.length, engine === 'postgres' ? 1 : 0, 'the broken promise is logged');
    if (engine === 'postgres') assert.match(warnings[0]!, /sent 4 for 3/);
    const rows = await stored('second ');
    assert.deepEqual(rows.map((r) => [r.body, r.session_id]), bodies.map((b, i) => [b, sessions[i]]), 'stored once each');
    assert.deepEqual(announced('second '), bodies);
  });

  test('a unit whose session is closed fails alone; the others are stored and announced once', async () => {
    const closed = sessions[2]!;
    await srv.parley.ctx.db.kysely.updateTable('sessions').set({ status: 'CLOSED', closed_at: Date.now() }).where('id', '=', closed).execute();
    const bodies = Array.from({ length: 4 }, (_, i) => `closed ${i}`);
    const { settled } = await batchOf(bodies, (i) => (i === 1 ? closed : sessions[i % 2]!));
    assert.deepEqual(settled.map((s) => s.status), ['fulfilled', 'rejected', 'fulfilled', 'fulfilled']);
    assert.equal((settled[1] as PromiseRejectedResult).reason.code, 'SESSION_CLOSED');
    assert.deepEqual((await stored('closed ')).map((r) => r.body), ['closed 0', 'closed 2', 'closed 3']);
    assert.deepEqual(announced('closed '), ['closed 0', 'closed 2', 'closed 3']);
  });
});
