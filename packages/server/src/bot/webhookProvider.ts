/**
 * External webhook bot: POSTs each turn to the configured URL and posts what it
 * answers. Any failure (network, non-2xx, timeout, invalid body) hands the session
 * to operators, so a broken bot never strands a client.
 */
import { Value } from '@sinclair/typebox/value';
import { WebhookBotResponse, type WebhookBotConfig, type WebhookBotRequest } from '@parley/protocol';
import type { Logger } from 'pino';
import type { BotInput, BotProvider, BotReply, BotTurnContext } from './provider.js';

const MAX_RESPONSE_BYTES = 1_048_576;

export function webhookProvider(defaultTimeoutMs: number, log: Logger): BotProvider {
  return {
    async turn(ctx: BotTurnContext, input: BotInput): Promise<BotReply> {
      const cfg = JSON.parse(ctx.bot.config) as WebhookBotConfig;
      const request: WebhookBotRequest = {
        event: input.kind,
        sessionId: ctx.sessionId,
        chatId: ctx.chatId,
        client: ctx.client,
        message: input.kind === 'message' ? { id: input.messageId, body: input.body } : input.first ? { id: input.first.messageId, body: input.first.body } : null,
      };
      const handoff: BotReply = { messages: [], action: 'handoff', state: ctx.state ?? null };
      try {
        const res = await fetch(cfg.url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...(cfg.secret ? { authorization: `Bearer ${cfg.secret}` } : {}) },
          body: JSON.stringify(request),
          signal: AbortSignal.timeout(cfg.timeoutMs ?? defaultTimeoutMs),
          redirect: 'error',
        });
        const text = await res.text();
        if (!res.ok) throw new Error(`webhook answered HTTP ${res.status}`);
        if (text.length > MAX_RESPONSE_BYTES) throw new Error('webhook answer too large');
        const body: unknown = text.trim() === '' ? {} : JSON.parse(text);
        if (!Value.Check(WebhookBotResponse, body)) throw new Error('webhook answer does not match the contract');
        const messages = (body.messages ?? []).map((m, i) => ({
          body: m.body,
          answers: (m.answers ?? []).map((a, j) => ({ id: a.id ?? `${i}:${j}`, text: a.text })),
        }));
        const action = body.close ? 'close' : body.handoff ? 'handoff' : 'wait';
        return { messages, action, state: null };
      } catch (err) {
        log.warn({ err, botId: ctx.bot.id, sessionId: ctx.sessionId }, 'webhook bot failed; handing the session to operators');
        return handoff;
      }
    },
  };
}
