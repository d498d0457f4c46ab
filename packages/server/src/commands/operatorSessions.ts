/**
 * What an operator does with sessions: write, edit, read, take, transfer, invite a
 * co-operator, close, mark spam. Every state change is a compare-and-set.
 */
import { ErrorCode, type OperatorMessageBody } from '@parley/protocol';
import type { AppContext } from '../context.js';
import type { OperatorActor } from '../auth/actor.js';
import { AppError } from '../domain/errors.js';
import { formatTimestamp } from '../domain/time.js';
import type { MessageRow, SessionRow } from '../persistence/schema.js';
import { findFiles } from '../persistence/repos/directory.js';
import { findMessage, markRead } from '../persistence/repos/messages.js';
import { findGroup, findOperator } from '../persistence/repos/operators.js';
import { findSessionForOperator, scopeOperatorIds, sessionOperatorIds } from '../persistence/repos/routing.js';
import { findSession } from '../persistence/repos/sessions.js';
import { requireVisibleSession } from '../queries/sessionList.js';
import { resolveMessageRefs } from '../queries/messageRefs.js';
import { presentHistoryMessage } from '../presenters/message.js';
import type { Router } from '../routing/router.js';
import { appendMessage } from './appendMessage.js';
import { assignSession } from './assign.js';
import { closeOpenSession } from './lifecycle.js';

const conflict = (message: string) => new AppError(ErrorCode.SESSION_CONFLICT, message);

/** The actor takes part in the session (primary or co-operator), or is an admin. */
async function requireParticipant(ctx: AppContext, actor: OperatorActor, sessionId: string): Promise<SessionRow> {
  if (actor.role === 'ADMIN') return requireVisibleSession(ctx, actor, sessionId);
  // A participant sees the session: one lookup settles both in the usual case.
  const s = await findSession(ctx.db.kysely, sessionId);
  if (s && s.company_id === actor.companyId && (await sessionOperatorIds(ctx.db.kysely, s.id)).includes(actor.operatorId)) return s;
  await requireVisibleSession(ctx, actor, sessionId); // SESSION_NOT_FOUND unless visible
  throw new AppError(ErrorCode.FORBIDDEN, 'take the session first: only its operators may do this');
}

export async function sendOperatorMessage(ctx: AppContext, actor: OperatorActor, sessionId: string, body: OperatorMessageBody) {
  // Each input written out, not spread from a shared object: see appendMessage's messageRow.
  const authorId = String(actor.operatorId);
  const authorName = actor.operator.name;
  const avatarFileId = actor.operator.avatar_file_id;
  // The plain message of a participant: the sequence allocation checks participation and
  // that the session is open. When it fails, the full path below finds out why.
  if (actor.role !== 'ADMIN' && !body.attachments?.length && !body.replyToMessageId && body.body.trim() !== '') {
    // One statement (appendMessage's) unless the author's avatar has to be looked up.
    const row = await ctx.uow.batch((tx) => appendMessage(ctx, tx, { id: sessionId }, { authorType: 'OPERATOR', authorId, authorName, avatarFileId, participantOf: actor.companyId, body: body.body }),
      { oneStatement: avatarFileId === null })
      .catch((err: unknown) => {
        if (err instanceof AppError && err.code === ErrorCode.SESSION_CLOSED) return undefined;
        throw err;
      });
    if (row) return { id: row.id, createdAt: formatTimestamp(row.created_at) };
  }
  const s = await requireParticipant(ctx, actor, sessionId);
  if (s.status !== 'OPEN') throw new AppError(ErrorCode.SESSION_CLOSED, `session ${s.id} is closed`);
  const attachmentIds = body.attachments ?? [];
  if (body.body.trim() === '' && attachmentIds.length === 0) {
    throw new AppError(ErrorCode.VALIDATION_FAILED, 'body: must not be empty', [{ path: '/body', message: 'must not be empty' }]);
  }
  if ((await findFiles(ctx.db.kysely, s.company_id, attachmentIds)).length !== new Set(attachmentIds).size) {
    throw new AppError(ErrorCode.FILE_NOT_FOUND, 'attachments: unknown file id', [{ path: '/attachments', message: 'unknown file id' }]);
  }
  if (body.replyToMessageId) {
    const target = await findMessage(ctx.db.kysely, body.replyToMessageId);
    if (!target || target.session_id !== s.id) throw new AppError(ErrorCode.MESSAGE_NOT_FOUND, 'replyToMessageId: not in this session');
  }
  const row = await ctx.uow.batch((tx) =>
    appendMessage(ctx, tx, s, { authorType: 'OPERATOR', authorId, authorName, avatarFileId, body: body.body, attachmentIds, replyToMessageId: body.replyToMessageId ?? null }),
  );
  return { id: row.id, createdAt: formatTimestamp(row.created_at) };
}

