/**
 * Bot definitions as the admin REST API accepts and returns them.
 *
 * A scenario bot is a graph of nodes. Texts may use `{{variable}}` placeholders,
 * filled from the client's `clientMetadata`, `client.name` / `client.email` /
 * `client.phone`, and values saved by question nodes (`saveAs`).
 * The semantics are documented in docs/BOTS.md.
 */
import { Type, type Static } from '@sinclair/typebox';

/** A button on a message or question node. */
export interface ScenarioAnswer {
  /** Stable id; defaults to `<nodeId>:<index>`. A client may send the id or the text. */
  id?: string;
  text: string;
  /** Node to go to when the client picks this answer. */
  next: string;
}

/** A free-text branch of a question node: any keyword (whole word, case-insensitive) or the regex. */
export interface ScenarioBranch {
  keywords?: string[];
  regex?: string;
  next: string;
}

/** Says `text`; with answers it waits for a pick, without them it goes on to `next` at once. */
export interface MessageNode {
  type: 'message';
  text: string;
  answers?: ScenarioAnswer[];
  next?: string;
}

/** Says `text` and waits; branches on the chosen answer, then keywords/regex, then `next`. */
export interface QuestionNode {
  type: 'question';
  text: string;
  answers?: ScenarioAnswer[];
  branches?: ScenarioBranch[];
  /** Store the client's reply in this variable. */
  saveAs?: string;
  /** Where unmatched input goes; without it the bot repeats `fallbackText` and waits again. */
  next?: string;
}

/** Hands the session to operators. */
export interface HandoffNode {
  type: 'handoff';
  /** Defaults to "Переключаю на оператора". */
  text?: string;
}

/** Ends the dialog; with `close`, the session is closed too. Otherwise the next message restarts at `start`. */
export interface EndNode {
  type: 'end';
  text?: string;
  close?: boolean;
}

export type ScenarioNode = MessageNode | QuestionNode | HandoffNode | EndNode;

export interface Scenario {
  /** Id of the first node. */
  start: string;
  nodes: Record<string, ScenarioNode>;
  /** Words that hand off to an operator from any waiting node. Default: ["operator", "оператор"]. */
  handoffKeywords?: string[];
  /** Said when input matches nothing at a node with no `next`. */
  fallbackText?: string;
}

/** Settings of an external webhook bot. */
export const WebhookBotConfig = Type.Object({
  url: Type.String({ format: 'uri', pattern: '^https?://', maxLength: 2048 }),
  /** How long Parley waits for an answer before handing the session to operators. */
  timeoutMs: Type.Optional(Type.Integer({ minimum: 100, maximum: 60_000 })),
  /** Sent as `Authorization: Bearer <secret>` so the webhook can check the caller. */
  secret: Type.Optional(Type.String({ maxLength: 512 })),
});
export type WebhookBotConfig = Static<typeof WebhookBotConfig>;

export const BotType = Type.Union([Type.Literal('scenario'), Type.Literal('webhook')]);
export type BotType = Static<typeof BotType>;

/** Body of `POST /bots` and `PUT /bots/{botId}`. The scenario is checked by the scenario validator. */
export const SaveBotBody = Type.Object({
  name: Type.String({ minLength: 1, maxLength: 255 }),
  type: BotType,
  scenario: Type.Optional(Type.Unknown({ description: 'required for type=scenario; see docs/BOTS.md' })),
  webhook: Type.Optional(WebhookBotConfig),
});
export type SaveBotBody = Static<typeof SaveBotBody>;

export const BotDto = Type.Object({
  id: Type.String({ format: 'uuid' }),
  name: Type.String(),
  type: BotType,
  scenario: Type.Union([Type.Unknown(), Type.Null()]),
  webhook: Type.Union([WebhookBotConfig, Type.Null()]),
  createdAt: Type.String(),
  updatedAt: Type.String(),
});
export type BotDto = Static<typeof BotDto>;

/**
 * What an external webhook bot receives: `POST <url>` with this JSON body.
 * `event` is `start` when the session starts and `message` for each client message.
 */
export interface WebhookBotRequest {
  event: 'start' | 'message';
  sessionId: string;
  chatId: string;
  client: { id: string; externalId: string | null; name: string | null; email: string | null; phone: string | null; metadata: Record<string, string> };
  message: { id: string; body: string } | null;
}

/** What an external webhook bot answers (HTTP 2xx, JSON). */
export const WebhookBotResponse = Type.Object({
  messages: Type.Optional(
    Type.Array(
      Type.Object({
        body: Type.String({ maxLength: 10_000 }),
        answers: Type.Optional(Type.Array(Type.Object({ id: Type.Optional(Type.String()), text: Type.String() }), { maxItems: 20 })),
      }),
      { maxItems: 20 },
    ),
  ),
  /** Hand the session to operators after posting the messages. */
  handoff: Type.Optional(Type.Boolean()),
  /** Close the session after posting the messages. */
  close: Type.Optional(Type.Boolean()),
});
export type WebhookBotResponse = Static<typeof WebhookBotResponse>;
