/** SQL for sessions. */
import { sql, type Insertable } from 'kysely';
import type { Executor } from '../tx.js';
import type { SessionRow, SessionsTable, SessionUpdate } from '../schema.js';

export async function insertSession(db: Executor, row: Insertable<SessionsTable>): Promise<void> {
  await db.insertInto('sessions').values(row).execute();
}

export async function findSession(db: Executor, id: string): Promise<SessionRow | undefined> {
  return db.selectFrom('sessions').selectAll().where('id', '=', id).executeTakeFirst();
}

/** The client's most recent open session in a chat. */
export async function findOpenSessionOfClient(db: Executor, chatId: string, clientId: string): Promise<SessionRow | undefined> {
  return db
    .selectFrom('sessions')
    .selectAll()
    .where('chat_id', '=', chatId)
    .where('client_id', '=', clientId)
    .where('status', '=', 'OPEN')
    .orderBy('started_at', 'desc')
    .limit(1)
    .executeTakeFirst();
}

/**
 * Allocates the next message sequence number of an open session and bumps its activity
 * times, in one conditional statement (the row lock serialises concurrent writers).
 * Returns undefined when the session is not open.
 */
export async function allocateSeq(
  db: Executor,
  id: string,
  now: number,
  author: 'BOT' | 'OPERATOR' | 'CLIENT',
): Promise<Pick<SessionRow, 'last_seq' | 'bot_status' | 'chat_id'> | undefined> {
  const row = await db
    .updateTable('sessions')
    .set((eb) => ({
      last_seq: eb('last_seq', '+', 1),
      last_message_at: now,
      last_activity_at: now,
      // Reply-time bookkeeping: a client message starts the wait for an answer, an operator message ends it.
      ...(author === 'CLIENT' ? { last_client_message_at: now, awaiting_answer_since: eb.fn.coalesce('awaiting_answer_since', eb.val(now)) } : {}),
      ...(author === 'OPERATOR' ? { last_operator_message_at: now, awaiting_answer_since: null } : {}),
    }))
    .where('id', '=', id)
    .where('status', '=', 'OPEN')
    .returning(['last_seq', 'bot_status', 'chat_id'])
    .executeTakeFirst();
  return row;
}

/** Updates an open session; returns false when it was not open (already closed). */
export async function updateOpenSession(db: Executor, id: string, patch: SessionUpdate): Promise<boolean> {
  const res = await db.updateTable('sessions').set(patch).where('id', '=', id).where('status', '=', 'OPEN').executeTakeFirst();
  return res.numUpdatedRows > 0n;
}

/** Ids of open sessions idle since before `cutoff(ttl)`; the ttl is per session. */
export async function findExpiredSessions(db: Executor, now: number, limit: number): Promise<SessionRow[]> {
  return db
    .selectFrom('sessions')
    .selectAll()
    .where('status', '=', 'OPEN')
    .where((eb) => eb(eb('last_activity_at', '+', sql<number>`cast(ttl as bigint) * 1000`), '<', now))
    .orderBy('last_activity_at')
    .limit(limit)
    .execute();
}

/** Locks a client row for the rest of the transaction (SQLite transactions are already serial). */
export async function lockClient(db: Executor, dialect: 'sqlite' | 'postgres', clientId: string): Promise<void> {
  if (dialect === 'postgres') await sql`select id from clients where id = ${clientId} for update`.execute(db);
}
