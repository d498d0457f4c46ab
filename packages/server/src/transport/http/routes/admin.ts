/**
 * Admin REST for chats and bots: admin operators, or the bootstrap ADMIN_TOKEN
 * (which acts on the first company).
 */
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { Type } from '@sinclair/typebox';
import { BotDto, ChatDto, ErrorResponseSchema, ListOf, SaveBotBody, SaveChatBody, type SaveBotBody as BotBody, type SaveChatBody as ChatBody } from '@parley/protocol';
import type { HttpDeps } from '../app.js';
import { removeBot, requireBot, requireChat, saveBot, saveChat } from '../../../commands/admin.js';
import { findBot, listBots, listChats } from '../../../persistence/repos/directory.js';
import { presentBot, presentChat } from '../../../presenters/admin.js';
import type { ChatRow } from '../../../persistence/schema.js';
import type { AppContext } from '../../../context.js';

const Id = Type.String({ minLength: 1, maxLength: 64 });
const errors = { 400: ErrorResponseSchema, 401: ErrorResponseSchema, 404: ErrorResponseSchema, 409: ErrorResponseSchema };
const secured = { tags: ['admin'], security: [{ bearer: [] }] };

async function chatDto(ctx: AppContext, chat: ChatRow) {
  const bot = chat.bot_id ? await findBot(ctx.db.kysely, chat.bot_id) : undefined;
  return presentChat(chat, bot?.name ?? null);
}

export function adminRoutes({ ctx, auth }: HttpDeps): FastifyPluginAsync {
  return async (app) => {
    const company = async (req: FastifyRequest) => (await auth.admin(req)).companyId;
    const byId = Type.Object({ id: Id });

    app.get('/chats', { schema: { ...secured, response: { 200: ListOf(ChatDto), ...errors } } }, async (req) => {
      const rows = await listChats(ctx.db.kysely, await company(req));
      const items = await Promise.all(rows.map((r) => chatDto(ctx, r)));
      return { count: items.length, items };
    });
    app.get<{ Params: { id: string } }>('/chats/:id', { schema: { ...secured, params: byId, response: { 200: ChatDto, ...errors } } }, async (req) =>
      chatDto(ctx, await requireChat(ctx, await company(req), req.params.id)),
    );
    app.post<{ Body: ChatBody }>('/chats', { schema: { ...secured, body: SaveChatBody, response: { 201: Type.Object({ id: Type.String() }), ...errors } } }, async (req, reply) => {
      const chat = await saveChat(ctx, await company(req), req.body);
      return reply.status(201).send({ id: chat.id });
    });
    app.put<{ Params: { id: string }; Body: ChatBody }>('/chats/:id', { schema: { ...secured, params: byId, body: SaveChatBody, response: { 200: ChatDto, ...errors } } }, async (req) =>
      chatDto(ctx, await saveChat(ctx, await company(req), req.body, req.params.id)),
    );

    app.get('/bots', { schema: { ...secured, response: { 200: ListOf(BotDto), ...errors } } }, async (req) => {
      const items = (await listBots(ctx.db.kysely, await company(req))).map(presentBot);
      return { count: items.length, items };
    });
    app.get<{ Params: { id: string } }>('/bots/:id', { schema: { ...secured, params: byId, response: { 200: BotDto, ...errors } } }, async (req) =>
      presentBot(await requireBot(ctx, await company(req), req.params.id)),
    );
    app.post<{ Body: BotBody }>('/bots', { schema: { ...secured, body: SaveBotBody, response: { 201: BotDto, ...errors } } }, async (req, reply) =>
      reply.status(201).send(presentBot(await saveBot(ctx, await company(req), req.body))),
    );
    app.put<{ Params: { id: string }; Body: BotBody }>('/bots/:id', { schema: { ...secured, params: byId, body: SaveBotBody, response: { 200: BotDto, ...errors } } }, async (req) =>
      presentBot(await saveBot(ctx, await company(req), req.body, req.params.id)),
    );
    app.delete<{ Params: { id: string } }>('/bots/:id', { schema: { ...secured, params: byId, response: { 204: Type.Null(), ...errors } } }, async (req, reply) => {
      await removeBot(ctx, await company(req), req.params.id);
      return reply.status(204).send();
    });
  };
}
