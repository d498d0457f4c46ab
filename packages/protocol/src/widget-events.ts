/**
 * The client (widget / mobile app / integration) real-time channel: Socket.IO at
 * path `/operator/socket.io` with `?key=<sessionId>`, default namespace.
 * Server → client events and payloads follow TWIN's published widget events exactly.
 */
import type { ErrorBody } from './errors.js';
import type { AuthorType, FileObject, HistoryMessageDto, MessageDto } from './dto.js';

/** The Socket.IO engine path clients connect to. */
export const WIDGET_SOCKET_PATH = '/operator/socket.io';

/** Server → client event names. */
export const WidgetEvent = {
  chatMessageCreated: 'chatMessageCreatedEmit',
  showTypingIndicator: 'showTypingIndicatorEmit',
  chatMessageRead: 'chatMessageReadEmit',
  operatorChanged: 'operatorChangedEmit',
  operatorStatusChanged: 'operatorStatusChangedEmit',
  operatorLoggedOut: 'operatorLoggedOutEmit',
  /** Parley extension: the session was closed (TWIN lists no such event). */
  sessionClosed: 'sessionClosedEmit',
  /** Parley extension: an operator edited a message (TWIN lists no such event). */
  chatMessageEdited: 'chatMessageEditedEmit',
} as const;

/** Client → server event names (Parley extensions; TWIN documents none). */
export const WidgetClientEvent = {
  /** The client is typing. Payload: none or `{}`. */
  typing: 'typing',
  /** The client has read a bot/operator message. Payload `{messageId}`. */
  messageRead: 'messageRead',
} as const;

/** `showTypingIndicatorEmit` payload. */
export interface TypingIndicatorPayload {
  authorType: Exclude<AuthorType, 'CLIENT'>;
}

/** `chatMessageReadEmit` payload: the client's message was read by an operator. */
export interface MessageReadPayload {
  messageId: string;
}

/** `operatorChangedEmit` payload: first assignment after the bot, or a transfer. */
export interface OperatorChangedPayload {
  operatorId: string;
  operatorName: string;
  avatar: FileObject | null;
  previousOperatorId: string | null;
  previousOperatorName: string | null;
  previousOperatorAvatar: FileObject | null;
}

/** Operator statuses as exposed on the wire. */
export type OperatorStatus = 'ACTIVE' | 'PAUSED';

/** `operatorStatusChangedEmit` payload. */
export interface OperatorStatusChangedPayload {
  operatorId: string;
  previousStatus: OperatorStatus;
  currentStatus: OperatorStatus;
}

/** `operatorLoggedOutEmit` payload. */
export interface OperatorLoggedOutPayload {
  operatorId: string;
}

/** `sessionClosedEmit` payload (Parley extension). */
export interface SessionClosedPayload {
  sessionId: string;
  closedBy: 'CLIENT' | 'OPERATOR' | 'BOT' | 'SYSTEM';
  result: string | null;
}

/** Server → client event map, usable as the first type parameter of socket.io's `Server`. */
export interface WidgetServerToClientEvents {
  chatMessageCreatedEmit: (message: MessageDto) => void;
  showTypingIndicatorEmit: (payload: TypingIndicatorPayload) => void;
  chatMessageReadEmit: (payload: MessageReadPayload) => void;
  operatorChangedEmit: (payload: OperatorChangedPayload) => void;
  operatorStatusChangedEmit: (payload: OperatorStatusChangedPayload) => void;
  operatorLoggedOutEmit: (payload: OperatorLoggedOutPayload) => void;
  sessionClosedEmit: (payload: SessionClosedPayload) => void;
  chatMessageEditedEmit: (message: HistoryMessageDto) => void;
}

/** Acknowledgement sent back for client → server events when the client asks for one. */
export type WidgetAck = { ok: true } | { ok: false; error: ErrorBody };

/** Client → server event map. */
export interface WidgetClientToServerEvents {
  typing: (payload?: unknown, ack?: (result: WidgetAck) => void) => void;
  messageRead: (payload: unknown, ack?: (result: WidgetAck) => void) => void;
}
