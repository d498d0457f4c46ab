/**
 * What a chat client does besides starting a session: send a message, mark a
 * message read, type, close the session. REST and Socket.IO both call these.
 */
import { createHash } from 'node:crypto';
import { ErrorCode, type PostMessageBody } from '@parley/protocol';
import type { AppContext } from '../context.js';
import { AppError } from '../domain/errors.js';
import { formatTimestamp } from '../domain/time.js';
import { isUniqueViolation } from '../persistence/errors.js';
import type { MessageRow, SessionRow } from '../persistence/schema.js';
import { findFiles } from '../persistence/repos/directory.js';
import { findIdempotencyKey, findMessage, insertIdempotencyKey, markRead } from '../persistence/repos/messages.js';
import { findSession, findSessionWithClientName } from '../persistence/repos/sessions.js';
import type { Executor } from '../persistence/tx.js';
import { appendMessage } from './appendMessage.js';
import { closeOpenSession } from './lifecycle.js';

/** Loads a session by id or throws SESSION_NOT_FOUND. */
export async function requireSession(ctx: AppContext, id: string): Promise<SessionRow> {
  const s = await findSession(ctx.db.kysely, id);
  if (!s) throw new AppError(ErrorCode.SESSION_NOT_FOUND, `session ${id} not found`);
  return s;
}

export interface PostClientMessageResult {
  id: string;
  createdAt: string;
  /** True when an earlier request with the same Idempotency-Key created the message. */
  replayed: boolean;
}

/**
 * Stores a client message. The same Idempotency-Key always yields the same message.
 * The checks read inside the writing transaction: one transaction per message, and
 * on SQLite no separate read transaction per lookup.
 */
export async function postClientMessage(
  ctx: AppContext,
  sessionId: string,
  body: PostMessageBody,
  idempotencyKey: string | undefined,
): Promise<PostClientMessageResult> {
  const attachmentIds = body.attachments ?? [];
  if (body.body.trim() === '' && attachmentIds.length === 0) {
    throw new AppError(ErrorCode.VALIDATION_FAILED, 'body: must not be empty', [{ path: '/body', message: 'must not be empty' }]);
  }
  const hash = idempotencyKey === undefined ? '' : createHash('sha256').update(JSON.stringify([body.body, attachmentIds, body.replyToMessageId ?? null])).digest('hex');
  const replay = async (db: Executor): Promise<PostClientMessageResult | undefined> => {
    if (idempotencyKey === undefined) return undefined;
    const key = await findIdempotencyKey(db, sessionId, idempotencyKey);
    if (!key) return undefined;
    if (key.request_hash !== hash) {
      throw new AppError(ErrorCode.IDEMPOTENCY_KEY_REUSED, 'Idempotency-Key was already used with a different body');
    }
    const m = await findMessage(db, key.message_id);
    if (!m) return undefined;
    return { id: m.id, createdAt: formatTimestamp(m.created_at), replayed: true };
  };
  // The common case (no retry key, reply or files): allocating the sequence number is the lookup.
  const plain = idempotencyKey === undefined && !body.replyToMessageId && attachmentIds.length === 0;
  try {
    return await ctx.uow.batch(async (tx) => {
      if (plain) {
        try {
          const m = await appendMessage(ctx, tx, { id: sessionId }, { authorType: 'CLIENT', body: body.body });
          return { id: m.id, createdAt: formatTimestamp(m.created_at), replayed: false };
        } catch (err) {
          if (err instanceof AppError && err.code === ErrorCode.SESSION_CLOSED && !(await findSession(tx.db, sessionId))) {
            throw new AppError(ErrorCode.SESSION_NOT_FOUND, `session ${sessionId} not found`);
          }
          throw err;
        }
      }
      const session = await findSessionWithClientName(tx.db, sessionId);
      if (!session) throw new AppError(ErrorCode.SESSION_NOT_FOUND, `session ${sessionId} not found`);
      const earlier = await replay(tx.db);
      if (earlier) return earlier;
      if (session.status !== 'OPEN') throw new AppError(ErrorCode.SESSION_CLOSED, `session ${sessionId} is closed`);
      if (body.replyToMessageId) {
        const target = await findMessage(tx.db, body.replyToMessageId);
        if (!target || target.session_id !== sessionId) {
          throw new AppError(ErrorCode.MESSAGE_NOT_FOUND, `replyToMessageId: message ${body.replyToMessageId} not found in this session`, [
            { path: '/replyToMessageId', message: 'unknown message id' },
          ]);
        }
      }
      const files = await findFiles(tx.db, session.company_id, attachmentIds);
      if (files.length !== new Set(attachmentIds).size) {
        throw new AppError(ErrorCode.FILE_NOT_FOUND, 'attachments: unknown file id', [{ path: '/attachments', message: 'unknown file id' }]);
      }
      const m = await appendMessage(ctx, tx, session, {
        authorType: 'CLIENT', authorId: session.client_id, authorName: session.client_name ?? 'Client',
        body: body.body, attachmentIds, replyToMessageId: body.replyToMessageId ?? null,
      });
      if (idempotencyKey !== undefined) {
        await insertIdempotencyKey(tx.db, { session_id: sessionId, key: idempotencyKey, request_hash: hash, message_id: m.id, created_at: m.created_at });
      }
      return { id: m.id, createdAt: formatTimestamp(m.created_at), replayed: false };
      // A plain message is one statement (appendMessage's), sent at once: it can run together with its neighbours.
    }, { oneStatement: plain });
  } catch (err) {
    // A concurrent request with the same key won the insert: answer with its message.
    if (isUniqueViolation(err)) {
      const winner = await replay(ctx.db.kysely);
      if (winner) return winner;
    }
    throw err;
  }
}

