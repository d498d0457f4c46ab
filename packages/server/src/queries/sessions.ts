/**
 * Read side for operators: sessions in TWIN's session shape, loaded a page at a time
 * with one query per kind of related data.
 */
import { sql } from 'kysely';
import type { SessionDto } from '@parley/protocol';
import type { AppContext } from '../context.js';
import type { Executor } from '../persistence/tx.js';
import type { MessageRow, SessionRow } from '../persistence/schema.js';
import { presentSession, type SessionExtras } from '../presenters/session.js';
import { resolveMessageRefs } from './messageRefs.js';

async function lastMessages(db: Executor, ids: string[], kind: 'last' | 'lastOperator' | 'firstClientAfterOperator'): Promise<MessageRow[]> {
  if (ids.length === 0) return [];
  let q = db.selectFrom('messages as m').selectAll('m').where('m.session_id', 'in', ids);
  if (kind === 'last') {
    q = q.where('m.seq', '=', (eb) => eb.selectFrom('sessions as s').select('s.last_seq').whereRef('s.id', '=', 'm.session_id'));
  } else {
    const lastOp = sql<number>`(select coalesce(max(o.seq), 0) from messages o where o.session_id = m.session_id and o.author_type = 'OPERATOR')`;
    q = kind === 'lastOperator'
      ? q.where('m.author_type', '=', 'OPERATOR').where('m.seq', '=', lastOp)
      : q
          .where('m.author_type', '=', 'CLIENT')
          .where('m.seq', '=', sql<number>`(select min(c.seq) from messages c where c.session_id = m.session_id and c.author_type = 'CLIENT' and c.seq > ${lastOp})`);
  }
  return q.execute();
}

/** Presents sessions with everything the session object carries. */
export async function presentSessions(ctx: AppContext, rows: SessionRow[]): Promise<SessionDto[]> {
  if (rows.length === 0) return [];
  const db = ctx.db.kysely;
  const ids = rows.map((r) => r.id);
  const clientIds = [...new Set(rows.map((r) => r.client_id))];
  const [clients, participants, unread, last, lastOp, firstClient, chats, groups] = await Promise.all([
    db.selectFrom('clients').select(['id', 'name', 'external_id']).where('id', 'in', clientIds).execute(),
    db
      .selectFrom('session_operators as so')
      .innerJoin('operators as o', 'o.id', 'so.operator_id')
      .select(['so.session_id', 'so.operator_id', 'so.role', 'so.assigned_at', 'o.name'])
      .where('so.session_id', 'in', ids)
      .orderBy('so.assigned_at')
      .execute(),
    db
      .selectFrom('messages')
      .select((eb) => ['session_id', eb.fn.countAll<number | string>().as('n')])
      .where('session_id', 'in', ids)
      .where('author_type', '=', 'CLIENT')
      .where('read_at', 'is', null)
      .groupBy('session_id')
      .execute(),
    lastMessages(db, ids, 'last'),
    lastMessages(db, ids, 'lastOperator'),
    lastMessages(db, ids, 'firstClientAfterOperator'),
    db.selectFrom('chats').select(['id', 'timer_first_answer', 'timer_next_answers']).where('id', 'in', [...new Set(rows.map((r) => r.chat_id))]).execute(),
    db.selectFrom('operator_groups').select(['id', 'timer_first_answer', 'timer_next_answers']).where('id', 'in', [0, ...rows.flatMap((r) => (r.group_id ? [r.group_id] : []))]).execute(),
  ]);
  const prevIds = [...new Set(rows.flatMap((r) => (r.previous_operator_id ? [r.previous_operator_id] : [])))];
  const prevOps = prevIds.length ? await db.selectFrom('operators').select(['id', 'name']).where('id', 'in', prevIds).execute() : [];
  const allMessages = [...last, ...lastOp, ...firstClient];
  const refs = await resolveMessageRefs(db, rows[0]!.company_id, allMessages, ctx.config.publicUrl, ctx.avatars);
  const byId = <T extends { id: string | number }>(xs: T[]) => new Map(xs.map((x) => [x.id, x]));
  const bySession = (xs: MessageRow[]) => new Map(xs.map((m) => [m.session_id, m]));
  const clientMap = byId(clients);
  const chatMap = byId(chats);
  const groupMap = byId(groups);
  const prevMap = byId(prevOps);
  const lastMap = bySession(last);
  const lastOpMap = bySession(lastOp);
  const firstMap = bySession(firstClient);
  const unreadMap = new Map(unread.map((u) => [u.session_id, Number(u.n)]));
  return rows.map((r) => {
    const timers = (r.group_id ? groupMap.get(r.group_id) : undefined) ?? chatMap.get(r.chat_id);
    const extras: SessionExtras = {
      client: clientMap.get(r.client_id) ?? null,
      participants: participants.filter((p) => p.session_id === r.id),
      unread: unreadMap.get(r.id) ?? 0,
      last: lastMap.get(r.id) ?? null,
      lastOperator: lastOpMap.get(r.id) ?? null,
      firstClientAfterOperator: firstMap.get(r.id) ?? null,
      refs,
      timers: { first: timers?.timer_first_answer ?? 0, next: timers?.timer_next_answers ?? 0 },
      previousOperator: r.previous_operator_id ? (prevMap.get(r.previous_operator_id) ?? null) : null,
    };
    return presentSession(r, extras);
  });
}
