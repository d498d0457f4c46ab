/**
 * Starts a chat session (POST /chats/{chatId}/sessions) or continues the client's
 * last open one (PUT). With `returnAnswerAsync` false (the default) the response
 * waits for the bot's first answers, which are committed before it is sent.
 */
import { randomUUID } from 'node:crypto';
import { ErrorCode, type MessageDto, type StartSessionBody, type StartSessionResponse } from '@parley/protocol';
import type { AppContext } from '../context.js';
import { AppError } from '../domain/errors.js';
import { formatTimestamp } from '../domain/time.js';
import type { ChatRow, ClientRow, SessionRow } from '../persistence/schema.js';
import { findBot, findChat, findClient, findFiles } from '../persistence/repos/directory.js';
import { findOpenSessionOfClient, findSession, insertSession, lockClient } from '../persistence/repos/sessions.js';
import type { BotRunner } from '../bot/runner.js';
import { appendMessage } from './appendMessage.js';
import { closeOpenSession } from './lifecycle.js';
import { resolveClient } from './resolveClient.js';
import { repliesAfter } from '../queries/messages.js';

export interface StartSessionInput {
  chatId: string;
  body: StartSessionBody;
  clientIp: string | null;
  /** `start`: always a new session; `continue`: the client's last open session if any. */
  mode: 'start' | 'continue';
}

export interface StartSessionResult {
  created: boolean;
  response: StartSessionResponse;
}

export async function startSession(ctx: AppContext, bots: BotRunner, input: StartSessionInput): Promise<StartSessionResult> {
  const { body } = input;
  const chat = await findChat(ctx.db.kysely, input.chatId);
  if (!chat) throw new AppError(ErrorCode.CHAT_NOT_FOUND, `chat ${input.chatId} not found`);
  const botId = await pickBot(ctx, chat, body.botId);
  const attachments = body.messageAttachments ?? [];
  const files = await findFiles(ctx.db.kysely, chat.company_id, attachments);
  if (files.length !== new Set(attachments).size) throw new AppError(ErrorCode.FILE_NOT_FOUND, 'messageAttachments: unknown file id', [{ path: '/messageAttachments', message: 'unknown file id' }]);

  if (input.mode === 'continue' && body.sessionId !== undefined) {
    const byId = await continuableById(ctx, chat, body);
    if (byId && body.recreateOnExists) await ctx.uow.run((tx) => closeOpenSession(ctx, tx, byId, 'SYSTEM', 'recreated'));
    else if (byId) {
      // Profile fields in the request update the session's client, as on every start.
      await resolveClient(ctx, chat, { ...body, clientId: byId.client_id, clientExternalId: undefined });
      return { created: false, response: await continueExisting(ctx, bots, byId, body) };
    }
  }

  const client = await resolveClient(ctx, chat, body);
  const now = ctx.clock.now();
  const session: SessionRow = {
    id: randomUUID(), company_id: chat.company_id, chat_id: chat.id, client_id: client.id, name: body.name ?? null,
    status: 'OPEN', bot_status: botId ? 'BOT' : 'WAITING', bot_id: botId, bot_state: '{}', bot_processed_seq: 0,
    operator_id: null, operator_assigned_at: null, channel: body.channel ?? 'WIDGET', messenger_type: body.messengerType ?? null,
    referer: body.referer ?? null, client_ip: input.clientIp, ttl: body.sessionTtl ?? chat.session_ttl, marked_as_spam: 0,
    last_seq: 0, started_at: now, last_message_at: null, last_activity_at: now, handed_off_at: botId ? null : now,
    client_online_at: null, client_offline_at: null, closed_at: null, closed_by: null, result: null,
    group_id: null, help_at: null, previous_operator_id: null, last_client_message_at: null, last_operator_message_at: null, awaiting_answer_since: null,
  };
  const byClient = input.mode === 'continue' && (body.clientId !== undefined || body.clientExternalId !== undefined);
  const existing = await ctx.uow.run(async (tx) => {
    if (byClient) {
      // Find-or-create under the client's row lock: concurrent continues end in one session.
      await lockClient(tx.db, ctx.db.dialect, client.id);
      const open = await findOpenSessionOfClient(tx.db, chat.id, client.id);
      if (open && !body.recreateOnExists) return open;
      if (open) await closeOpenSession(ctx, tx, open, 'SYSTEM', 'recreated');
    }
    await insertSession(tx.db, session);
    tx.record({ type: 'session.started', companyId: chat.company_id, chatId: chat.id, sessionId: session.id, botStatus: session.bot_status });
    if (!botId) tx.record({ type: 'session.handedOff', companyId: chat.company_id, chatId: chat.id, sessionId: session.id });
    if (body.messageBody !== undefined && (body.messageBody.trim() !== '' || attachments.length > 0)) {
      await appendMessage(ctx, tx, session, clientMessage(client, body.messageBody, attachments));
    }
    return null;
  });
  if (existing) return { created: false, response: await continueExisting(ctx, bots, existing, body) };
  const messages = await botAnswers(ctx, bots, session, 0, body.returnAnswerAsync === true);
  return { created: true, response: { id: session.id, clientId: client.id, startedAt: formatTimestamp(now), ttl: session.ttl, messages } };
}

