/**
 * Operator REST: authentication, own status, the session list, and session actions.
 * TWIN's paths where TWIN documents them; the rest is in docs/OPERATOR-API.md.
 */
import type { FastifyPluginAsync } from 'fastify';
import { Type } from '@sinclair/typebox';
import {
  EditMessageBody, ErrorCode, ErrorResponseSchema, HistoryMessageDto, ListOf, LoginBody, OperatorDto, SessionDto, SetStatusBody, TokenPair,
  type EditMessageBody as EditBody, type LoginBody as Login, type SetStatusBody as StatusBody,
} from '@parley/protocol';
import type { HttpDeps } from '../app.js';
import { AppError } from '../../../domain/errors.js';
import { login, logout, refresh } from '../../../commands/operatorAuth.js';
import { presentOperators, setStatus } from '../../../commands/operatorAdmin.js';
import {
  editMessage, markSessionReadByOperator, setCoOperator, setSpam, takeSession, transferToGroup, transferToOperator,
} from '../../../commands/operatorSessions.js';
import { listSessions, requireVisibleSession, type SessionListQuery } from '../../../queries/sessionList.js';
import { presentSessions } from '../../../queries/sessions.js';
import { findOperator } from '../../../persistence/repos/operators.js';

const Id = Type.String({ minLength: 1, maxLength: 64 });
const NumId = Type.String({ pattern: '^\\d{1,12}$' });
const errors = { 400: ErrorResponseSchema, 401: ErrorResponseSchema, 403: ErrorResponseSchema, 404: ErrorResponseSchema, 409: ErrorResponseSchema };
const secured = { tags: ['operator'], security: [{ bearer: [] }] };
const Ok = Type.Object({ ok: Type.Literal(true) });

const ListQuery = Type.Object(
  {
    view: Type.Optional(Type.Union([Type.Literal('mine'), Type.Literal('help'), Type.Literal('all')])),
    status: Type.Optional(Type.Union([Type.Literal('OPEN'), Type.Literal('CLOSED')])),
    botStatus: Type.Optional(Type.Union([Type.Literal('BOT'), Type.Literal('WAITING'), Type.Literal('HELP'), Type.Literal('OPERATOR')])),
    operatorId: Type.Optional(Type.Union([Type.Literal('me'), NumId])),
    chatId: Type.Optional(Id),
    markedAsSpam: Type.Optional(Type.Boolean()),
    from: Type.Optional(Type.String({ maxLength: 40 })),
    to: Type.Optional(Type.String({ maxLength: 40 })),
    keyword: Type.Optional(Type.String({ maxLength: 200 })),
    sort: Type.Optional(Type.String({ maxLength: 200 })),
    limit: Type.Integer({ minimum: 1, maximum: 200, default: 50 }),
    offset: Type.Integer({ minimum: 0, default: 0 }),
  },
  { additionalProperties: true },
);

