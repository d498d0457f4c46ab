/**
 * SQLite: messages as their own record of `message.created` (persistence/deliveryCursor.ts),
 * on a database stored by an earlier version. Everything stored before migration 006 was
 * recorded in the outbox, so the delivery cursor starts at the newest message, and after the
 * upgrade only what the outbox holds is pending; a message stored after it and not yet
 * delivered is pending too, after the older outbox rows.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { sql } from 'kysely';
import type { MessageDto } from '@parley/protocol';
import { migrate, openDb } from '../src/persistence/db.js';
import { pendingEvents } from '../src/persistence/tx.js';

test('upgrading a database: the delivery cursor starts at the newest message, and only undelivered events are pending [sqlite]', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'parley-upgrade-'));
  const db = openDb({ kind: 'sqlite', file: path.join(dir, 'parley.db') });
  try {
    await migrate(db, '005_statistics');
    const k = db.kysely;
    const now = Date.now();
    await sql`insert into companies (id, name, created_at) values (1, 'Old', ${now})`.execute(k);
    await sql`insert into chats (id, company_id, name, bot_id, session_ttl, operators_busy_message, allowable_operator_idle_time, timer_first_answer,
      timer_next_answers, answer_on_first_client_message, settings, created_at, updated_at)
      values ('chat-1', 1, 'Old chat', null, 3600, '', 0, 0, 0, 0, '{}', ${now}, ${now})`.execute(k);
    await sql`insert into clients (id, company_id, metadata, created_at, updated_at) values ('client-1', 1, '{}', ${now}, ${now})`.execute(k);
    await sql`insert into sessions (id, company_id, chat_id, client_id, status, bot_status, bot_state, channel, ttl, last_seq, started_at, last_activity_at)
      values ('session-1', 1, 'chat-1', 'client-1', 'OPEN', 'OFF', '{}', 'WEB', 3600, 3, ${now}, ${now})`.execute(k);
    const message = (id: string, seq: number) => sql`insert into messages (id, session_id, seq, author_type, author_id, author_name, type, body, answers, actions,
      attachments, reply_to_message_id, created_at, updated_at, read_at)
      values (${id}, 'session-1', ${seq}, 'CLIENT', 'client-1', 'Client', 'REGULAR', ${`message ${seq}`}, '[]', '[]', '[]', null, ${now}, null, null)`.execute(k);
    for (let seq = 1; seq <= 3; seq++) await message(`m${seq}`, seq);
    // Messages 1 and 2 were delivered and their rows forgotten; message 3's row is still there.
    const entry = { type: 'message.created', companyId: 1, chatId: 'chat-1', sessionId: 'session-1', seq: 3, botStatus: 'OFF', groupId: null, messageId: 'm3' };
    await sql`insert into outbox (type, payload, created_at) values ('message.created', ${JSON.stringify([entry])}, ${now})`.execute(k);

    await migrate(db);
    const cursor = await k.selectFrom('delivery_cursor').select(['id', 'message_rowid']).execute();
    const newest = (await sql<{ rowid: number }>`select max(rowid) as rowid from messages`.execute(k)).rows[0]!.rowid;
    assert.deepEqual(cursor, [{ id: 1, message_rowid: newest }], 'one mark, at the newest message');

    const present = async (companyId: number, ids: string[]) => {
      assert.equal(companyId, 1);
      return new Map(ids.map((id) => [id, { id } as unknown as MessageDto]));
    };
    const pending = async () => (await pendingEvents(db, present, (id) => assert.fail(`row ${id} unreadable`)))
      .map((s) => (s.event.type === 'message.created' ? s.event.message.id : s.event.type));
    assert.deepEqual(await pending(), ['m3'], 'the outbox row, and not the messages delivered before the upgrade');

    // A message committed after the upgrade and not delivered: no outbox row; it is above the mark.
    await sql`update sessions set last_seq = 4 where id = 'session-1'`.execute(k);
    await message('m4', 4);
    assert.deepEqual(await pending(), ['m3', 'm4'], 'the older outbox row first, then the message above the mark');
  } finally {
    await db.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
