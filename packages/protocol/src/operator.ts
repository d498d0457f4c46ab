/**
 * Operator-side contracts: auth, the session object (TWIN's session shape), operator
 * and group administration, and the publications of the operator live channel.
 */
import { Type, type Static } from '@sinclair/typebox';
import { FileObject, HistoryMessageDto, MessageDto, Timestamp } from './dto.js';

const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(t: T) => Type.Union([t, Type.Null()]);

export const LoginBody = Type.Object({
  email: Type.String({ minLength: 3, maxLength: 255 }),
  password: Type.String({ minLength: 1, maxLength: 1024 }),
  /** Access-token lifetime in seconds (default 24 h, at most 30 days). */
  ttl: Type.Optional(Type.Integer({ minimum: 60, maximum: 30 * 86_400 })),
  companyId: Type.Optional(Type.Union([Type.Integer(), Type.Null()])),
  extra: Type.Optional(Type.Unknown()),
});
export type LoginBody = Static<typeof LoginBody>;

export const TokenPair = Type.Object({ token: Type.String(), refreshToken: Type.String() });
export type TokenPair = Static<typeof TokenPair>;

export const OperatorStatusValue = Type.Union([Type.Literal('ACTIVE'), Type.Literal('PAUSED'), Type.Literal('OFFLINE')]);

/** An operator as the REST API presents it. Ids are numeric strings, as in TWIN's events. */
export const OperatorDto = Type.Object({
  id: Type.String(),
  companyId: Type.Integer(),
  email: Type.String(),
  name: Type.String(),
  role: Type.Union([Type.Literal('ADMIN'), Type.Literal('OPERATOR')]),
  status: OperatorStatusValue,
  blocked: Type.Boolean(),
  online: Type.Boolean({ description: 'connected to the live channel now' }),
  avatar: Nullable(FileObject),
  groupIds: Type.Array(Type.Integer()),
  activeSessionCount: Type.Integer(),
});
export type OperatorDto = Static<typeof OperatorDto>;

export const SaveOperatorBody = Type.Object({
  email: Type.String({ format: 'email', maxLength: 255 }),
  name: Type.String({ minLength: 1, maxLength: 255 }),
  role: Type.Optional(Type.Union([Type.Literal('ADMIN'), Type.Literal('OPERATOR')])),
  /** Required when creating; optional when updating (unchanged when absent). */
  password: Type.Optional(Type.String({ minLength: 8, maxLength: 1024 })),
  groupIds: Type.Optional(Type.Array(Type.Integer(), { maxItems: 100 })),
});
export type SaveOperatorBody = Static<typeof SaveOperatorBody>;

export const GroupDto = Type.Object({
  id: Type.Integer(),
  name: Type.String(),
  timerFirstAnswer: Type.Integer(),
  timerNextAnswers: Type.Integer(),
  sessionLimit: Type.Integer(),
  operatorIds: Type.Array(Type.String()),
  chatIds: Type.Array(Type.String()),
});
export type GroupDto = Static<typeof GroupDto>;

export const SaveGroupBody = Type.Object({
  name: Type.String({ minLength: 1, maxLength: 255 }),
  timerFirstAnswer: Type.Optional(Type.Integer({ minimum: 0, maximum: 86_400 })),
  timerNextAnswers: Type.Optional(Type.Integer({ minimum: 0, maximum: 86_400 })),
  sessionLimit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
  operatorIds: Type.Optional(Type.Array(Type.Union([Type.String({ pattern: '^\\d+$' }), Type.Integer()]), { maxItems: 1000 })),
  chatIds: Type.Optional(Type.Array(Type.String(), { maxItems: 1000 })),
});
export type SaveGroupBody = Static<typeof SaveGroupBody>;

export const SetStatusBody = Type.Object({ status: Type.Union([Type.Literal('ACTIVE'), Type.Literal('PAUSED')]) });
export type SetStatusBody = Static<typeof SetStatusBody>;

const LastMessage = Type.Object({
  id: Type.String(), authorId: Type.String(), authorType: Type.String(), authorName: Type.String(), type: Type.String(),
  body: Type.String(), attachments: Type.Array(FileObject), createdAt: Timestamp, readAt: Nullable(Timestamp),
});

