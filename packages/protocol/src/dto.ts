/**
 * REST and event payload schemas (TypeBox, i.e. JSON Schema) with their TypeScript
 * types derived from them. The server validates requests and documents responses
 * (OpenAPI) from these schemas; clients and tests import the types.
 */
import { Type, type Static, type TSchema } from '@sinclair/typebox';

/** Who wrote a message. Operator ids are numeric strings ("389"); bot and client ids are UUIDs. */
export const AuthorType = Type.Union([Type.Literal('BOT'), Type.Literal('OPERATOR'), Type.Literal('CLIENT')]);
export type AuthorType = Static<typeof AuthorType>;

/** Wire timestamp: seconds precision, explicit UTC offset, e.g. `2021-03-10T08:37:53+00:00`. */
export const Timestamp = Type.String({ description: 'ISO-8601 with offset, e.g. 2021-03-10T08:37:53+00:00' });

const Uuid = Type.String({ format: 'uuid' });

/** A stored file as TWIN presents it (operator avatars, message attachments). */
export const FileObject = Type.Object({
  id: Uuid,
  isPrivate: Type.Boolean(),
  createdAt: Timestamp,
  contentType: Type.String(),
  name: Type.String(),
  baseName: Type.String(),
  extension: Type.String(),
  suggestedExtension: Type.String(),
  path: Type.String(),
  size: Type.Integer(),
  url: Type.String(),
  downloadLink: Type.String(),
  ownerId: Type.Union([Type.String(), Type.Null()]),
});
export type FileObject = Static<typeof FileObject>;

/** A quick-reply button offered by a bot message. Pressing it sends `text` as a client message. */
export const Answer = Type.Object({
  id: Type.String({ description: 'stable id of the answer within its scenario node' }),
  text: Type.String(),
});
export type Answer = Static<typeof Answer>;

/**
 * A chat message exactly as the `chatMessageCreatedEmit` event carries it (seed 000).
 * The same function builds it for REST, Socket.IO and the operator channel.
 */
export const MessageDto = Type.Object({
  id: Uuid,
  authorId: Type.String(),
  authorType: AuthorType,
  authorName: Type.String(),
  type: Type.Literal('REGULAR'),
  body: Type.String(),
  answers: Type.Array(Answer),
  createdAt: Timestamp,
  sessionId: Uuid,
  attachments: Type.Array(FileObject),
  actions: Type.Array(Type.Record(Type.String(), Type.Unknown())),
  avatar: Type.Union([FileObject, Type.Null()]),
});
export type MessageDto = Static<typeof MessageDto>;

/** A message in history listings: the event shape plus read/edit state and reply link. */
export const HistoryMessageDto = Type.Composite([
  MessageDto,
  Type.Object({
    readAt: Type.Union([Timestamp, Type.Null()]),
    updatedAt: Type.Union([Timestamp, Type.Null()]),
    replyToMessageId: Type.Union([Uuid, Type.Null()]),
  }),
]);
export type HistoryMessageDto = Static<typeof HistoryMessageDto>;

/** Metadata values are strings; numbers and booleans are accepted and stored as text. */
const MetadataValue = Type.Union([Type.String({ maxLength: 1000 }), Type.Number(), Type.Boolean()]);

/** Body of `POST /chats/{chatId}/sessions` and `PUT /chats/{chatId}/sessions` (TWIN StartSession). */
export const StartSessionBody = Type.Object(
  {
    name: Type.Optional(Type.String({ maxLength: 255 })),
    botId: Type.Optional(Uuid),
    sessionId: Type.Optional(Uuid),
    recreateOnExists: Type.Optional(Type.Boolean()),
    clientId: Type.Optional(Uuid),
    clientExternalId: Type.Optional(Type.String({ minLength: 1, maxLength: 255 })),
    clientName: Type.Optional(Type.String({ maxLength: 255 })),
    clientFirstName: Type.Optional(Type.String({ maxLength: 255 })),
    clientMiddleName: Type.Optional(Type.String({ maxLength: 255 })),
    clientLastName: Type.Optional(Type.String({ maxLength: 255 })),
    clientNameForOperator: Type.Optional(Type.String({ maxLength: 255 })),
    clientPhone: Type.Optional(Type.Union([Type.String({ maxLength: 64 }), Type.Number()])),
    clientEmail: Type.Optional(Type.String({ maxLength: 255 })),
    clientDeviceId: Type.Optional(Type.String({ maxLength: 255 })),
    clientTimezone: Type.Optional(Type.Integer({ minimum: -1440, maximum: 1440 })),
    clientMetadata: Type.Optional(Type.Record(Type.String({ maxLength: 100 }), MetadataValue, { maxProperties: 100 })),
    channel: Type.Optional(Type.String({ maxLength: 64 })),
    messengerType: Type.Optional(Type.String({ maxLength: 64 })),
    messengerUserId: Type.Optional(Type.String({ maxLength: 255 })),
    sessionTtl: Type.Optional(Type.Integer({ minimum: 60, maximum: 31_536_000 })),
    returnAnswerAsync: Type.Optional(Type.Boolean()),
    referer: Type.Optional(Type.String({ maxLength: 2048 })),
    messageBody: Type.Optional(Type.String({ maxLength: 10_000 })),
    messageAttachments: Type.Optional(Type.Array(Uuid, { maxItems: 10 })),
  },
  { additionalProperties: true, description: 'Unknown TWIN fields are accepted and ignored.' },
);
export type StartSessionBody = Static<typeof StartSessionBody>;

