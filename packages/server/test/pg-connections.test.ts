/**
 * PostgreSQL connections. The pools keep a connection once it is open: reopening one costs
 * a backend process and every named statement prepared again, and it happened when a burst
 * followed a quiet spell. The unit of work's connections wait in an empty transaction block
 * between uses, so a server's idle_in_transaction_session_timeout must not end them (the
 * database here sets it to one second). A connection the server does end, idle in the pool or
 * held by a transaction between queries, is replaced without failing a later request, and
 * without taking the process down. And those connections still report their table statistics,
 * which a backend does only while it waits outside a transaction block.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { sql } from 'kysely';
import { eventually, startTestServer, type TestServer } from './helpers/harness.js';

const pgUrl = process.env.PARLEY_TEST_PG_URL;

describe('PostgreSQL connections [postgres]', { skip: pgUrl ? false : 'PostgreSQL not available (run `npm test`, which starts one)' }, () => {
  let srv: TestServer;
  let admin: pg.Client;
  let database: string;
  let sessions: string[];

  /** Parley's connections to its database, as the server lists them. */
  const connections = async () =>
    Number((await admin.query<{ n: string }>(
      "select count(*) as n from pg_stat_activity where datname = $1 and application_name = 'parley'", [database])).rows[0]!.n);
  const post = (session: string, body: string) => srv.api('POST', `/api/v1/sessions/${session}/messages`, { body });
  const bodies = async (session: string) =>
    (await srv.parley.ctx.db.kysely.selectFrom('messages').select('body').where('session_id', '=', session).orderBy('seq').execute()).map((r) => r.body);

  before(async () => {
    srv = await startTestServer('postgres', { SESSION_SWEEP_INTERVAL_MS: '3600000' });
    database = (await sql<{ db: string }>`select current_database() as db`.execute(srv.parley.ctx.db.kysely)).rows[0]!.db;
    admin = new pg.Client({ connectionString: pgUrl });
    await admin.connect();
    // Ends any connection left idle in a transaction for over a second; it applies to connections
    // opened after it, so the server starts again.
    await admin.query(`alter database ${database} set idle_in_transaction_session_timeout = '1s'`);
    await srv.restart();
    database = (await sql<{ db: string }>`select current_database() as db`.execute(srv.parley.ctx.db.kysely)).rows[0]!.db;
    const { chatId } = await srv.createChat();
    sessions = [];
    for (let i = 0; i < 8; i++) sessions.push((await srv.api('POST', `/api/v1/chats/${chatId}/sessions`, { clientName: `K${i}` })).body.id);
    await srv.parley.settle();
  });
  after(async () => {
    await admin?.end();
    await srv?.close();
  });

  test('connections opened by a burst stay open through a quiet spell longer than pg’s idle timeout', { timeout: 60_000 }, async () => {
    // A burst over every session, with reads beside it, opens several connections.
    const burst = await Promise.all(sessions.flatMap((s, i) => [
      post(s, `burst ${i} a`), post(s, `burst ${i} b`), srv.api('GET', `/api/v1/sessions/${s}/messages`),
    ]));
    assert.ok(burst.every((r) => r.status === 201 || r.status === 200), JSON.stringify(burst.map((r) => r.status)));
    await srv.parley.settle();
    const open = await connections();
    assert.ok(open >= 3, `connections after the burst: ${open}`);
    // pg's default closes a connection idle for 10 s.
    await new Promise((r) => setTimeout(r, 11_000));
    assert.equal(await connections(), open);
    // And they serve: every session takes a message.
    for (const s of sessions) assert.equal((await post(s, 'after the quiet spell')).status, 201);
    assert.equal(await connections(), open);
  });

  test('connections the server ends while idle or held between queries are replaced; the process stays up and no later request fails', { timeout: 60_000 }, async () => {
    // A transaction held open with no query in flight: its connection is checked out of the pool.
    let open!: () => void;
    const gate = new Promise<void>((resolve) => (open = resolve));
    let started!: () => void;
    const running = new Promise<void>((resolve) => (started = resolve));
    const held = srv.parley.ctx.uow.batch(() => {
      started();
      return gate;
    }).then(() => 'committed', () => 'failed');
    await running;
    try {
      const ended = (await admin.query<{ pid: number; ended: boolean }>(
        "select pid, pg_terminate_backend(pid) as ended from pg_stat_activity where datname = $1 and application_name = 'parley'", [database]))
        .rows.filter((r) => r.ended).map((r) => r.pid);
      assert.ok(ended.length >= 3, `ended ${ended.length}`);
      // Those backends are gone (the pool may already have opened others for the server's own work).
      await eventually(async () => (await admin.query<{ n: string }>(
        'select count(*) as n from pg_stat_activity where pid = any($1)', [ended])).rows[0]!.n === '0' ? true : undefined, 10_000, 'the ended connections to go');
    } finally {
      // Released whatever happened above, so that a failure here does not hold the queue for the tests after it.
      open();
    }
    // Its connection is gone: the transaction cannot have committed.
    assert.equal(await held, 'failed');
    const after = await Promise.all(sessions.map((s, i) => post(s, `after the end ${i}`)));
    assert.deepEqual(after.map((r) => r.status), sessions.map(() => 201));
    for (const [i, s] of sessions.entries()) assert.ok((await bodies(s)).includes(`after the end ${i}`));
  });

  test('the unit of work’s connections report their table statistics, which autovacuum goes by', { timeout: 30_000 }, async () => {
    // Statistics are per database: read them in Parley's.
    const url = new URL(pgUrl!);
    url.pathname = `/${database}`;
    const reader = new pg.Client({ connectionString: url.toString() });
    await reader.connect();
    try {
      /** What the statistics say was written to messages and sessions (reports received so far). */
      const written = async () => {
        const { rows } = await reader.query<{ relname: string; n: string }>(
          `select relname, case relname when 'messages' then n_tup_ins else n_tup_upd end as n
             from pg_stat_user_tables where relname in ('messages', 'sessions')`);
        return Object.fromEntries(rows.map((r) => [r.relname, Number(r.n)])) as { messages: number; sessions: number };
      };
      await srv.parley.settle();
      // Messages one after another, a quiet second, then one more: one connection carries them all
      // (the pool hands out the connection released last), and the last COMMIT is at least a
      // second after any report of that connection's.
      for (let i = 0; i < 20; i++) assert.equal((await post(sessions[0]!, `counted ${i}`)).status, 201);
      const before = await written();
      await new Promise((r) => setTimeout(r, 1_100));
      assert.equal((await post(sessions[0]!, 'counted last')).status, 201);
      const reported = await eventually(async () => {
        const now = await written();
        return now.messages > before.messages ? now : undefined;
      }, 5000, 'the connection to report its statistics');
      // Everything it wrote since its last report: at least the last message, and the session
      // updated with it; never more than was stored.
      assert.ok(reported.sessions >= before.sessions + 1, JSON.stringify({ before, reported }));
      const stored = Number((await reader.query<{ n: string }>('select count(*) as n from messages')).rows[0]!.n);
      assert.ok(reported.messages <= stored, JSON.stringify({ reported, stored }));
    } finally {
      await reader.end();
    }
  });

  test('ANALYZE keeps statistics on messages only for the columns queries filter on', { timeout: 60_000 }, async () => {
    for (let i = 0; i < 5; i++) assert.equal((await post(sessions[1]!, `analyzed ${i}`)).status, 201);
    const db = srv.parley.ctx.db.kysely;
    await sql`analyze messages`.execute(db);
    const { rows } = await sql<{ attname: string }>`select attname from pg_stats where schemaname = current_schema() and tablename = 'messages' order by attname`.execute(db);
    assert.deepEqual(rows.map((r) => r.attname), ['author_type', 'id', 'read_at', 'seq', 'session_id']);
  });
});
