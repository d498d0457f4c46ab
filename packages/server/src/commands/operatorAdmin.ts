/**
 * Operator accounts and groups (admin), operator status (self), avatars.
 * Blocking revokes every token at once and hands the operator's sessions back to routing.
 */
import { ErrorCode, type OperatorDto, type SaveGroupBody, type SaveOperatorBody } from '@parley/protocol';
import type { AppContext } from '../context.js';
import type { OperatorActor } from '../auth/actor.js';
import { hashPassword } from '../auth/password.js';
import { AppError } from '../domain/errors.js';
import { isUniqueViolation } from '../persistence/errors.js';
import type { GroupRow, OperatorRow } from '../persistence/schema.js';
import { findChat } from '../persistence/repos/directory.js';
import { findGroup, findOperator, insertGroup, insertOperator, setGroupMembers } from '../persistence/repos/operators.js';
import { openSessionIdsOf } from '../persistence/repos/routing.js';

export async function requireOperator(ctx: AppContext, companyId: number, id: number): Promise<OperatorRow> {
  const op = Number.isInteger(id) ? await findOperator(ctx.db.kysely, id) : undefined;
  if (!op || op.company_id !== companyId) throw new AppError(ErrorCode.OPERATOR_NOT_FOUND, `operator ${id} not found`);
  return op;
}

async function requireGroups(ctx: AppContext, companyId: number, ids: readonly number[]): Promise<void> {
  for (const id of ids) {
    const g = await findGroup(ctx.db.kysely, id);
    if (!g || g.company_id !== companyId) throw new AppError(ErrorCode.GROUP_NOT_FOUND, `group ${id} not found`);
  }
}

export async function saveOperator(ctx: AppContext, companyId: number, body: SaveOperatorBody, id?: number): Promise<number> {
  const existing = id === undefined ? undefined : await requireOperator(ctx, companyId, id);
  if (!existing && !body.password) throw new AppError(ErrorCode.VALIDATION_FAILED, 'password: required for a new operator', [{ path: '/password', message: 'is required' }]);
  const groupIds = body.groupIds ? [...new Set(body.groupIds)] : undefined;
  if (groupIds) await requireGroups(ctx, companyId, groupIds);
  const now = ctx.clock.now();
  const hash = body.password ? await hashPassword(body.password) : undefined;
  try {
    return await ctx.uow.run(async (tx) => {
      let opId: number;
      if (existing) {
        opId = existing.id;
        await tx.db
          .updateTable('operators')
          .set((eb) => ({
            email: body.email.trim().toLowerCase(), name: body.name, role: body.role ?? existing.role, updated_at: now,
            // A new password revokes the sessions opened with the old one.
            ...(hash ? { password_hash: hash, token_version: eb('token_version', '+', 1) } : {}),
          }))
          .where('id', '=', opId)
          .execute();
      } else {
        opId = await insertOperator(tx.db, {
          company_id: companyId, email: body.email.trim().toLowerCase(), password_hash: hash!, name: body.name, role: body.role ?? 'OPERATOR',
          avatar_file_id: null, status: 'OFFLINE', blocked: 0, token_version: 0, last_assigned_at: null, created_at: now, updated_at: now,
        });
      }
      if (groupIds) {
        await tx.db.deleteFrom('group_operators').where('operator_id', '=', opId).execute();
        if (groupIds.length) await tx.db.insertInto('group_operators').values(groupIds.map((g) => ({ group_id: g, operator_id: opId }))).execute();
      }
      if (existing && hash) tx.record({ type: 'operator.revoked', companyId, operatorId: String(opId) });
      return opId;
    });
  } catch (err) {
    if (isUniqueViolation(err)) throw new AppError(ErrorCode.EMAIL_TAKEN, `an operator with e-mail ${body.email} exists`);
    throw err;
  }
}

/** Blocks or unblocks. A block revokes all tokens; the live channel is told and closed by its subscriber. */
export async function setBlocked(ctx: AppContext, actor: OperatorActor, id: number, blocked: boolean): Promise<void> {
  const op = await requireOperator(ctx, actor.companyId, id);
  if (op.id === actor.operatorId && blocked) throw new AppError(ErrorCode.FORBIDDEN, 'admins cannot block themselves');
  if ((op.blocked === 1) === blocked) return;
  await ctx.uow.run(async (tx) => {
    await tx.db
      .updateTable('operators')
      .set((eb) => (blocked ? { blocked: 1, status: 'OFFLINE', token_version: eb('token_version', '+', 1), updated_at: ctx.clock.now() } : { blocked: 0, updated_at: ctx.clock.now() }))
      .where('id', '=', op.id)
      .execute();
    if (blocked) {
      await tx.db.deleteFrom('refresh_tokens').where('operator_id', '=', op.id).execute();
      tx.record({ type: 'operator.blocked', companyId: op.company_id, operatorId: String(op.id), sessionIds: await openSessionIdsOf(tx.db, op.id) });
    }
  });
}

