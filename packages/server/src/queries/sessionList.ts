/** `GET /sessions` for operators: filters, sort and paging over what the actor may see. */
import { ErrorCode, type SessionDto } from '@parley/protocol';
import type { ExpressionBuilder } from 'kysely';
import type { AppContext } from '../context.js';
import type { OperatorActor } from '../auth/actor.js';
import { AppError } from '../domain/errors.js';
import type { Database, SessionRow } from '../persistence/schema.js';
import { findSession } from '../persistence/repos/sessions.js';
import { prepared } from '../persistence/prepared.js';
import { presentSessions } from './sessions.js';

export interface SessionListQuery {
  view?: 'mine' | 'help' | 'all';
  status?: 'OPEN' | 'CLOSED';
  botStatus?: string;
  operatorId?: string;
  chatId?: string;
  markedAsSpam?: boolean;
  from?: string;
  to?: string;
  keyword?: string;
  sort?: string;
  limit: number;
  offset: number;
}

const SORTS: Record<string, 'started_at' | 'last_message_at' | 'operator_assigned_at' | 'name' | 'status' | 'marked_as_spam'> = {
  startedAt: 'started_at', lastMessageCreatedAt: 'last_message_at', operatorAssignedAt: 'operator_assigned_at',
  name: 'name', status: 'status', markedAsSpam: 'marked_as_spam',
};

type EB = ExpressionBuilder<Database, 'sessions'>;
const isParticipant = (eb: EB, operatorId: number) =>
  eb.exists(eb.selectFrom('session_operators as so').select('so.operator_id').whereRef('so.session_id', '=', 'sessions.id').where('so.operator_id', '=', operatorId));
/** Sessions the operator's groups serve: sent to one of their groups, or of a chat their groups serve. */
const inMyGroups = (eb: EB, operatorId: number) =>
  eb.or([
    eb('sessions.group_id', 'in', eb.selectFrom('group_operators as mg').select('mg.group_id').where('mg.operator_id', '=', operatorId)),
    eb.and([
      eb('sessions.group_id', 'is', null),
      eb('sessions.chat_id', 'in', eb.selectFrom('chat_groups as cg').innerJoin('group_operators as go', 'go.group_id', 'cg.group_id').select('cg.chat_id').where('go.operator_id', '=', operatorId)),
    ]),
  ]);

function parseTime(value: string | undefined, field: string): number | undefined {
  if (value === undefined) return undefined;
  const t = Date.parse(value);
  if (Number.isNaN(t)) throw new AppError(ErrorCode.VALIDATION_FAILED, `${field}: not a date`, [{ path: `querystring:/${field}`, message: 'must be an ISO-8601 date' }]);
  return t;
}

export async function listSessions(ctx: AppContext, actor: OperatorActor, q: SessionListQuery): Promise<{ count: number; items: SessionDto[] }> {
  const me = actor.operatorId;
  const admin = actor.role === 'ADMIN';
  const from = parseTime(q.from, 'from');
  const to = parseTime(q.to, 'to');
  let base = ctx.db.kysely.selectFrom('sessions').where('sessions.company_id', '=', actor.companyId);
  if (!admin) base = base.where((eb) => eb.or([isParticipant(eb, me), inMyGroups(eb, me)]));
  const view = q.view ?? (admin ? 'all' : 'mine');
  if (view === 'mine') base = base.where((eb) => isParticipant(eb, me));
  if (view === 'help') base = base.where('sessions.status', '=', 'OPEN').where('sessions.bot_status', 'in', ['WAITING', 'HELP']);
  if (q.status) base = base.where('sessions.status', '=', q.status);
  if (q.botStatus) base = base.where('sessions.bot_status', '=', q.botStatus as SessionRow['bot_status']);
  if (q.operatorId) base = base.where('sessions.operator_id', '=', q.operatorId === 'me' ? me : Number(q.operatorId));
  if (q.chatId) base = base.where('sessions.chat_id', '=', q.chatId);
  if (q.markedAsSpam !== undefined) base = base.where('sessions.marked_as_spam', '=', q.markedAsSpam ? 1 : 0);
  if (from !== undefined) base = base.where('sessions.started_at', '>=', from);
  if (to !== undefined) base = base.where('sessions.started_at', '<=', to);
  if (q.keyword) {
    const like = `%${q.keyword.toLowerCase().replace(/[%_\\]/g, (c) => `\\${c}`)}%`;
    base = base.where((eb) =>
      eb.or([
        eb('sessions.id', '=', q.keyword!),
        eb(eb.fn('lower', ['sessions.name']), 'like', like),
        eb('sessions.client_id', 'in', eb.selectFrom('clients').select('id').where((c) => c.or([
          c(c.fn('lower', ['name']), 'like', like), c(c.fn('lower', ['external_id']), 'like', like), c('id', '=', q.keyword!),
        ]))),
      ]),
    );
  }
  const countRow = await base.select((eb) => eb.fn.countAll<number | string>().as('n')).executeTakeFirstOrThrow();
  let page = base.selectAll('sessions');
  const sorts = (q.sort ?? '-lastMessageCreatedAt').split(',').filter(Boolean);
  for (const s of sorts) {
    const desc = s.startsWith('-');
    const col = SORTS[s.replace(/^[-+]/, '')];
    if (!col) throw new AppError(ErrorCode.VALIDATION_FAILED, `sort: unknown field ${s}`, [{ path: 'querystring:/sort', message: `allowed: ${Object.keys(SORTS).join(', ')}` }]);
    page = page.orderBy(`sessions.${col}`, desc ? 'desc' : 'asc');
  }
  const rows = await page.orderBy('sessions.id').limit(q.limit).offset(q.offset).execute();
  return { count: Number(countRow.n), items: await presentSessions(ctx, rows) };
}

const visibleToOperator = prepared((db, id: string, operatorId: number) =>
  db.selectFrom('sessions').select('id').where('id', '=', id).where((eb) => eb.or([isParticipant(eb, operatorId), inMyGroups(eb, operatorId)])));

/** A session the actor may see, or SESSION_NOT_FOUND (other companies' sessions do not exist for them). */
export async function requireVisibleSession(ctx: AppContext, actor: OperatorActor, id: string): Promise<SessionRow> {
  const s = await findSession(ctx.db.kysely, id);
  if (!s || s.company_id !== actor.companyId) throw new AppError(ErrorCode.SESSION_NOT_FOUND, `session ${id} not found`);
  if (actor.role === 'ADMIN') return s;
  const visible = await visibleToOperator.first(ctx.db.kysely, id, actor.operatorId);
  if (!visible) throw new AppError(ErrorCode.SESSION_NOT_FOUND, `session ${id} not found`);
  return s;
}