async function pickBot(ctx: AppContext, chat: ChatRow, requested: string | undefined): Promise<string | null> {
  if (requested === undefined) return chat.bot_id;
  const bot = await findBot(ctx.db.kysely, requested.toLowerCase());
  if (!bot || bot.company_id !== chat.company_id) throw new AppError(ErrorCode.BOT_NOT_FOUND, `bot ${requested} not found`);
  return bot.id;
}

/** The open session of this chat named by `sessionId` (and matching `clientId` when given). */
async function continuableById(ctx: AppContext, chat: ChatRow, body: StartSessionBody): Promise<SessionRow | undefined> {
  const s = await findSession(ctx.db.kysely, body.sessionId!.toLowerCase());
  if (s && s.chat_id === chat.id && s.status === 'OPEN' && (body.clientId === undefined || body.clientId.toLowerCase() === s.client_id)) return s;
  return undefined;
}

async function continueExisting(ctx: AppContext, bots: BotRunner, session: SessionRow, body: StartSessionBody): Promise<StartSessionResponse> {
  let afterSeq = session.last_seq;
  const files = body.messageAttachments ?? [];
  if (body.messageBody !== undefined && (body.messageBody.trim() !== '' || files.length > 0)) {
    const text = body.messageBody;
    const client = (await findClient(ctx.db.kysely, session.client_id)) ?? { id: session.client_id, name: null };
    const row = await ctx.uow.run((tx) => appendMessage(ctx, tx, session, clientMessage(client, text, files)));
    afterSeq = row.seq;
  }
  const messages = await botAnswers(ctx, bots, session, afterSeq, body.returnAnswerAsync === true || afterSeq === session.last_seq);
  return { id: session.id, clientId: session.client_id, startedAt: formatTimestamp(session.started_at), ttl: session.ttl, messages };
}

function clientMessage(client: Pick<ClientRow, 'id' | 'name'>, body: string, attachmentIds: string[]) {
  return { authorType: 'CLIENT' as const, authorId: client.id, authorName: client.name ?? 'Client', body, attachmentIds };
}

/** Lets the bot answer (unless async) and returns what the session received after `afterSeq`. */
async function botAnswers(ctx: AppContext, bots: BotRunner, session: SessionRow, afterSeq: number, async: boolean): Promise<MessageDto[]> {
  if (session.bot_status !== 'BOT') return [];
  if (async) {
    void bots.schedule(session.id);
    return [];
  }
  await bots.schedule(session.id);
  return repliesAfter(ctx, session.company_id, session.id, afterSeq);
}
