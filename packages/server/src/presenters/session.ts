/** The session object operators receive (REST and `chatSessionStarted` / `chatSessionAdded`). */
import type { SessionDto } from '@parley/protocol';
import { formatNullable, formatTimestamp } from '../domain/time.js';
import type { MessageRow, SessionRow } from '../persistence/schema.js';
import type { MessageRefs } from './message.js';

export interface SessionExtras {
  client: { name: string | null; external_id: string | null } | null;
  participants: { operator_id: number; role: string; assigned_at: number; name: string }[];
  unread: number;
  last: MessageRow | null;
  lastOperator: MessageRow | null;
  firstClientAfterOperator: MessageRow | null;
  refs: Map<string, MessageRefs>;
  timers: { first: number; next: number };
  previousOperator: { id: number; name: string } | null;
}

function brief(m: MessageRow | null, refs: Map<string, MessageRefs>) {
  if (!m) return null;
  return {
    id: m.id, authorId: m.author_id, authorType: m.author_type, authorName: m.author_name, type: m.type, body: m.body,
    attachments: refs.get(m.id)?.attachments ?? [], createdAt: formatTimestamp(m.created_at), readAt: formatNullable(m.read_at),
  };
}

export function presentSession(s: SessionRow, x: SessionExtras): SessionDto {
  const primary = x.participants.find((p) => p.role === 'PRIMARY');
  const operatorType = s.bot_status === 'OPERATOR' ? 'OPERATOR' : s.bot_status === 'BOT' ? 'BOT' : null;
  return {
    id: s.id,
    chatId: s.chat_id,
    clientId: s.client_id,
    name: s.name ?? x.client?.name ?? '',
    markedAsSpam: s.marked_as_spam === 1,
    ttl: s.ttl,
    operatorId: s.operator_id === null ? (s.bot_status === 'BOT' ? s.bot_id : null) : String(s.operator_id),
    operatorName: primary?.name ?? null,
    operatorType,
    operators: x.participants.map((p) => ({ id: String(p.operator_id), name: p.name, type: p.role, assigned_at: formatTimestamp(p.assigned_at) })),
    channel: s.channel,
    botStatus: s.bot_status,
    status: s.status,
    startedAt: formatTimestamp(s.started_at),
    closedAt: formatNullable(s.closed_at),
    result: s.result,
    clientOnlineAt: formatNullable(s.client_online_at),
    clientOfflineAt: formatNullable(s.client_offline_at),
    lastMessageCreatedAt: formatNullable(s.last_message_at),
    lastMessage: brief(x.last, x.refs),
    clientExternalId: x.client?.external_id ?? null,
    clientName: x.client?.name ?? null,
    clientBanned: false,
    referer: s.referer,
    clientIp: s.client_ip,
    coordinates: null,
    unreadClientMessageCount: x.unread,
    unreadClientMessageExists: x.unread > 0,
    messengerType: s.messenger_type,
    whatsappPhone: null,
    timerFirstAnswer: x.timers.first,
    timerNextAnswers: x.timers.next,
    lastOperatorMessage: brief(x.lastOperator, x.refs),
    firstClientMessageAfterLastOperatorMessage: brief(x.firstClientAfterOperator, x.refs),
    operatorAssignedAt: formatNullable(s.operator_assigned_at),
    previousOperator: x.previousOperator ? { id: String(x.previousOperator.id), name: x.previousOperator.name } : null,
    groupId: s.group_id,
    helpAt: formatNullable(s.help_at),
  };
}