/** A session as operators see it: the `chatSessionStarted` shape of seed 001 (plus list extras). */
export const SessionDto = Type.Object({
  id: Type.String(),
  chatId: Type.String(),
  clientId: Nullable(Type.String()),
  name: Type.String(),
  markedAsSpam: Type.Boolean(),
  ttl: Type.Integer(),
  operatorId: Nullable(Type.String()),
  operatorName: Nullable(Type.String()),
  operatorType: Nullable(Type.String()),
  operators: Type.Array(Type.Object({ id: Type.String(), name: Type.String(), type: Type.String(), assigned_at: Timestamp })),
  channel: Type.String(),
  botStatus: Nullable(Type.String()),
  status: Type.String(),
  startedAt: Timestamp,
  closedAt: Nullable(Timestamp),
  result: Nullable(Type.String()),
  clientOnlineAt: Nullable(Timestamp),
  clientOfflineAt: Nullable(Timestamp),
  lastMessageCreatedAt: Nullable(Timestamp),
  lastMessage: Nullable(LastMessage),
  clientExternalId: Nullable(Type.String()),
  clientName: Nullable(Type.String()),
  clientBanned: Type.Boolean(),
  referer: Nullable(Type.String()),
  clientIp: Nullable(Type.String()),
  coordinates: Type.Null(),
  unreadClientMessageCount: Type.Integer(),
  unreadClientMessageExists: Type.Boolean(),
  messengerType: Nullable(Type.String()),
  whatsappPhone: Type.Null(),
  timerFirstAnswer: Type.Integer(),
  timerNextAnswers: Type.Integer(),
  lastOperatorMessage: Nullable(LastMessage),
  firstClientMessageAfterLastOperatorMessage: Nullable(LastMessage),
  operatorAssignedAt: Nullable(Timestamp),
  previousOperator: Nullable(Type.Object({ id: Nullable(Type.String()), name: Nullable(Type.String()) })),
  groupId: Nullable(Type.Integer()),
  helpAt: Nullable(Timestamp),
});
export type SessionDto = Static<typeof SessionDto>;

export const OperatorMessageBody = Type.Object(
  {
    body: Type.String({ maxLength: 10_000 }),
    attachments: Type.Optional(Type.Array(Type.String({ format: 'uuid' }), { maxItems: 10 })),
    replyToMessageId: Type.Optional(Type.Union([Type.String({ format: 'uuid' }), Type.Null()])),
  },
  { additionalProperties: true },
);
export type OperatorMessageBody = Static<typeof OperatorMessageBody>;

export const EditMessageBody = Type.Object({ body: Type.String({ minLength: 1, maxLength: 10_000 }) }, { additionalProperties: true });
export type EditMessageBody = Static<typeof EditMessageBody>;

/** The server-side channel every operator connection is subscribed to. */
export const operatorChannel = (operatorId: string | number) => `operator:${operatorId}`;

/** Names of the operator live-channel events (seed 001). */
export const OperatorEvent = {
  chatSessionStarted: 'chatSessionStarted',
  operatorNotFound: 'operatorNotFound',
  chatSessionAdded: 'chatSessionAdded',
  chatMessageCreated: 'chatMessageCreated',
  chatMessageEdited: 'chatMessageEdited',
  chatMessageRead: 'chatMessageRead',
  chatSessionDeleted: 'chatSessionDeleted',
  chatSessionSwitchedFromBotToOperator: 'chatSessionSwitchedFromBotToOperator',
  sessionClosedByClient: 'sessionClosedByClient',
  operatorBlocked: 'operatorBlocked',
  chatUserExists: 'chatUserExists',
  typing: 'typing',
  operatorLoggedOut: 'operatorLoggedOut',
  clientOnline: 'clientOnline',
  clientOffline: 'clientOffline',
} as const;

/**
 * Publication payloads on the operator channel: `{event, data}`; the events the seed
 * documents with `action` carry it too.
 */
export interface OperatorPublications {
  chatSessionStarted: { event: 'chatSessionStarted'; data: SessionDto };
  operatorNotFound: {
    event: 'operatorNotFound'; action: 'operatorNotFound';
    data: { botStatus: string; chatId: string; operatorType: string; sessionId: string; status: string };
  };
  chatSessionAdded: { event: 'chatSessionAdded'; data: SessionDto };
  chatMessageCreated: { event: 'chatMessageCreated'; data: MessageDto };
  chatMessageEdited: { event: 'chatMessageEdited'; data: HistoryMessageDto };
  chatMessageRead: { event: 'chatMessageRead'; data: { messageId: string; sessionId: string; readAt: string } };
  chatSessionDeleted: { event: 'chatSessionDeleted'; data: { sessionId: string; reason: 'TAKEN' | 'TRANSFERRED' | 'REMOVED' | 'CLOSED' | 'RETURNED' } };
  chatSessionSwitchedFromBotToOperator: { event: 'chatSessionSwitchedFromBotToOperator'; data: { sessionId: string; chatId: string; operatorId: string; operatorName: string } };
  sessionClosedByClient: { event: 'sessionClosedByClient'; data: { sessionId: string; result: string | null } };
  operatorBlocked: { event: 'operatorBlocked'; data: { operatorId: string } };
  chatUserExists: { event: 'chatUserExists'; data: { operatorId: string } };
  typing: { event: 'typing'; data: { sessionId: string; authorType: 'CLIENT' | 'OPERATOR'; authorId: string } };
  operatorLoggedOut: { event: 'operatorLoggedOut'; data: { operatorId: string } };
  clientOnline: { event: 'clientOnline'; action: 'clientOnline'; data: { id: string; clientId: string | null } };
  clientOffline: { event: 'clientOffline'; action: 'clientOffline'; data: { id: string; clientId: string | null } };
}
export type OperatorPublication = OperatorPublications[keyof OperatorPublications];

/** Operator → server over the live channel: RPC method `typing` or a publish into `operatorChannel`. */
export interface OperatorTypingRequest {
  event?: 'typing';
  sessionId: string;
}
