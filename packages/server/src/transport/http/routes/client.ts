/**
 * The client (widget / app / integration) REST API, TWIN paths. No credentials:
 * the chat id is public and the session id is the client's key (TWIN's `x_widget=1`).
 * TWIN serves operators on some of the same paths with a bearer token: with one,
 * these routes act for the operator instead.
 */
import type { FastifyPluginAsync } from 'fastify';
import { Type } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { AppError } from '../../../domain/errors.js';
import {
  CloseSessionBody, ErrorCode, ErrorResponseSchema, MessagePage, PostMessageBody, PostMessageResponse, StartSessionBody, StartSessionResponse,
  type CloseSessionBody as CloseBody, type PostMessageBody as PostBody, type StartSessionBody as StartBody,
} from '@parley/protocol';
import type { HttpDeps } from '../app.js';
import { startSession } from '../../../commands/startSession.js';
import { closeByClient, markReadByClient, postClientMessage, requireSession } from '../../../commands/clientActions.js';
import { messagePage } from '../../../queries/messages.js';
import { requireVisibleSession } from '../../../queries/sessionList.js';
import { closeByOperator, markReadByOperator, sendOperatorMessage } from '../../../commands/operatorSessions.js';
import { formatNullable } from '../../../domain/time.js';

const Id = Type.String({ minLength: 1, maxLength: 64 });
const errors = { 400: ErrorResponseSchema, 404: ErrorResponseSchema, 409: ErrorResponseSchema, 413: ErrorResponseSchema, 422: ErrorResponseSchema };
const widgetQuery = Type.Object({ x_widget: Type.Optional(Type.Union([Type.String(), Type.Integer()])) }, { additionalProperties: true });
const IdempotencyHeaders = Type.Object({ 'idempotency-key': Type.Optional(Type.String({ minLength: 1, maxLength: 255 })) }, { additionalProperties: true });

export function clientRoutes({ ctx, bots, auth }: HttpDeps): FastifyPluginAsync {
  return async (app) => {
    for (const method of ['POST', 'PUT'] as const) {
      app.route<{ Params: { chatId: string }; Body: StartBody }>({
        method,
        url: '/chats/:chatId/sessions',
        schema: {
          tags: ['client'],
          summary: method === 'POST' ? 'Start a new chat session' : "Continue the client's last open session or start a new one",
          params: Type.Object({ chatId: Id }),
          querystring: widgetQuery,
          body: StartSessionBody,
          response: { 200: StartSessionResponse, 201: StartSessionResponse, ...errors },
        },
        handler: async (req, reply) => {
          const result = await startSession(ctx, bots, {
            chatId: req.params.chatId, body: req.body ?? {}, clientIp: req.ip, mode: method === 'POST' ? 'start' : 'continue',
          });
          return reply.status(result.created ? 201 : 200).send(result.response);
        },
      });
    }

    for (const url of ['/sessions/:sessionId/messages', '/sessions/:sessionId/clients/messages']) {
      app.post<{ Params: { sessionId: string }; Body: PostBody; Headers: { 'idempotency-key'?: string } }>(
        url,
        {
          schema: {
            tags: ['client'],
            summary: 'Send a client message (Idempotency-Key makes retries safe)',
            params: Type.Object({ sessionId: Id }),
            querystring: widgetQuery,
            headers: IdempotencyHeaders,
            body: PostMessageBody,
            response: { 201: PostMessageResponse, ...errors },
          },
        },
        async (req, reply) => {
          if (url.endsWith('/sessions/:sessionId/messages') && auth.hasBearer(req)) {
            return reply.status(201).send(await sendOperatorMessage(ctx, await auth.operator(req), req.params.sessionId, req.body));
          }
          // `clients/messages` with credentials: an integration posting on the client's behalf,
          // into a session of its own company only.
          if (auth.hasBearer(req)) {
            const companyId = await auth.member(req);
            const target = await requireSession(ctx, req.params.sessionId);
            if (target.company_id !== companyId) throw new AppError(ErrorCode.SESSION_NOT_FOUND, `session ${req.params.sessionId} not found`);
          }
          const res = await postClientMessage(ctx, req.params.sessionId, req.body, req.headers['idempotency-key']);
          if (res.replayed) void reply.header('Idempotent-Replayed', 'true');
          return reply.status(201).send({ id: res.id, createdAt: res.createdAt });
        },
      );
    }

    app.get<{ Params: { sessionId: string }; Querystring: { after?: string; before?: string; limit: number } }>(
      '/sessions/:sessionId/messages',
      {
        schema: {
          tags: ['client'],
          summary: 'Session history, oldest first; `after=<messageId>` resyncs after a reconnect',
          params: Type.Object({ sessionId: Id }),
          querystring: Type.Object(
            { after: Type.Optional(Id), before: Type.Optional(Id), limit: Type.Integer({ minimum: 1, maximum: 200, default: 50 }) },
            { additionalProperties: true },
          ),
          response: { 200: MessagePage, ...errors },
        },
      },
      async (req) => {
        const session = auth.hasBearer(req)
          ? await requireVisibleSession(ctx, await auth.operator(req), req.params.sessionId)
          : await requireSession(ctx, req.params.sessionId);
        return messagePage(ctx, session, req.query);
      },
    );

    app.patch<{ Params: { messageId: string } }>(
      '/messages/:messageId/read',
      {
        schema: {
          tags: ['client'],
          summary: 'The client has read a bot/operator message',
          params: Type.Object({ messageId: Id }),
          querystring: widgetQuery,
          response: { 200: Type.Object({ id: Type.String(), readAt: Type.Union([Type.String(), Type.Null()]) }), ...errors },
        },
      },
      async (req) => {
        const m = auth.hasBearer(req)
          ? await markReadByOperator(ctx, await auth.operator(req), req.params.messageId)
          : await markReadByClient(ctx, req.params.messageId);
        return { id: m.id, readAt: formatNullable(m.read_at) };
      },
    );

    app.delete<{ Params: { sessionId: string }; Body: CloseBody | undefined }>(
      '/sessions/:sessionId',
      {
        schema: {
          tags: ['client'],
          summary: 'The client closes its session',
          params: Type.Object({ sessionId: Id }),
          querystring: widgetQuery,
          // Optional body: validated in the handler, as a schema would reject "no body".
          response: {
            200: Type.Object({ id: Type.String(), status: Type.String(), closedAt: Type.Union([Type.String(), Type.Null()]), result: Type.Union([Type.String(), Type.Null()]) }),
            ...errors,
          },
        },
      },
      async (req) => {
        const body: unknown = req.body ?? {};
        if (!Value.Check(CloseSessionBody, body)) {
          throw new AppError(ErrorCode.VALIDATION_FAILED, '/result must be a string of at most 255 characters', [{ path: '/result', message: 'must be a string' }]);
        }
        if (auth.hasBearer(req)) await closeByOperator(ctx, await auth.operator(req), req.params.sessionId, body.result ?? null);
        const s = auth.hasBearer(req) ? await requireSession(ctx, req.params.sessionId) : await closeByClient(ctx, req.params.sessionId, body.result ?? null);
        return { id: s.id, status: s.status, closedAt: formatNullable(s.closed_at), result: s.result };
      },
    );
  };
}