/** The client has read a bot/operator message of its session. Idempotent. */
export async function markReadByClient(ctx: AppContext, messageId: string, sessionId?: string): Promise<MessageRow> {
  const m = await findMessage(ctx.db.kysely, messageId);
  if (!m || (sessionId !== undefined && m.session_id !== sessionId)) throw new AppError(ErrorCode.MESSAGE_NOT_FOUND, `message ${messageId} not found`);
  if (m.author_type === 'CLIENT') throw new AppError(ErrorCode.INVALID_MESSAGE_STATE, 'a client marks bot and operator messages read, not its own');
  if (m.read_at !== null) return m;
  const session = await requireSession(ctx, m.session_id);
  const at = ctx.clock.now();
  const changed = await ctx.uow.run(async (tx) => {
    const ok = await markRead(tx.db, m.id, at);
    if (ok) tx.record({ type: 'message.read', companyId: session.company_id, sessionId: m.session_id, messageId: m.id, reader: 'CLIENT', readAt: at });
    return ok;
  });
  if (!changed) return (await findMessage(ctx.db.kysely, messageId)) ?? m;
  m.read_at = at;
  return m;
}

/** The client closes its session (DELETE /sessions/{id}). */
export async function closeByClient(ctx: AppContext, sessionId: string, result: string | null): Promise<SessionRow> {
  const session = await requireSession(ctx, sessionId);
  const closed = await ctx.uow.run((tx) => closeOpenSession(ctx, tx, session, 'CLIENT', result));
  if (!closed) throw new AppError(ErrorCode.SESSION_CLOSED, `session ${sessionId} is already closed`);
  return (await findSession(ctx.db.kysely, sessionId)) ?? session;
}

/** The client is typing; delivered to the session's operators, never stored. */
export function clientTyping(ctx: AppContext, session: Pick<SessionRow, 'id' | 'company_id' | 'client_id'>): void {
  ctx.bus.publish({ type: 'session.typing', companyId: session.company_id, sessionId: session.id, authorType: 'CLIENT', authorId: session.client_id });
}

/** The client's first connection opened or its last one closed. */
export async function setClientPresence(ctx: AppContext, session: Pick<SessionRow, 'id' | 'company_id'>, online: boolean): Promise<void> {
  const at = ctx.clock.now();
  await ctx.uow.run(async (tx) => {
    await tx.db.updateTable('sessions').set(online ? { client_online_at: at } : { client_offline_at: at }).where('id', '=', session.id).execute();
    tx.record({ type: 'client.presence', companyId: session.company_id, sessionId: session.id, online, at });
  });
}
