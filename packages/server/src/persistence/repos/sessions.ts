/** SQL for sessions. */
import { sql, type Insertable } from 'kysely';
import type { Executor } from '../tx.js';
import { prepared } from '../prepared.js';
import type { SessionRow, SessionsTable, SessionUpdate } from '../schema.js';

export async function insertSession(db: Executor, row: Insertable<SessionsTable>): Promise<void> {
  await db.insertInto('sessions').values(row).execute();
}

const sessionById = prepared((db, id: string) => db.selectFrom('sessions').selectAll().where('id', '=', id));

export function findSession(db: Executor, id: string): Promise<SessionRow | undefined> {
  return sessionById.first(db, id);
}

const sessionWithClientName = prepared((db, id: string) =>
  db.selectFrom('sessions').leftJoin('clients', 'clients.id', 'sessions.client_id').selectAll('sessions').select('clients.name as client_name').where('sessions.id', '=', id));

/** A session and its client's display name, in one lookup. */
export function findSessionWithClientName(db: Executor, id: string): Promise<(SessionRow & { client_name: string | null }) | undefined> {
  return sessionWithClientName.first(db, id);
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
 * What allocating a sequence number returns: the number, the session's routing state
 * at that moment, and its client (with the client's name for client messages).
 */
export type Allocated = Pick<SessionRow, 'last_seq' | 'bot_status' | 'chat_id' | 'group_id' | 'company_id' | 'client_id'> & { client_name?: string | null };

const ALLOCATED = ['last_seq', 'bot_status', 'chat_id', 'group_id', 'company_id', 'client_id'] as const;

/** One statement per author kind: the reply-time bookkeeping differs. */
const allocateFor = {
  // A client message starts the wait for an answer...
  CLIENT: prepared((db, id: string, now: number) =>
    db.updateTable('sessions')
      .set((eb) => ({
        last_seq: eb('last_seq', '+', 1), last_message_at: now, last_activity_at: now,
        last_client_message_at: now, awaiting_answer_since: eb.fn.coalesce('awaiting_answer_since', eb.val(now)),
      }))
      .where('id', '=', id).where('status', '=', 'OPEN')
      .returning((eb) => [...ALLOCATED, eb.selectFrom('clients').select('clients.name').whereRef('clients.id', '=', 'sessions.client_id').as('client_name')])),
  // ...an operator message ends it.
  OPERATOR: prepared((db, id: string, now: number) =>
    db.updateTable('sessions')
      .set((eb) => ({ last_seq: eb('last_seq', '+', 1), last_message_at: now, last_activity_at: now, last_operator_message_at: now, awaiting_answer_since: null }))
      .where('id', '=', id).where('status', '=', 'OPEN')
      .returning(ALLOCATED)),
  // An operator's message by way of the plain path: the number is allocated only when the
  // operator takes part in the session (primary or co-operator), which is its access check.
  PARTICIPANT: prepared((db, id: string, now: number, companyId: number, operatorId: number) =>
    db.updateTable('sessions')
      .set((eb) => ({ last_seq: eb('last_seq', '+', 1), last_message_at: now, last_activity_at: now, last_operator_message_at: now, awaiting_answer_since: null }))
      .where('id', '=', id).where('status', '=', 'OPEN').where('company_id', '=', companyId)
      .where(({ exists, selectFrom }) => exists(selectFrom('session_operators').select('session_operators.operator_id')
        .whereRef('session_operators.session_id', '=', 'sessions.id').where('session_operators.operator_id', '=', operatorId)))
      .returning(ALLOCATED)),
  BOT: prepared((db, id: string, now: number) =>
    db.updateTable('sessions')
      .set((eb) => ({ last_seq: eb('last_seq', '+', 1), last_message_at: now, last_activity_at: now }))
      .where('id', '=', id).where('status', '=', 'OPEN')
      .returning(ALLOCATED)),
};

/**
 * Allocates the next message sequence number of an open session and bumps its activity
 * times, in one conditional statement (the row lock serialises concurrent writers).
 * Returns undefined when the session is not open.
 */
export function allocateSeq(db: Executor, id: string, now: number, author: 'BOT' | 'OPERATOR' | 'CLIENT'): Promise<Allocated | undefined> {
  return allocateFor[author].first(db, id, now);
}

/** {@link allocateSeq} for an operator's message, only if the operator takes part in the session. */
export function allocateSeqForParticipant(db: Executor, id: string, now: number, companyId: number, operatorId: number): Promise<Allocated | undefined> {
  return allocateFor.PARTICIPANT.first(db, id, now, companyId, operatorId);
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
