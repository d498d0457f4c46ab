/**
 * Appends a message to an open session inside the caller's transaction: allocates
 * the next sequence number under the session row lock, stores the row and records
 * `message.created` with the presented payload. Every author (client, bot,
 * operator) goes through here.
 */
import type { Answer } from '@parley/protocol';
import { ErrorCode } from '@parley/protocol';
import type { AppContext } from '../context.js';
import { AppError } from '../domain/errors.js';
import { timeOrderedUuid } from '../domain/ids.js';
import type { Tx } from '../persistence/tx.js';
import type { MessageRow, SessionRow } from '../persistence/schema.js';
import { allocateAndInsert, allocateSeq, allocateSeqForParticipant, type Allocated, type NewMessageValues } from '../persistence/repos/sessions.js';
import { insertMessage } from '../persistence/repos/messages.js';
import { resolveMessageRefs } from '../queries/messageRefs.js';
import { presentMessage } from '../presenters/message.js';

interface MessageContent {
  body: string;
  answers?: Answer[];
  attachmentIds?: string[];
  replyToMessageId?: string | null;
}

/**
 * Bots and operators name themselves; a client message is by default the session's
 * client, under the client's name ('Client' without one), read as the number is allocated.
 */
export type NewMessageInput = MessageContent &
  (
    | { authorType: 'BOT'; authorId: string; authorName: string }
    | {
        authorType: 'OPERATOR'; authorId: string; authorName: string;
        /** Append only if the operator takes part in the session, of this company (the access check of the plain path). */
        participantOf?: number;
        /** The operator's avatar file (null: none), when the caller has the operator row; looked up otherwise. */
        avatarFileId?: string | null;
      }
    | { authorType: 'CLIENT'; authorId?: string; authorName?: string }
  );

/**
 * The stored row, every field named. On Node 20's V8 an object literal that spreads another
 * object and then adds or overrides fields (`{ ...values, seq }`) builds new hidden classes
 * on every evaluation, allocated in the old generation: here about 2.7 KB of garbage per
 * message that only a full mark-compact reclaims (docs/performance.md, "Spread literals").
 */
function messageRow(values: NewMessageValues, authorType: MessageRow['author_type'], sessionId: string, seq: number, now: number, allocated: Allocated): MessageRow {
  return {
    id: values.id,
    session_id: sessionId,
    seq,
    author_type: authorType,
    author_id: values.author_id ?? allocated.client_id,
    author_name: values.author_name ?? allocated.client_name ?? 'Client',
    type: 'REGULAR',
    body: values.body,
    answers: values.answers,
    actions: '[]',
    attachments: values.attachments,
    reply_to_message_id: values.reply_to_message_id,
    created_at: now,
    updated_at: null,
    read_at: null,
  };
}

/** Throws SESSION_CLOSED when the session is not open (or does not exist, or the required participant does not take part). */
export async function appendMessage(ctx: AppContext, tx: Tx, session: Pick<SessionRow, 'id'>, input: NewMessageInput): Promise<MessageRow> {
  const now = ctx.clock.now();
  const values: NewMessageValues = {
    id: timeOrderedUuid(now),
    author_type: input.authorType,
    author_id: input.authorId ?? null,
    author_name: input.authorName ?? null,
    body: input.body,
    answers: JSON.stringify(input.answers ?? []),
    attachments: JSON.stringify(input.attachmentIds ?? []),
    reply_to_message_id: input.replyToMessageId ?? null,
  };
  const participant = input.authorType === 'OPERATOR' && input.participantOf !== undefined
    ? { companyId: input.participantOf, operatorId: Number(input.authorId) }
    : undefined;
  // PostgreSQL: allocation and row in one round trip. SQLite: two statements in process.
  const allocated = ctx.db.dialect === 'postgres'
    ? await allocateAndInsert(tx.db, session.id, now, input.authorType, values, participant)
    : participant
      ? await allocateSeqForParticipant(tx.db, session.id, now, participant.companyId, participant.operatorId)
      : await allocateSeq(tx.db, session.id, now, input.authorType);
  if (allocated === undefined) throw new AppError(ErrorCode.SESSION_CLOSED, `session ${session.id} is closed`);
  const seq = allocated.last_seq;
  const companyId = allocated.company_id;
  // The same defaults as the statement's: a client message is by the session's client.
  // Written out rather than spread from `values`: see {@link messageRow}.
  const row = messageRow(values, input.authorType, session.id, seq, now, allocated);
  // SQLite: the rowid makes the row the record of its event (persistence/deliveryCursor.ts).
  const rowid = ctx.db.dialect !== 'postgres' ? await insertMessage(tx.db, row) : undefined;
  // Nothing to look up (no files; no avatar, or an operator without one): no await either.
  const lookups = (input.attachmentIds?.length ?? 0) > 0 || (input.authorType === 'OPERATOR' && input.avatarFileId !== null);
  const refs = lookups ? (await resolveMessageRefs(tx.db, companyId, [row], ctx.config.publicUrl, ctx.avatars)).get(row.id) : undefined;
  const message = presentMessage(row, refs ?? { attachments: [], avatar: null });
  tx.record({
    type: 'message.created', companyId, chatId: allocated.chat_id, sessionId: session.id, seq,
    botStatus: allocated.bot_status, groupId: allocated.group_id, audience: allocated.audience ?? undefined, message,
  }, rowid);
  return row;
}