/** Edits the actor's own message. */
export async function editMessage(ctx: AppContext, actor: OperatorActor, messageId: string, body: string) {
  const m = await findMessage(ctx.db.kysely, messageId);
  const s = m ? await findSession(ctx.db.kysely, m.session_id) : undefined;
  if (!m || !s || s.company_id !== actor.companyId) throw new AppError(ErrorCode.MESSAGE_NOT_FOUND, `message ${messageId} not found`);
  if (m.author_type !== 'OPERATOR' || m.author_id !== String(actor.operatorId)) throw new AppError(ErrorCode.NOT_MESSAGE_AUTHOR, 'operators edit only their own messages');
  if (s.status !== 'OPEN') throw new AppError(ErrorCode.SESSION_CLOSED, `session ${s.id} is closed`);
  const now = ctx.clock.now();
  return ctx.uow.run(async (tx) => {
    await tx.db.updateTable('messages').set({ body, updated_at: now }).where('id', '=', m.id).execute();
    const row: MessageRow = Object.assign(m, { body, updated_at: now });
    const refs = await resolveMessageRefs(tx.db, s.company_id, [row], ctx.config.publicUrl, ctx.avatars);
    const message = presentHistoryMessage(row, refs.get(row.id) ?? { attachments: [], avatar: null });
    tx.record({ type: 'message.edited', companyId: s.company_id, sessionId: s.id, message });
    return message;
  });
}

/** The operator has read a client message; idempotent. */
export async function markReadByOperator(ctx: AppContext, actor: OperatorActor, messageId: string): Promise<MessageRow> {
  const m = await findMessage(ctx.db.kysely, messageId);
  if (!m) throw new AppError(ErrorCode.MESSAGE_NOT_FOUND, `message ${messageId} not found`);
  const s = await requireParticipant(ctx, actor, m.session_id).catch(() => {
    throw new AppError(ErrorCode.MESSAGE_NOT_FOUND, `message ${messageId} not found`);
  });
  if (m.author_type !== 'CLIENT') throw new AppError(ErrorCode.INVALID_MESSAGE_STATE, 'operators mark client messages read');
  if (m.read_at !== null) return m;
  const at = ctx.clock.now();
  await ctx.uow.run(async (tx) => {
    if (await markRead(tx.db, m.id, at)) {
      tx.record({ type: 'message.read', companyId: s.company_id, sessionId: s.id, messageId: m.id, reader: 'OPERATOR', readAt: at });
    }
  });
  m.read_at = at;
  return m;
}

/** Takes a waiting session (help queue, or still with the bot). Of concurrent takes exactly one wins. */
export async function takeSession(ctx: AppContext, actor: OperatorActor, sessionId: string): Promise<void> {
  const s = await requireVisibleSession(ctx, actor, sessionId);
  if (s.status !== 'OPEN') throw new AppError(ErrorCode.SESSION_CLOSED, `session ${s.id} is closed`);
  if (s.bot_status === 'OPERATOR') throw conflict(s.operator_id === actor.operatorId ? 'the session is already yours' : 'another operator has the session');
  if (actor.role !== 'ADMIN' && !(await scopeOperatorIds(ctx.db.kysely, s)).includes(actor.operatorId)) {
    throw new AppError(ErrorCode.FORBIDDEN, 'the session waits for a group you are not in');
  }
  const won = await ctx.uow.run((tx) => assignSession(ctx, tx, s, actor.operator, 'TAKEN'));
  if (!won) throw conflict('another operator took the session first');
}

/** Hands the session to a given operator (ACTIVE or PAUSED, not blocked, same company). */
export async function transferToOperator(ctx: AppContext, actor: OperatorActor, sessionId: string, targetId: number): Promise<void> {
  const s = await requireParticipant(ctx, actor, sessionId);
  if (s.status !== 'OPEN') throw new AppError(ErrorCode.SESSION_CLOSED, `session ${s.id} is closed`);
  const target = await findOperator(ctx.db.kysely, targetId);
  if (!target || target.company_id !== actor.companyId) throw new AppError(ErrorCode.OPERATOR_NOT_FOUND, `operator ${targetId} not found`);
  if (target.blocked === 1 || target.status === 'OFFLINE') throw conflict(`operator ${targetId} is not available`);
  if (s.operator_id === target.id) throw conflict('the session is already with this operator');
  const won = await ctx.uow.run((tx) => assignSession(ctx, tx, s, target, 'TRANSFERRED'));
  if (!won) throw conflict('the session changed meanwhile; reload it');
}