export function operatorRoutes({ ctx, auth, tokens, router, online }: HttpDeps): FastifyPluginAsync {
  return async (app) => {
    app.post<{ Body: Login }>('/auth/login', { schema: { tags: ['auth'], body: LoginBody, response: { 200: TokenPair, ...errors } } }, async (req) =>
      login(ctx, tokens, req.body.email, req.body.password, req.body.ttl),
    );
    const RefreshQuery = Type.Object({ refreshToken: Type.Optional(Type.String({ maxLength: 200 })), ttl: Type.Optional(Type.Integer({ minimum: 60, maximum: 30 * 86_400 })) }, { additionalProperties: true });
    for (const method of ['GET', 'POST'] as const) {
      app.route<{ Querystring: { refreshToken?: string; ttl?: number }; Body: { refreshToken?: string; ttl?: number } | undefined }>({
        method, url: '/auth/refresh',
        schema: { tags: ['auth'], summary: 'Exchange a refresh token (query or body) for a new pair', querystring: RefreshQuery, response: { 200: TokenPair, ...errors } },
        handler: async (req) => {
          const body = (req.body ?? {}) as { refreshToken?: unknown; ttl?: unknown };
          const token = req.query.refreshToken ?? (typeof body.refreshToken === 'string' ? body.refreshToken : undefined);
          if (!token) throw new AppError(ErrorCode.VALIDATION_FAILED, 'refreshToken: required', [{ path: 'querystring:/refreshToken', message: 'is required' }]);
          const ttl = req.query.ttl ?? (typeof body.ttl === 'number' ? body.ttl : undefined);
          return refresh(ctx, tokens, token, ttl);
        },
      });
    }
    app.post('/auth/logout', { schema: { ...secured, tags: ['auth'], response: { 200: Ok, ...errors } } }, async (req) => {
      const actor = await auth.operator(req);
      await logout(ctx, actor.operatorId);
      return { ok: true as const };
    });

    app.get('/operators/me', { schema: { ...secured, response: { 200: OperatorDto, ...errors } } }, async (req) => {
      const actor = await auth.operator(req);
      const op = (await findOperator(ctx.db.kysely, actor.operatorId))!;
      return (await presentOperators(ctx, [op], online()))[0];
    });
    app.patch<{ Body: StatusBody }>('/operators/me/status', { schema: { ...secured, summary: 'ACTIVE: takes new sessions; PAUSED: keeps current ones only', body: SetStatusBody, response: { 200: Ok, ...errors } } }, async (req) => {
      await setStatus(ctx, await auth.operator(req), req.body.status);
      return { ok: true as const };
    });

    app.get<{ Querystring: SessionListQuery }>('/sessions', { schema: { ...secured, querystring: ListQuery, response: { 200: ListOf(SessionDto), ...errors } } }, async (req) =>
      listSessions(ctx, await auth.operator(req), req.query),
    );
    app.get<{ Params: { id: string } }>('/sessions/:id', { schema: { ...secured, params: Type.Object({ id: Id }), response: { 200: SessionDto, ...errors } } }, async (req) => {
      const s = await requireVisibleSession(ctx, await auth.operator(req), req.params.id);
      return (await presentSessions(ctx, [s]))[0];
    });

    const sessionAction = <P extends Record<string, string>>(url: string, method: 'POST' | 'PATCH' | 'PUT' | 'DELETE', summary: string, params: ReturnType<typeof Type.Object>, run: (actor: Awaited<ReturnType<typeof auth.operator>>, p: P) => Promise<void>) =>
      app.route<{ Params: P }>({
        method, url, schema: { ...secured, summary, params, response: { 200: Ok, ...errors } },
        handler: async (req) => {
          await run(await auth.operator(req), req.params as P);
          return { ok: true as const };
        },
      });
    const SessionParams = Type.Object({ id: Id });
    const SessionOpParams = Type.Object({ id: Id, operatorId: NumId });
    sessionAction<{ id: string }>('/sessions/:id/take', 'POST', 'Take a waiting session (help queue); 409 when another operator was first', SessionParams, (a, p) => takeSession(ctx, a, p.id));
    sessionAction<{ id: string; operatorId: string }>('/sessions/:id/operators/:operatorId', 'PATCH', 'Transfer the session to an operator', SessionOpParams, (a, p) => transferToOperator(ctx, a, p.id, Number(p.operatorId)));
    sessionAction<{ id: string; operatorId: string }>('/sessions/:id/operators/:operatorId', 'PUT', 'Add a co-operator', SessionOpParams, (a, p) => setCoOperator(ctx, a, p.id, Number(p.operatorId), true));
    sessionAction<{ id: string; operatorId: string }>('/sessions/:id/operators/:operatorId', 'DELETE', 'Remove a co-operator', SessionOpParams, (a, p) => setCoOperator(ctx, a, p.id, Number(p.operatorId), false));
    sessionAction<{ id: string; groupId: string }>('/sessions/:id/groupoperators/:groupId', 'PATCH', 'Transfer the session to an operator group', Type.Object({ id: Id, groupId: NumId }), (a, p) => transferToGroup(ctx, router, a, p.id, Number(p.groupId)));
    sessionAction<{ id: string }>('/sessions/:id/spam', 'PATCH', 'Mark as spam', SessionParams, (a, p) => setSpam(ctx, a, p.id, true));
    sessionAction<{ id: string }>('/sessions/:id/notSpam', 'PATCH', 'Unmark spam', SessionParams, (a, p) => setSpam(ctx, a, p.id, false));

    app.patch<{ Params: { id: string } }>('/sessions/:id/read', { schema: { ...secured, summary: 'Mark every client message of the session read', params: Type.Object({ id: Id }), response: { 200: Type.Object({ marked: Type.Integer() }), ...errors } } }, async (req) => ({
      marked: await markSessionReadByOperator(ctx, await auth.operator(req), req.params.id),
    }));
    app.patch<{ Params: { id: string }; Body: EditBody }>('/messages/:id', { schema: { ...secured, summary: 'Edit own message', params: Type.Object({ id: Id }), body: EditMessageBody, response: { 200: HistoryMessageDto, ...errors } } }, async (req) =>
      editMessage(ctx, await auth.operator(req), req.params.id, req.body.body),
    );
  };
}
