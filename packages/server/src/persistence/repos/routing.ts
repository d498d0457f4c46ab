/** SQL for routing: candidates with their load, queue order, operator locks, audiences. */
import { sql, type Expression, type Kysely } from 'kysely';
import type { Executor } from '../tx.js';
import { prepared, preparedBySize } from '../prepared.js';
import type { Dialect } from '../db.js';
import type { Database, OperatorRow, SessionRow } from '../schema.js';

export interface Candidate {
  operatorId: number;
  limit: number;
  load: number;
  lastAssignedAt: number | null;
}

/** Open sessions an operator holds as the primary operator. */
export async function openSessionIdsOf(db: Executor, operatorId: number): Promise<string[]> {
  const rows = await db.selectFrom('sessions').select('id').where('operator_id', '=', operatorId).where('status', '=', 'OPEN').execute();
  return rows.map((r) => r.id);
}

export async function operatorLoad(db: Executor, operatorId: number): Promise<number> {
  const row = await db
    .selectFrom('sessions')
    .select((eb) => eb.fn.countAll<number | string>().as('n'))
    .where('operator_id', '=', operatorId)
    .where('status', '=', 'OPEN')
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/**
 * Operators who may take a session of the chat now: in a group serving it, ACTIVE,
 * not blocked, among `online`, under their limit. Least busy first, then longest idle.
 */
export async function candidatesFor(
  db: Executor,
  scope: { chatId: string; groupId: number | null },
  online: readonly number[],
  exclude: readonly number[],
): Promise<Candidate[]> {
  const ids = online.filter((id) => !exclude.includes(id));
  if (ids.length === 0) return [];
  // A session transferred to a group is served by that group; otherwise by the chat's groups.
  const groups = scope.groupId !== null
    ? db.selectFrom('operator_groups').select('id').where('id', '=', scope.groupId)
    : db.selectFrom('chat_groups').select('group_id as id').where('chat_id', '=', scope.chatId);
  const rows = await db
    .selectFrom('group_operators as go')
    .innerJoin('operator_groups as g', 'g.id', 'go.group_id')
    .innerJoin('operators as o', 'o.id', 'go.operator_id')
    .select((eb) => [
      'o.id as id',
      'o.last_assigned_at as last_assigned_at',
      eb.fn.max('g.session_limit').as('lim'),
      eb
        .selectFrom('sessions as s')
        .select((e) => e.fn.countAll<number | string>().as('n'))
        .whereRef('s.operator_id', '=', 'o.id')
        .where('s.status', '=', 'OPEN')
        .as('load'),
    ])
    .where('go.group_id', 'in', groups)
    .where('o.status', '=', 'ACTIVE')
    .where('o.blocked', '=', 0)
    .where('o.id', 'in', ids)
    .groupBy(['o.id', 'o.last_assigned_at'])
    .execute();
  return rows
    .map((r) => ({ operatorId: r.id, limit: Number(r.lim), load: Number(r.load ?? 0), lastAssignedAt: r.last_assigned_at }))
    .filter((c) => c.load < c.limit)
    .sort((a, b) => a.load - b.load || (a.lastAssignedAt ?? 0) - (b.lastAssignedAt ?? 0) || a.operatorId - b.operatorId);
}

/** Locks the operator row for the rest of the transaction (SQLite transactions are already serial). */
export async function lockOperator(db: Executor, dialect: Dialect, operatorId: number): Promise<void> {
  if (dialect === 'postgres') await sql`select id from operators where id = ${operatorId} for update`.execute(db);
}

/** Queue position of a waiting session: when it started waiting. */
export const queueKey = (s: Pick<SessionRow, 'help_at' | 'handed_off_at' | 'started_at'>) => s.help_at ?? s.handed_off_at ?? s.started_at;

/** Sessions waiting for an operator, oldest first (FIFO), a page after `after` (keyset). */
export async function waitingSessions(db: Executor, limit: number, after?: { key: number; id: string }): Promise<SessionRow[]> {
  let q = db
    .selectFrom('sessions')
    .selectAll()
    .where('status', '=', 'OPEN')
    .where('bot_status', 'in', ['WAITING', 'HELP']);
  if (after) {
    q = q.where((eb) => {
      const key = eb.fn.coalesce('help_at', 'handed_off_at', 'started_at');
      return eb.or([eb(key, '>', after.key), eb.and([eb(key, '=', after.key), eb('id', '>', after.id)])]);
    });
  }
  return q
    .orderBy((eb) => eb.fn.coalesce('help_at', 'handed_off_at', 'started_at'))
    .orderBy('id')
    .limit(limit)
    .execute();
}

/** Operators who serve a session: its group's members when it was sent to a group, else the chat's groups'. */
export async function scopeOperatorIds(db: Executor, s: Pick<SessionRow, 'chat_id' | 'group_id'>): Promise<number[]> {
  if (s.group_id === null) return chatOperatorIds(db, s.chat_id);
  const rows = await db.selectFrom('group_operators').select('operator_id').where('group_id', '=', s.group_id).execute();
  return rows.map((r) => r.operator_id);
}

/** Operators of the groups serving a chat. */
export async function chatOperatorIds(db: Executor, chatId: string): Promise<number[]> {
  const rows = await db
    .selectFrom('chat_groups as cg')
    .innerJoin('group_operators as go', 'go.group_id', 'cg.group_id')
    .select('go.operator_id')
    .distinct()
    .where('cg.chat_id', '=', chatId)
    .execute();
  return rows.map((r) => r.operator_id);
}

/** Primary and co-operators of a session. */
const operatorsOfSession = prepared((db, sessionId: string) => db.selectFrom('session_operators').select('operator_id').where('session_id', '=', sessionId));

export async function sessionOperatorIds(db: Executor, sessionId: string): Promise<number[]> {
  const rows = await operatorsOfSession.all(db, sessionId);
  return rows.map((r) => r.operator_id);
}

/**
 * A session with an operator of its company: the session's status and routing state, the
 * operator's role, and whether the operator takes part in it (primary or co-operator).
 * Absent when either is missing or they belong to different companies.
 */
const sessionForOperator = prepared((db, sessionId: string, operatorId: number) =>
  db.selectFrom('sessions as s')
    .innerJoin('operators as o', 'o.company_id', 's.company_id')
    .select((eb) => [
      's.id', 's.company_id', 's.status', 's.chat_id', 's.group_id', 's.bot_status', 'o.role',
      eb.exists(eb.selectFrom('session_operators as so').select('so.operator_id')
        .whereRef('so.session_id', '=', 's.id').whereRef('so.operator_id', '=', 'o.id')).as('participant'),
    ])
    .where('s.id', '=', sessionId)
    .where('o.id', '=', operatorId));

export interface SessionForOperator extends Pick<SessionRow, 'id' | 'company_id' | 'status' | 'chat_id' | 'group_id' | 'bot_status'> {
  role: OperatorRow['role'];
  participant: boolean;
}

/** One statement for an operator's action on a session: see {@link sessionForOperator}. */
export async function findSessionForOperator(db: Executor, sessionId: string, operatorId: number): Promise<SessionForOperator | undefined> {
  const row = await sessionForOperator.first(db, sessionId, operatorId);
  // SQLite answers EXISTS with 0 or 1, PostgreSQL with a boolean.
  if (!row) return undefined;
  row.participant = Boolean(row.participant);
  return row as SessionForOperator;
}

/** Open sessions with an operator whose client has waited longer than the chat allows. */
export async function idleAssignedSessions(db: Executor, now: number, limit: number): Promise<SessionRow[]> {
  return db
    .selectFrom('sessions as s')
    .innerJoin('chats as c', 'c.id', 's.chat_id')
    .selectAll('s')
    .where('s.status', '=', 'OPEN')
    .where('s.bot_status', '=', 'OPERATOR')
    .where('c.allowable_operator_idle_time', '>', 0)
    .where('s.awaiting_answer_since', 'is not', null)
    .where((eb) => eb(eb('s.awaiting_answer_since', '+', sql<number>`cast(c.allowable_operator_idle_time as bigint) * 1000`), '<', now))
    .orderBy('s.awaiting_answer_since')
    .limit(limit)
    .execute();
}

/**
 * Whether the operator that `ref` names is unblocked: blocked operators get nothing, whatever
 * their groups and sessions. One lookup by key per candidate, as a correlated subquery, which
 * PostgreSQL cannot turn into a join: as a join, its generic plans scanned every operator to
 * hash or merge them with the few candidates.
 */
const unblocked = (ref: 'so.operator_id' | 'go.operator_id') =>
  sql<boolean>`(select ub.blocked from operators as ub where ub.id = ${sql.ref(ref)}) = 0`;

/** The company's unblocked admins (by the `operators_company_role` index). */
const admins = (db: Kysely<Database>, companyId: number | Expression<number>) =>
  db.selectFrom('operators').select('id').where('company_id', '=', companyId).where('role', '=', 'ADMIN').where('blocked', '=', 0);

/**
 * Who follows an assigned session: the company's admins and the session's operators, none
 * blocked. An operator may be named twice (an admin who also takes part); callers make a set.
 * Values or SQL expressions: the message statement on PostgreSQL embeds it (see
 * `allocateAndInsert`).
 */
export const assignedAudienceQuery = (db: Kysely<Database>, companyId: number | Expression<number>, sessionId: string | Expression<string>) =>
  admins(db, companyId).unionAll(db.selectFrom('session_operators as so').select('so.operator_id as id').where('so.session_id', '=', sessionId).where(unblocked('so.operator_id')));

const audienceOfAssigned = prepared((db, companyId: number, sessionId: string) => assignedAudienceQuery(db, companyId, sessionId));
const audienceOfGroupQueue = prepared((db, companyId: number, sessionId: string, groupId: number) =>
  assignedAudienceQuery(db, companyId, sessionId).unionAll(
    db.selectFrom('group_operators as go').select('go.operator_id as id').where('go.group_id', '=', groupId).where(unblocked('go.operator_id')),
  ));
const audienceOfChatQueue = prepared((db, companyId: number, sessionId: string, chatId: string) =>
  assignedAudienceQuery(db, companyId, sessionId).unionAll(
    db.selectFrom('chat_groups as cg').innerJoin('group_operators as go', 'go.group_id', 'cg.group_id').select('go.operator_id as id')
      .where('cg.chat_id', '=', chatId).where(unblocked('go.operator_id')),
  ));

const audiencesQuery = (db: Kysely<Database>, companyId: number, sessionIds: readonly string[]) =>
  admins(db, companyId).select(sql<string | null>`null`.as('session_id'))
    .unionAll(db.selectFrom('session_operators as so').select(['so.operator_id as id', 'so.session_id'])
      .where('so.session_id', 'in', sessionIds).where(unblocked('so.operator_id')));
/** Prepared for the lengths the bus's read-ahead window produces (32 events). */
const audiencesOfAssigned = preparedBySize(32, (n) =>
  prepared((db, companyId: number, ...sessionIds: string[]) => audiencesQuery(db, companyId, sessionIds), n + 1));

/**
 * The audiences of several assigned sessions of one company, in one query: the
 * company's admins and each session's operators, none of them blocked.
 */
export async function assignedAudiences(db: Executor, companyId: number, sessionIds: readonly string[]): Promise<Map<string, Set<number>>> {
  if (sessionIds.length === 1) {
    // Alone (light load, or a typing indicator): the prepared statement of one session.
    return new Map([[sessionIds[0]!, new Set((await audienceOfAssigned.all(db, companyId, sessionIds[0]!)).map((r) => r.id))]]);
  }
  const rows = await (audiencesOfAssigned(sessionIds.length)?.all(db, companyId, ...sessionIds) ?? audiencesQuery(db, companyId, sessionIds).execute());
  const admins = rows.flatMap((r) => (r.session_id === null ? [r.id] : []));
  const out = new Map(sessionIds.map((id) => [id, new Set(admins)]));
  for (const r of rows) if (r.session_id !== null) out.get(r.session_id)?.add(r.id);
  return out;
}

/** Whether a session waits for an operator (its audience then includes the operators who may take it). */
export const isWaiting = (s: Pick<SessionRow, 'bot_status'>): boolean => s.bot_status === 'WAITING' || s.bot_status === 'HELP';

/**
 * Who follows a session, in one query: the company's admins, the session's operators,
 * and, while it waits, the operators of its chat's groups (or of its group).
 */
export async function sessionAudience(
  db: Executor,
  s: Pick<SessionRow, 'id' | 'company_id' | 'chat_id' | 'group_id' | 'bot_status'>,
): Promise<Set<number>> {
  const rows = !isWaiting(s)
    ? await audienceOfAssigned.all(db, s.company_id, s.id)
    : s.group_id !== null
      ? await audienceOfGroupQueue.all(db, s.company_id, s.id, s.group_id)
      : await audienceOfChatQueue.all(db, s.company_id, s.id, s.chat_id);
  return new Set(rows.map((r) => r.id));
}