/** Hands the session to a group: routed among its operators, or queued for it. */
export async function transferToGroup(ctx: AppContext, router: Router, actor: OperatorActor, sessionId: string, groupId: number): Promise<void> {
  const s = await requireParticipant(ctx, actor, sessionId);
  if (s.status !== 'OPEN') throw new AppError(ErrorCode.SESSION_CLOSED, `session ${s.id} is closed`);
  const group = await findGroup(ctx.db.kysely, groupId);
  if (!group || group.company_id !== actor.companyId) throw new AppError(ErrorCode.GROUP_NOT_FOUND, `group ${groupId} not found`);
  const moved = await ctx.db.kysely.updateTable('sessions').set({ group_id: groupId }).where('id', '=', s.id).where('status', '=', 'OPEN').executeTakeFirst();
  if (moved.numUpdatedRows === 0n) throw new AppError(ErrorCode.SESSION_CLOSED, `session ${s.id} is closed`);
  if (s.operator_id !== null) await router.reroute(s.id, s.operator_id, 'queue');
  else await router.route(s.id);
}

/** Adds or removes a co-operator, who sees the session and may write in it. */
export async function setCoOperator(ctx: AppContext, actor: OperatorActor, sessionId: string, operatorId: number, add: boolean): Promise<void> {
  const s = await requireParticipant(ctx, actor, sessionId);
  if (s.status !== 'OPEN') throw new AppError(ErrorCode.SESSION_CLOSED, `session ${s.id} is closed`);
  const op = await findOperator(ctx.db.kysely, operatorId);
  if (!op || op.company_id !== actor.companyId) throw new AppError(ErrorCode.OPERATOR_NOT_FOUND, `operator ${operatorId} not found`);
  if (s.operator_id === operatorId) throw conflict('that operator is the session’s primary operator');
  await ctx.uow.run(async (tx) => {
    const existing = await tx.db.selectFrom('session_operators').select('role').where('session_id', '=', s.id).where('operator_id', '=', operatorId).executeTakeFirst();
    if (add && !existing) {
      await tx.db.insertInto('session_operators').values({ session_id: s.id, operator_id: operatorId, role: 'CO', assigned_at: ctx.clock.now() }).execute();
    } else if (!add && existing?.role === 'CO') {
      await tx.db.deleteFrom('session_operators').where('session_id', '=', s.id).where('operator_id', '=', operatorId).execute();
    } else {
      return;
    }
    tx.record({ type: 'session.coOperatorChanged', companyId: s.company_id, chatId: s.chat_id, sessionId: s.id, operatorId: String(operatorId), added: add });
  });
}

export async function closeByOperator(ctx: AppContext, actor: OperatorActor, sessionId: string, result: string | null): Promise<void> {
  const s = await requireParticipant(ctx, actor, sessionId);
  if (!(await ctx.uow.run((tx) => closeOpenSession(ctx, tx, s, 'OPERATOR', result)))) {
    throw new AppError(ErrorCode.SESSION_CLOSED, `session ${s.id} is already closed`);
  }
}

export async function setSpam(ctx: AppContext, actor: OperatorActor, sessionId: string, spam: boolean): Promise<void> {
  const s = await requireParticipant(ctx, actor, sessionId);
  await ctx.uow.run(async (tx) => {
    await tx.db.updateTable('sessions').set({ marked_as_spam: spam ? 1 : 0 }).where('id', '=', s.id).execute();
    tx.record({ type: 'session.updated', companyId: s.company_id, chatId: s.chat_id, sessionId: s.id });
  });
}

/** The operator is typing in a session they take part in; relayed to the client, never stored. */
export async function operatorTyping(ctx: AppContext, operatorId: number, sessionId: string): Promise<void> {
  // The session, the operator and the participation in one statement: typing is frequent.
  const s = await findSessionForOperator(ctx.db.kysely, sessionId, operatorId);
  if (!s) throw new AppError(ErrorCode.SESSION_NOT_FOUND, `session ${sessionId} not found`);
  if (s.status !== 'OPEN') throw new AppError(ErrorCode.SESSION_CLOSED, `session ${sessionId} is closed`);
  if (s.role !== 'ADMIN' && !s.participant) throw new AppError(ErrorCode.FORBIDDEN, 'only the session’s operators can type in it');
  ctx.bus.publish({
    type: 'session.typing', companyId: s.company_id, sessionId: s.id, authorType: 'OPERATOR', authorId: String(operatorId),
    chatId: s.chat_id, groupId: s.group_id, botStatus: s.bot_status,
  });
}

/** The operator has read every client message of the session; returns how many were marked. */
export async function markSessionReadByOperator(ctx: AppContext, actor: OperatorActor, sessionId: string): Promise<number> {
  const s = await requireParticipant(ctx, actor, sessionId);
  const unread = await ctx.db.kysely
    .selectFrom('messages')
    .select('id')
    .where('session_id', '=', s.id)
    .where('author_type', '=', 'CLIENT')
    .where('read_at', 'is', null)
    .orderBy('seq')
    .execute();
  const at = ctx.clock.now();
  return ctx.uow.run(async (tx) => {
    let n = 0;
    for (const m of unread) {
      if (await markRead(tx.db, m.id, at)) {
        n++;
        tx.record({ type: 'message.read', companyId: s.company_id, sessionId: s.id, messageId: m.id, reader: 'OPERATOR', readAt: at });
      }
    }
    return n;
  });
}
