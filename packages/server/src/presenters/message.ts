/**
 * Messages leave the server only through these functions, so REST, Socket.IO and the
 * operator channel carry the same shape.
 */
import type { Answer, FileObject, HistoryMessageDto, MessageDto } from '@parley/protocol';
import { formatNullable, formatTimestamp } from '../domain/time.js';
import type { MessageRow } from '../persistence/schema.js';

/** Attachment and avatar objects resolved for a message (the row stores only ids). */
export interface MessageRefs {
  attachments: FileObject[];
  avatar: FileObject | null;
}

/** The `chatMessageCreatedEmit` shape (seed 000), field for field. */
export function presentMessage(row: MessageRow, refs: MessageRefs): MessageDto {
  return {
    id: row.id,
    authorId: row.author_id,
    authorType: row.author_type,
    authorName: row.author_name,
    type: row.type,
    body: row.body,
    answers: JSON.parse(row.answers) as Answer[],
    createdAt: formatTimestamp(row.created_at),
    sessionId: row.session_id,
    attachments: refs.attachments,
    actions: JSON.parse(row.actions) as Record<string, unknown>[],
    avatar: refs.avatar,
  };
}

/** History items: the event shape plus read/edit state and the reply link. */
export function presentHistoryMessage(row: MessageRow, refs: MessageRefs): HistoryMessageDto {
  const m = presentMessage(row, refs);
  // Named one by one: a spread followed by more fields costs new hidden classes on every call (see appendMessage's messageRow).
  return {
    id: m.id,
    authorId: m.authorId,
    authorType: m.authorType,
    authorName: m.authorName,
    type: m.type,
    body: m.body,
    answers: m.answers,
    createdAt: m.createdAt,
    sessionId: m.sessionId,
    attachments: m.attachments,
    actions: m.actions,
    avatar: m.avatar,
    readAt: formatNullable(row.read_at),
    updatedAt: formatNullable(row.updated_at),
    replyToMessageId: row.reply_to_message_id,
  };
}