/** ACTIVE ⇄ PAUSED. Clients of the operator's sessions are told. */
export async function setStatus(ctx: AppContext, actor: OperatorActor, status: 'ACTIVE' | 'PAUSED'): Promise<void> {
  await ctx.uow.run(async (tx) => {
    const op = await findOperator(tx.db, actor.operatorId);
    if (!op || op.status === status) return;
    await tx.db.updateTable('operators').set({ status, updated_at: ctx.clock.now() }).where('id', '=', op.id).execute();
    // Going from OFFLINE (logged out elsewhere) counts as ACTIVE for the clients' event.
    const previous = op.status === 'OFFLINE' ? (status === 'ACTIVE' ? 'PAUSED' : 'ACTIVE') : op.status;
    tx.record({
      type: 'operator.statusChanged', companyId: op.company_id, operatorId: String(op.id), previousStatus: previous, currentStatus: status,
      sessionIds: await openSessionIdsOf(tx.db, op.id),
    });
  });
}

export async function saveGroup(ctx: AppContext, companyId: number, body: SaveGroupBody, id?: number): Promise<GroupRow> {
  const existing = id === undefined ? undefined : await findGroup(ctx.db.kysely, id);
  if (id !== undefined && (!existing || existing.company_id !== companyId)) throw new AppError(ErrorCode.GROUP_NOT_FOUND, `group ${id} not found`);
  const operatorIds = body.operatorIds ? [...new Set(body.operatorIds.map(Number))] : undefined;
  const chatIds = body.chatIds ? [...new Set(body.chatIds.map((c) => c.toLowerCase()))] : undefined;
  for (const opId of operatorIds ?? []) await requireOperator(ctx, companyId, opId);
  for (const chatId of chatIds ?? []) {
    const chat = await findChat(ctx.db.kysely, chatId);
    if (!chat || chat.company_id !== companyId) throw new AppError(ErrorCode.CHAT_NOT_FOUND, `chat ${chatId} not found`);
  }
  const now = ctx.clock.now();
  const values = {
    name: body.name,
    timer_first_answer: body.timerFirstAnswer ?? existing?.timer_first_answer ?? 60,
    timer_next_answers: body.timerNextAnswers ?? existing?.timer_next_answers ?? 120,
    session_limit: body.sessionLimit ?? existing?.session_limit ?? 5,
    updated_at: now,
  };
  return ctx.uow.run(async (tx) => {
    const groupId = existing
      ? (await tx.db.updateTable('operator_groups').set(values).where('id', '=', existing.id).execute(), existing.id)
      : await insertGroup(tx.db, { ...values, company_id: companyId, created_at: now });
    if (operatorIds) await setGroupMembers(tx.db, groupId, operatorIds);
    if (chatIds) {
      await tx.db.deleteFrom('chat_groups').where('group_id', '=', groupId).execute();
      if (chatIds.length) await tx.db.insertInto('chat_groups').values(chatIds.map((chat_id) => ({ chat_id, group_id: groupId }))).execute();
    }
    return (await findGroup(tx.db, groupId))!;
  });
}

/** Presents operators of a company with their groups, load and live-channel presence. */
export async function presentOperators(ctx: AppContext, rows: OperatorRow[], online: ReadonlySet<number>): Promise<OperatorDto[]> {
  if (rows.length === 0) return [];
  const ids = rows.map((r) => r.id);
  const [groups, loads, avatars] = await Promise.all([
    ctx.db.kysely.selectFrom('group_operators').select(['operator_id', 'group_id']).where('operator_id', 'in', ids).execute(),
    ctx.db.kysely
      .selectFrom('sessions')
      .select((eb) => ['operator_id', eb.fn.countAll<number | string>().as('n')])
      .where('operator_id', 'in', ids)
      .where('status', '=', 'OPEN')
      .groupBy('operator_id')
      .execute(),
    ctx.avatars(ctx.db.kysely, rows[0]!.company_id, ids.map(String)),
  ]);
  return rows.map((r) => ({
    id: String(r.id), companyId: r.company_id, email: r.email, name: r.name, role: r.role, status: r.status, blocked: r.blocked === 1,
    online: online.has(r.id), avatar: avatars.get(String(r.id)) ?? null,
    groupIds: groups.filter((g) => g.operator_id === r.id).map((g) => g.group_id),
    activeSessionCount: Number(loads.find((l) => l.operator_id === r.id)?.n ?? 0),
  }));
}
