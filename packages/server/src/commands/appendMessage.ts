/**
 * Appends a message to an open session inside the caller's transaction: allocates
 * the next sequence number under the session row lock, stores the row and records
 * `message.created` with the presented payload. Every author (client, bot,
 * operator) goes through here.
 */
import { randomUUID } from 'node:crypto';
import type { Answer } from '@parley/protocol';
import { ErrorCode } from '@parley/protocol';
import type { AppContext } from '../context.js';
import { AppError } from '../domain/errors.js';
import type { Tx } from '../persistence/tx.js';
import type { MessageRow, SessionRow } from '../persistence/schema.js';
import { allocateSeq, allocateSeqForParticipant } from '../persistence/repos/sessions.js';
import { insertMessage } from '../persistence/repos/messages.js';
import { resolveMessageRefs, type AvatarLookup } from '../queries/messageRefs.js';
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

const noAvatars: AvatarLookup = async () => new Map();

/** Throws SESSION_CLOSED when the session is not open (or does not exist, or the required participant does not take part). */
export async function appendMessage(ctx: AppContext, tx: Tx, session: Pick<SessionRow, 'id'>, input: NewMessageInput): Promise<MessageRow> {
  const now = ctx.clock.now();
  const allocated = input.authorType === 'OPERATOR' && input.participantOf !== undefined
    ? await allocateSeqForParticipant(tx.db, session.id, now, input.participantOf, Number(input.authorId))
    : await allocateSeq(tx.db, session.id, now, input.authorType);
  if (allocated === undefined) throw new AppError(ErrorCode.SESSION_CLOSED, `session ${session.id} is closed`);
  const seq = allocated.last_seq;
  const companyId = allocated.company_id;
  const row: MessageRow = {
    id: randomUUID(),
    session_id: session.id,
    seq,
    author_type: input.authorType,
    author_id: input.authorId ?? allocated.client_id,
    author_name: input.authorName ?? allocated.client_name ?? 'Client',
    type: 'REGULAR',
    body: input.body,
    answers: JSON.stringify(input.answers ?? []),
    actions: '[]',
    attachments: JSON.stringify(input.attachmentIds ?? []),
    reply_to_message_id: input.replyToMessageId ?? null,
    created_at: now,
    updated_at: null,
    read_at: null,
  };
  await insertMessage(tx.db, row);
  const avatars = input.authorType === 'OPERATOR' && input.avatarFileId === null ? noAvatars : ctx.avatars;
  const refs = await resolveMessageRefs(tx.db, companyId, [row], ctx.config.publicUrl, avatars);
  const message = presentMessage(row, refs.get(row.id) ?? { attachments: [], avatar: null });
  tx.record({
    type: 'message.created', companyId, chatId: allocated.chat_id, sessionId: session.id, seq,
    botStatus: allocated.bot_status, groupId: allocated.group_id, message,
  });
  return row;
}
