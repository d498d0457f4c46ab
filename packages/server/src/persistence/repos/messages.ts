/** SQL for messages and idempotency keys. */
import type { Executor } from '../tx.js';
import { prepared, preparedInsert } from '../prepared.js';
import type { MessageRow } from '../schema.js';

const insertRow = preparedInsert('messages', [
  'id', 'session_id', 'seq', 'author_type', 'author_id', 'author_name', 'type', 'body', 'answers', 'actions', 'attachments',
  'reply_to_message_id', 'created_at', 'updated_at', 'read_at',
]);
const messageById = prepared((db, id: string) => db.selectFrom('messages').selectAll().where('id', '=', id));

/** SQLite: stores a message row; returns its rowid. */
export function insertMessage(db: Executor, row: MessageRow): Promise<number> {
  return insertRow.insert(db, row);
}

export function findMessage(db: Executor, id: string): Promise<MessageRow | undefined> {
  return messageById.first(db, id);
}

/** Messages by id, of sessions of one company, in no particular order. */
export async function findCompanyMessages(db: Executor, companyId: number, ids: readonly string[]): Promise<MessageRow[]> {
  if (ids.length === 0) return [];
  return db.selectFrom('messages').selectAll('messages').innerJoin('sessions', 'sessions.id', 'messages.session_id')
    .where('sessions.company_id', '=', companyId).where('messages.id', 'in', ids).execute();
}

/** Messages of a session after (or before) a sequence number, in order. */
export async function messagesPage(
  db: Executor,
  sessionId: string,
  opts: { afterSeq?: number; beforeSeq?: number; limit: number; order: 'asc' | 'desc' },
): Promise<MessageRow[]> {
  let q = db.selectFrom('messages').selectAll().where('session_id', '=', sessionId);
  if (opts.afterSeq !== undefined) q = q.where('seq', '>', opts.afterSeq);
  if (opts.beforeSeq !== undefined) q = q.where('seq', '<', opts.beforeSeq);
  return q.orderBy('seq', opts.order).limit(opts.limit).execute();
}

export async function countMessages(db: Executor, sessionId: string): Promise<number> {
  const row = await db
    .selectFrom('messages')
    .select((eb) => eb.fn.countAll<number | string>().as('n'))
    .where('session_id', '=', sessionId)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/** Client messages the bot has not answered yet, oldest first. */
export async function clientMessagesAfter(db: Executor, sessionId: string, seq: number): Promise<MessageRow[]> {
  return db
    .selectFrom('messages')
    .selectAll()
    .where('session_id', '=', sessionId)
    .where('author_type', '=', 'CLIENT')
    .where('seq', '>', seq)
    .orderBy('seq')
    .execute();
}

/** Sets read_at once; returns false when the message was already read. */
export async function markRead(db: Executor, id: string, at: number): Promise<boolean> {
  const res = await db.updateTable('messages').set({ read_at: at }).where('id', '=', id).where('read_at', 'is', null).executeTakeFirst();
  return res.numUpdatedRows > 0n;
}

export async function findIdempotencyKey(db: Executor, sessionId: string, key: string) {
  return db.selectFrom('idempotency_keys').selectAll().where('session_id', '=', sessionId).where('key', '=', key).executeTakeFirst();
}

export async function insertIdempotencyKey(
  db: Executor,
  row: { session_id: string; key: string; request_hash: string; message_id: string; created_at: number },
): Promise<void> {
  await db.insertInto('idempotency_keys').values(row).execute();
}
