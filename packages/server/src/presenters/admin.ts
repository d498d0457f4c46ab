import type { BotDto, ChatDto, WebhookBotConfig } from '@parley/protocol';
import { formatTimestamp } from '../domain/time.js';
import type { BotRow, ChatRow } from '../persistence/schema.js';

export function presentChat(row: ChatRow, botName: string | null): ChatDto {
  return {
    ...(JSON.parse(row.settings) as Record<string, unknown>),
    id: row.id,
    companyId: row.company_id,
    name: row.name,
    botId: row.bot_id,
    botName,
    sessionTtl: row.session_ttl,
    operatorsBusyMessage: row.operators_busy_message,
    allowableOperatorIdleTime: row.allowable_operator_idle_time,
    timerFirstAnswer: row.timer_first_answer,
    timerNextAnswers: row.timer_next_answers,
    answerOnFirstClientMessage: row.answer_on_first_client_message === 1,
    createdAt: formatTimestamp(row.created_at),
    updatedAt: formatTimestamp(row.updated_at),
  };
}

/** Webhook secrets are write-only: never returned. */
export function presentBot(row: BotRow): BotDto {
  const config = JSON.parse(row.config) as unknown;
  const webhook = row.type === 'webhook' ? { ...(config as WebhookBotConfig), secret: undefined } : null;
  if (webhook) delete webhook.secret;
  return {
    id: row.id,
    name: row.name,
    type: row.type,
    scenario: row.type === 'scenario' ? config : null,
    webhook,
    createdAt: formatTimestamp(row.created_at),
    updatedAt: formatTimestamp(row.updated_at),
  };
}
