/**
 * The bot engine's one interface. A provider turns "the session started" or "the
 * client said X" into replies plus what happens next; it never touches the database.
 */
import type { Answer } from '@parley/protocol';
import type { BotRow } from '../persistence/schema.js';

export interface BotClientInfo {
  id: string;
  externalId: string | null;
  name: string | null;
  email: string | null;
  phone: string | null;
  metadata: Record<string, string>;
}

export interface BotTurnContext {
  bot: BotRow;
  sessionId: string;
  chatId: string;
  client: BotClientInfo;
  /** The provider's own state from the previous turn (undefined on the first). */
  state: unknown;
}

/** `start` may carry the client message that started the dialog (chats that answer on the first message). */
export type BotInput = { kind: 'start'; first?: { messageId: string; body: string } } | { kind: 'message'; messageId: string; body: string };

/** `wait`: keep the session with the bot; `handoff`: to operators; `end`: dialog over; `close`: close the session. */
export type BotAction = 'wait' | 'handoff' | 'end' | 'close';

export interface BotReply {
  messages: { body: string; answers: Answer[] }[];
  action: BotAction;
  state: unknown;
}

export interface BotProvider {
  turn(ctx: BotTurnContext, input: BotInput): Promise<BotReply>;
}