/** Response of session start / continue. `messages` holds the bot's first answers. */
export const StartSessionResponse = Type.Object({
  id: Uuid,
  clientId: Uuid,
  startedAt: Timestamp,
  ttl: Type.Integer(),
  messages: Type.Array(MessageDto),
});
export type StartSessionResponse = Static<typeof StartSessionResponse>;

/** Body of a client message. `attachments` are ids of uploaded files. */
export const PostMessageBody = Type.Object(
  {
    body: Type.String({ maxLength: 10_000 }),
    attachments: Type.Optional(Type.Array(Uuid, { maxItems: 10 })),
    replyToMessageId: Type.Optional(Type.Union([Uuid, Type.Null()])),
  },
  { additionalProperties: true },
);
export type PostMessageBody = Static<typeof PostMessageBody>;

export const PostMessageResponse = Type.Object({ id: Uuid, createdAt: Timestamp });
export type PostMessageResponse = Static<typeof PostMessageResponse>;

/** A page of history. `nextCursor` is the id to pass as `after` for the next page (null at the end). */
export const MessagePage = Type.Object({
  count: Type.Integer({ description: 'total number of messages in the session' }),
  items: Type.Array(HistoryMessageDto),
  nextCursor: Type.Union([Uuid, Type.Null()]),
});
export type MessagePage = Static<typeof MessagePage>;

export const CloseSessionBody = Type.Object(
  { result: Type.Optional(Type.Union([Type.String({ maxLength: 255 }), Type.Null()])) },
  { additionalProperties: true },
);
export type CloseSessionBody = Static<typeof CloseSessionBody>;

export const ErrorResponseSchema = Type.Object({
  error: Type.Object({
    code: Type.String(),
    message: Type.String(),
    details: Type.Optional(Type.Array(Type.Object({ path: Type.String(), message: Type.String() }))),
  }),
});

/** Helper: a `{count, items}` list schema, TWIN's list envelope. */
export function ListOf<T extends TSchema>(item: T) {
  return Type.Object({ count: Type.Integer(), items: Type.Array(item) });
}

/** Session lifecycle: open until closed by the client, an operator, the bot or expiry. */
export const SessionStatus = Type.Union([Type.Literal('OPEN'), Type.Literal('CLOSED')]);
export type SessionStatus = Static<typeof SessionStatus>;

/**
 * Who is handling the session: the bot (`BOT`), nobody yet after a hand-off while
 * routing runs (`WAITING`), the shared help queue (`HELP`), or an operator (`OPERATOR`).
 */
export const BotStatus = Type.Union([Type.Literal('BOT'), Type.Literal('WAITING'), Type.Literal('HELP'), Type.Literal('OPERATOR')]);
export type BotStatus = Static<typeof BotStatus>;

/** Body of `POST /chats` and `PUT /chats/{chatId}` (TWIN SaveChat). Other TWIN settings are kept verbatim. */
export const SaveChatBody = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 255 }),
    botId: Type.Optional(Type.Union([Uuid, Type.Null()])),
    sessionTtl: Type.Optional(Type.Integer({ minimum: 60, maximum: 31_536_000 })),
    operatorsBusyMessage: Type.Optional(Type.String({ maxLength: 2000 })),
    allowableOperatorIdleTime: Type.Optional(Type.Integer({ minimum: 0, maximum: 86_400 })),
    timerFirstAnswer: Type.Optional(Type.Integer({ minimum: 0, maximum: 86_400 })),
    timerNextAnswers: Type.Optional(Type.Integer({ minimum: 0, maximum: 86_400 })),
    answerOnFirstClientMessage: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: true },
);
export type SaveChatBody = Static<typeof SaveChatBody>;

export const ChatDto = Type.Object(
  {
    id: Uuid,
    companyId: Type.Integer(),
    name: Type.String(),
    botId: Type.Union([Uuid, Type.Null()]),
    botName: Type.Union([Type.String(), Type.Null()]),
    sessionTtl: Type.Integer(),
    operatorsBusyMessage: Type.String(),
    allowableOperatorIdleTime: Type.Integer(),
    timerFirstAnswer: Type.Integer(),
    timerNextAnswers: Type.Integer(),
    answerOnFirstClientMessage: Type.Boolean(),
    createdAt: Timestamp,
    updatedAt: Timestamp,
  },
  { additionalProperties: true },
);
export type ChatDto = Static<typeof ChatDto>;
