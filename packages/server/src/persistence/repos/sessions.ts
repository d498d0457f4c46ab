/** SQL for sessions. */
import { sql, type Insertable, type Kysely } from 'kysely';
import type { Executor } from '../tx.js';
import { prepared } from '../prepared.js';
import { assignedAudienceQuery } from './routing.js';
import type { Database, SessionRow, SessionsTable, SessionUpdate } from '../schema.js';

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
export type Allocated = Pick<SessionRow, 'last_seq' | 'bot_status' | 'chat_id' | 'group_id' | 'company_id' | 'client_id'> & {
  client_name?: string | null;
  /**
   * PostgreSQL: who follows the session as the message is stored (its operators and the
   * company's admins, none blocked; an operator may appear twice), read by the message's own
   * statement; null while the session waits for an operator (the operators who may take it
   * follow it then as well).
   */
  audience?: number[] | null;
};

const ALLOCATED = ['last_seq', 'bot_status', 'chat_id', 'group_id', 'company_id', 'client_id'] as const;

type AllocationKind = 'CLIENT' | 'OPERATOR' | 'PARTICIPANT' | 'BOT';

/** The allocating `UPDATE … RETURNING`, one per author kind: the reply-time bookkeeping differs. */
const allocation = {
  // A client message starts the wait for an answer...
  CLIENT: (db: Kysely<Database>, id: string, now: number) =>
    db.updateTable('sessions')
      .set((eb) => ({
        last_seq: eb('last_seq', '+', 1), last_message_at: now, last_activity_at: now,
        last_client_message_at: now, awaiting_answer_since: eb.fn.coalesce('awaiting_answer_since', eb.val(now)),
      }))
      .where('id', '=', id).where('status', '=', 'OPEN')
      .returning((eb) => [...ALLOCATED, eb.selectFrom('clients').select('clients.name').whereRef('clients.id', '=', 'sessions.client_id').as('client_name')]),
  // ...an operator message ends it.
  OPERATOR: (db: Kysely<Database>, id: string, now: number) =>
    db.updateTable('sessions')
      .set((eb) => ({ last_seq: eb('last_seq', '+', 1), last_message_at: now, last_activity_at: now, last_operator_message_at: now, awaiting_answer_since: null }))
      .where('id', '=', id).where('status', '=', 'OPEN')
      .returning(ALLOCATED),
  // An operator's message by way of the plain path: the number is allocated only when the
  // operator takes part in the session (primary or co-operator), which is its access check.
  PARTICIPANT: (db: Kysely<Database>, id: string, now: number, companyId: number, operatorId: number) =>
    db.updateTable('sessions')
      .set((eb) => ({ last_seq: eb('last_seq', '+', 1), last_message_at: now, last_activity_at: now, last_operator_message_at: now, awaiting_answer_since: null }))
      .where('id', '=', id).where('status', '=', 'OPEN').where('company_id', '=', companyId)
      .where(({ exists, selectFrom }) => exists(selectFrom('session_operators').select('session_operators.operator_id')
        .whereRef('session_operators.session_id', '=', 'sessions.id').where('session_operators.operator_id', '=', operatorId)))
      .returning(ALLOCATED),
  BOT: (db: Kysely<Database>, id: string, now: number) =>
    db.updateTable('sessions')
      .set((eb) => ({ last_seq: eb('last_seq', '+', 1), last_message_at: now, last_activity_at: now }))
      .where('id', '=', id).where('status', '=', 'OPEN')
      .returning(ALLOCATED),
};

const allocateFor = {
  CLIENT: prepared((db, id: string, now: number) => allocation.CLIENT(db, id, now)),
  OPERATOR: prepared((db, id: string, now: number) => allocation.OPERATOR(db, id, now)),
  PARTICIPANT: prepared((db, id: string, now: number, companyId: number, operatorId: number) => allocation.PARTICIPANT(db, id, now, companyId, operatorId)),
  BOT: prepared((db, id: string, now: number) => allocation.BOT(db, id, now)),
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

/** What a message row takes from its statement's parameters; the sequence number (and a client's defaults) come from the allocation. */
export interface NewMessageValues {
  id: string;
  author_type: string;
  /** Null: the session's client (client messages only). */
  author_id: string | null;
  /** Null: the client's name, else 'Client' (client messages only). */
  author_name: string | null;
  body: string;
  answers: string;
  attachments: string;
  reply_to_message_id: string | null;
}

const MESSAGE_COLUMNS = sql.raw(
  'id, session_id, seq, author_type, author_id, author_name, type, body, answers, actions, attachments, reply_to_message_id, created_at, updated_at, read_at');

/**
 * PostgreSQL: the allocation and the message row in one data-modifying statement (one round
 * trip instead of two). The `INSERT` reads the `UPDATE`'s returned row, so when the session is
 * not open nothing is inserted and nothing returned. Parameters are cast: an `INSERT … SELECT`
 * does not infer their types from the target columns.
 */
function appendWith(kind: AllocationKind) {
  const clientDefaults = kind === 'CLIENT';
  return prepared(
    (db, id: string, now: number, m: string, type: string, authorId: string | null, authorName: string | null, body: string, answers: string,
      attachments: string, replyTo: string | null, companyId: number, operatorId: number) => {
      const update = kind === 'PARTICIPANT' ? allocation.PARTICIPANT(db, id, now, companyId, operatorId) : allocation[kind](db, id, now);
      const author = clientDefaults
        ? sql`coalesce(cast(${authorId} as text), s.client_id), coalesce(cast(${authorName} as text), s.client_name, 'Client')`
        : sql`cast(${authorId} as text), cast(${authorName} as text)`;
      const statement = sql<Allocated>`with s as (${update}), m as (insert into messages (${MESSAGE_COLUMNS})
        select cast(${m} as text), cast(${id} as text), s.last_seq, cast(${type} as text), ${author}, 'REGULAR', cast(${body} as text),
          cast(${answers} as text), '[]', cast(${attachments} as text), cast(${replyTo} as text), cast(${now} as bigint), null, null from s
        returning seq)
        select s.*, case when s.bot_status in ('WAITING', 'HELP') then null /* as isWaiting */
          else array(${assignedAudienceQuery(db, sql<number>`s.company_id`, sql<string>`cast(${id} as text)`)}) end as audience
        from s`;
      return { compile: () => statement.compile(db) };
    },
    kind === 'PARTICIPANT' ? 12 : 10,
  );
}

const appendFor: Record<AllocationKind, ReturnType<typeof appendWith>> = {
  CLIENT: appendWith('CLIENT'), OPERATOR: appendWith('OPERATOR'), PARTICIPANT: appendWith('PARTICIPANT'), BOT: appendWith('BOT'),
};

/**
 * PostgreSQL only: allocates the next sequence number (as {@link allocateSeq}, or as
 * {@link allocateSeqForParticipant} when `participant` is given) and inserts the message
 * row with it, in one statement. Undefined, and nothing stored, when the allocation fails.
 */
export function allocateAndInsert(
  db: Executor, sessionId: string, now: number, kind: 'BOT' | 'OPERATOR' | 'CLIENT', row: NewMessageValues,
  participant?: { companyId: number; operatorId: number },
): Promise<Allocated | undefined> {
  const k: AllocationKind = participant ? 'PARTICIPANT' : kind;
  const args = [sessionId, now, row.id, row.author_type, row.author_id, row.author_name, row.body, row.answers, row.attachments, row.reply_to_message_id] as const;
  // Arguments beyond a statement's arity are not bound.
  return appendFor[k].first(db, ...args, participant?.companyId ?? 0, participant?.operatorId ?? 0);
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
