/**
 * Admin use cases for chats (widget configurations) and bots, scoped to a company.
 * Scenarios are validated on save; every problem is reported at once.
 */
import { randomUUID } from 'node:crypto';
import { ErrorCode, type SaveBotBody, type SaveChatBody } from '@parley/protocol';
import type { AppContext } from '../context.js';
import { AppError } from '../domain/errors.js';
import type { BotRow, ChatRow } from '../persistence/schema.js';
import { chatsUsingBot, deleteBot, findBot, findChat, insertBot, insertChat, updateBot, updateChat } from '../persistence/repos/directory.js';
import { validateScenario } from '../bot/scenario/index.js';

const CHAT_FIELDS = new Set(['name', 'botId', 'sessionTtl', 'operatorsBusyMessage', 'allowableOperatorIdleTime', 'timerFirstAnswer', 'timerNextAnswers', 'answerOnFirstClientMessage']);
const READ_ONLY = new Set(['id', 'companyId', 'botName', 'createdAt', 'updatedAt']);

export const chatDefaults = {
  session_ttl: 3600,
  operators_busy_message: 'All operators are busy right now. Please wait, we will answer as soon as possible.',
  allowable_operator_idle_time: 300,
  timer_first_answer: 60,
  timer_next_answers: 120,
};

export async function requireChat(ctx: AppContext, companyId: number, id: string): Promise<ChatRow> {
  const chat = await findChat(ctx.db.kysely, id);
  if (!chat || chat.company_id !== companyId) throw new AppError(ErrorCode.CHAT_NOT_FOUND, `chat ${id} not found`);
  return chat;
}

export async function requireBot(ctx: AppContext, companyId: number, id: string): Promise<BotRow> {
  const bot = await findBot(ctx.db.kysely, id);
  if (!bot || bot.company_id !== companyId) throw new AppError(ErrorCode.BOT_NOT_FOUND, `bot ${id} not found`);
  return bot;
}

/** Creates a chat, or replaces the settings of an existing one when `id` is given. */
export async function saveChat(ctx: AppContext, companyId: number, body: SaveChatBody, id?: string): Promise<ChatRow> {
  const existing = id === undefined ? undefined : await requireChat(ctx, companyId, id);
  if (body.botId) await requireBot(ctx, companyId, body.botId);
  const extra = Object.fromEntries(Object.entries(body).filter(([k]) => !CHAT_FIELDS.has(k) && !READ_ONLY.has(k)));
  const now = ctx.clock.now();
  const row: ChatRow = {
    id: existing?.id ?? randomUUID(),
    company_id: companyId,
    name: body.name,
    bot_id: body.botId === undefined ? (existing?.bot_id ?? null) : body.botId,
    session_ttl: body.sessionTtl ?? existing?.session_ttl ?? chatDefaults.session_ttl,
    operators_busy_message: body.operatorsBusyMessage ?? existing?.operators_busy_message ?? chatDefaults.operators_busy_message,
    allowable_operator_idle_time: body.allowableOperatorIdleTime ?? existing?.allowable_operator_idle_time ?? chatDefaults.allowable_operator_idle_time,
    timer_first_answer: body.timerFirstAnswer ?? existing?.timer_first_answer ?? chatDefaults.timer_first_answer,
    timer_next_answers: body.timerNextAnswers ?? existing?.timer_next_answers ?? chatDefaults.timer_next_answers,
    answer_on_first_client_message: (body.answerOnFirstClientMessage ?? existing?.answer_on_first_client_message === 1) ? 1 : 0,
    settings: JSON.stringify({ ...(existing ? (JSON.parse(existing.settings) as object) : {}), ...extra }),
    created_at: existing?.created_at ?? now,
    updated_at: now,
  };
  if (existing) await updateChat(ctx.db.kysely, row.id, row);
  else await insertChat(ctx.db.kysely, row);
  return row;
}

function botConfig(body: SaveBotBody): string {
  if (body.type === 'scenario') {
    if (body.scenario === undefined) {
      throw new AppError(ErrorCode.INVALID_SCENARIO, 'scenario is required for scenario bots', [{ path: '/scenario', message: 'required' }]);
    }
    const checked = validateScenario(body.scenario);
    if (!checked.ok) {
      const details = checked.problems.map((p) => ({ path: `/scenario${p.path}`, message: p.message }));
      throw new AppError(ErrorCode.INVALID_SCENARIO, `the scenario has ${details.length} problem(s)`, details);
    }
    return JSON.stringify(checked.scenario);
  }
  if (!body.webhook) throw new AppError(ErrorCode.VALIDATION_FAILED, 'webhook: required for webhook bots', [{ path: '/webhook', message: 'required' }]);
  return JSON.stringify(body.webhook);
}

export async function saveBot(ctx: AppContext, companyId: number, body: SaveBotBody, id?: string): Promise<BotRow> {
  const existing = id === undefined ? undefined : await requireBot(ctx, companyId, id);
  // Secrets are write-only: an update without one keeps the stored secret.
  if (body.type === 'webhook' && body.webhook && body.webhook.secret === undefined && existing?.type === 'webhook') {
    const stored = (JSON.parse(existing.config) as { secret?: string }).secret;
    if (stored !== undefined) body = { ...body, webhook: { ...body.webhook, secret: stored } };
  }
  const config = botConfig(body);
  const now = ctx.clock.now();
  const row: BotRow = { id: existing?.id ?? randomUUID(), company_id: companyId, name: body.name, type: body.type, config, created_at: existing?.created_at ?? now, updated_at: now };
  if (existing) await updateBot(ctx.db.kysely, row.id, row);
  else await insertBot(ctx.db.kysely, row);
  return row;
}

export async function removeBot(ctx: AppContext, companyId: number, id: string): Promise<void> {
  await requireBot(ctx, companyId, id);
  if ((await chatsUsingBot(ctx.db.kysely, id)) > 0) throw new AppError(ErrorCode.BOT_IN_USE, `bot ${id} is used by a chat; unassign it first`);
  await deleteBot(ctx.db.kysely, id);
}
