/** Admin REST for operators (accounts, blocking, avatars) and operator groups. */
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { Type } from '@sinclair/typebox';
import {
  ErrorCode, ErrorResponseSchema, GroupDto, ListOf, OperatorDto, SaveGroupBody, SaveOperatorBody,
  type SaveGroupBody as GroupBody, type SaveOperatorBody as OperatorBody,
} from '@parley/protocol';
import type { HttpDeps } from '../app.js';
import { AppError } from '../../../domain/errors.js';
import { presentOperators, requireOperator, saveGroup, saveOperator, setBlocked } from '../../../commands/operatorAdmin.js';
import { findGroup } from '../../../persistence/repos/operators.js';
import type { GroupRow } from '../../../persistence/schema.js';
import type { AppContext } from '../../../context.js';
import { storeUpload } from './files.js';

const NumId = Type.String({ pattern: '^\\d{1,12}$' });
const errors = { 400: ErrorResponseSchema, 401: ErrorResponseSchema, 403: ErrorResponseSchema, 404: ErrorResponseSchema, 409: ErrorResponseSchema };
const secured = { tags: ['admin'], security: [{ bearer: [] }] };
const Ok = Type.Object({ ok: Type.Literal(true) });
const byId = Type.Object({ id: NumId });

async function groupDto(ctx: AppContext, g: GroupRow): Promise<GroupDto> {
  const [ops, chats] = await Promise.all([
    ctx.db.kysely.selectFrom('group_operators').select('operator_id').where('group_id', '=', g.id).orderBy('operator_id').execute(),
    ctx.db.kysely.selectFrom('chat_groups').select('chat_id').where('group_id', '=', g.id).orderBy('chat_id').execute(),
  ]);
  return {
    id: g.id, name: g.name, timerFirstAnswer: g.timer_first_answer, timerNextAnswers: g.timer_next_answers, sessionLimit: g.session_limit,
    operatorIds: ops.map((o) => String(o.operator_id)), chatIds: chats.map((c) => c.chat_id),
  };
}

export function operatorAdminRoutes({ ctx, auth, online, router }: HttpDeps): FastifyPluginAsync {
  return async (app) => {
    const company = async (req: FastifyRequest) => (await auth.admin(req)).companyId;
    // Colleagues and groups are visible to every operator of the company (for transfers).
    const anyone = (req: FastifyRequest) => auth.member(req);
    const operatorDto = async (companyId: number, id: number) => (await presentOperators(ctx, [await requireOperator(ctx, companyId, id)], online()))[0]!;

    app.get('/operators', { schema: { ...secured, response: { 200: ListOf(OperatorDto), ...errors } } }, async (req) => {
      const rows = await ctx.db.kysely.selectFrom('operators').selectAll().where('company_id', '=', await anyone(req)).orderBy('id').execute();
      const items = await presentOperators(ctx, rows, online());
      return { count: items.length, items };
    });
    app.get<{ Params: { id: string } }>('/operators/:id', { schema: { ...secured, params: byId, response: { 200: OperatorDto, ...errors } } }, async (req) =>
      operatorDto(await anyone(req), Number(req.params.id)),
    );
    app.post<{ Body: OperatorBody }>('/operators', { schema: { ...secured, body: SaveOperatorBody, response: { 201: OperatorDto, ...errors } } }, async (req, reply) => {
      const companyId = await company(req);
      const id = await saveOperator(ctx, companyId, req.body);
      void router.drain();
      return reply.status(201).send(await operatorDto(companyId, id));
    });
    app.put<{ Params: { id: string }; Body: OperatorBody }>('/operators/:id', { schema: { ...secured, params: byId, body: SaveOperatorBody, response: { 200: OperatorDto, ...errors } } }, async (req) => {
      const companyId = await company(req);
      const id = await saveOperator(ctx, companyId, req.body, Number(req.params.id));
      void router.drain();
      return operatorDto(companyId, id);
    });
    for (const [path, blocked] of [['block', true], ['unblock', false]] as const) {
      app.patch<{ Params: { id: string } }>(`/operators/:id/${path}`, { schema: { ...secured, params: byId, response: { 200: Ok, ...errors } } }, async (req) => {
        const admin = await auth.admin(req);
        if (!admin.operator) throw new AppError(ErrorCode.FORBIDDEN, 'log in as an admin operator to block operators');
        await setBlocked(ctx, admin.operator, Number(req.params.id), blocked);
        if (!blocked) void router.drain();
        return { ok: true as const };
      });
    }
    app.put<{ Params: { id: string } }>('/operators/:id/avatar', { schema: { ...secured, summary: 'Upload the avatar (multipart, one image part); the operator or an admin', params: byId, response: { 200: OperatorDto, ...errors } } }, async (req) => {
      const id = Number(req.params.id);
      const actor = await auth.operator(req);
      if (actor.role !== 'ADMIN' && actor.operatorId !== id) throw new AppError(ErrorCode.FORBIDDEN, 'only the operator or an admin can change an avatar');
      await requireOperator(ctx, actor.companyId, id);
      const file = await storeUpload(ctx, req, actor.companyId, String(id), { imagesOnly: true });
      await ctx.db.kysely.updateTable('operators').set({ avatar_file_id: file.id, updated_at: ctx.clock.now() }).where('id', '=', id).execute();
      return operatorDto(actor.companyId, id);
    });

    app.get('/groups', { schema: { ...secured, response: { 200: ListOf(GroupDto), ...errors } } }, async (req) => {
      const rows = await ctx.db.kysely.selectFrom('operator_groups').selectAll().where('company_id', '=', await anyone(req)).orderBy('id').execute();
      const items = await Promise.all(rows.map((g) => groupDto(ctx, g)));
      return { count: items.length, items };
    });
    app.get<{ Params: { id: string } }>('/groups/:id', { schema: { ...secured, params: byId, response: { 200: GroupDto, ...errors } } }, async (req) => {
      const companyId = await anyone(req);
      const g = await findGroup(ctx.db.kysely, Number(req.params.id));
      if (!g || g.company_id !== companyId) throw new AppError(ErrorCode.GROUP_NOT_FOUND, `group ${req.params.id} not found`);
      return groupDto(ctx, g);
    });
    // Group changes can create capacity for waiting sessions: serve the queue.
    app.post<{ Body: GroupBody }>('/groups', { schema: { ...secured, body: SaveGroupBody, response: { 201: GroupDto, ...errors } } }, async (req, reply) => {
      const g = await saveGroup(ctx, await company(req), req.body);
      void router.drain();
      return reply.status(201).send(await groupDto(ctx, g));
    });
    app.put<{ Params: { id: string }; Body: GroupBody }>('/groups/:id', { schema: { ...secured, params: byId, body: SaveGroupBody, response: { 200: GroupDto, ...errors } } }, async (req) => {
      const g = await saveGroup(ctx, await company(req), req.body, Number(req.params.id));
      void router.drain();
      return groupDto(ctx, g);
    });
  };
}
