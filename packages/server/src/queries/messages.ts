/** Read side for messages: history pages (cursor = message id) and replies after a point. */
import { ErrorCode, type MessageDto, type MessagePage } from '@parley/protocol';
import type { AppContext } from '../context.js';
import { AppError } from '../domain/errors.js';
import { countMessages, findCompanyMessages, findMessage, messagesPage } from '../persistence/repos/messages.js';
import { presentHistoryMessage, presentMessage } from '../presenters/message.js';
import { resolveMessageRefs } from './messageRefs.js';

/** Bot/operator messages of a session after a sequence number, oldest first. */
export async function repliesAfter(ctx: AppContext, companyId: number, sessionId: string, afterSeq: number): Promise<MessageDto[]> {
  const rows = (await messagesPage(ctx.db.kysely, sessionId, { afterSeq, limit: 100, order: 'asc' })).filter((r) => r.author_type !== 'CLIENT');
  const refs = await resolveMessageRefs(ctx.db.kysely, companyId, rows, ctx.config.publicUrl, ctx.avatars);
  return rows.map((r) => presentMessage(r, refs.get(r.id) ?? { attachments: [], avatar: null }));
}

/** Messages of one company by id, as events carry them (id → message); unknown ids are left out. */
export async function messagesById(ctx: AppContext, companyId: number, ids: string[]): Promise<Map<string, MessageDto>> {
  const rows = await findCompanyMessages(ctx.db.kysely, companyId, ids);
  const refs = await resolveMessageRefs(ctx.db.kysely, companyId, rows, ctx.config.publicUrl, ctx.avatars);
  return new Map(rows.map((r) => [r.id, presentMessage(r, refs.get(r.id) ?? { attachments: [], avatar: null })]));
}

export interface PageQuery {
  /** Return messages after this message id (resync after a reconnect). */
  after?: string;
  /** Return messages before this message id (scrolling back). */
  before?: string;
  limit: number;
}

/**
 * One page of a session's history, oldest first. Without `after`/`before` it is the
 * newest `limit` messages; `nextCursor` is the last item's id when more may follow.
 */
export async function messagePage(ctx: AppContext, session: { id: string; company_id: number }, q: PageQuery): Promise<MessagePage> {
  const cursorSeq = async (id: string, field: string) => {
    const m = await findMessage(ctx.db.kysely, id);
    if (!m || m.session_id !== session.id) {
      throw new AppError(ErrorCode.MESSAGE_NOT_FOUND, `${field}: message ${id} not found in this session`, [{ path: `/${field}`, message: 'unknown message id' }]);
    }
    return m.seq;
  };
  let rows;
  if (q.after !== undefined) {
    rows = await messagesPage(ctx.db.kysely, session.id, { afterSeq: await cursorSeq(q.after, 'after'), limit: q.limit + 1, order: 'asc' });
  } else {
    const beforeSeq = q.before !== undefined ? await cursorSeq(q.before, 'before') : undefined;
    rows = (await messagesPage(ctx.db.kysely, session.id, { beforeSeq, limit: q.limit, order: 'desc' })).reverse();
  }
  const hasMore = q.after !== undefined && rows.length > q.limit;
  if (hasMore) rows = rows.slice(0, q.limit);
  const refs = await resolveMessageRefs(ctx.db.kysely, session.company_id, rows, ctx.config.publicUrl, ctx.avatars);
  const items = rows.map((r) => presentHistoryMessage(r, refs.get(r.id) ?? { attachments: [], avatar: null }));
  const last = items.at(-1);
  return { count: await countMessages(ctx.db.kysely, session.id), items, nextCursor: hasMore && last ? last.id : null };
}
