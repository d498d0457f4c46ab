/**
 * Session state transitions shared by every actor (client, bot, operator, timers).
 * Each is one conditional UPDATE inside the caller's transaction, so a race is
 * settled by the database: the loser sees `false`.
 */
import { sql } from 'kysely';
import type { AppContext } from '../context.js';
import type { ClosedBy } from '../domain/events.js';
import type { Tx } from '../persistence/tx.js';
import type { SessionRow } from '../persistence/schema.js';
import { updateOpenSession } from '../persistence/repos/sessions.js';

/** Bot → waiting for an operator. Routing consumes `session.handedOff`. */
export async function handOff(ctx: AppContext, tx: Tx, session: SessionRow): Promise<boolean> {
  const now = ctx.clock.now();
  const done = await updateOpenSession(tx.db, session.id, { bot_status: 'WAITING', handed_off_at: now, last_activity_at: now });
  if (done) tx.record({ type: 'session.handedOff', companyId: session.company_id, chatId: session.chat_id, sessionId: session.id });
  return done;
}

/** Closes an open session; false when it was already closed. */
export async function closeOpenSession(
  ctx: AppContext,
  tx: Tx,
  session: SessionRow,
  closedBy: ClosedBy,
  result: string | null,
  opts: { onlyIfIdle?: boolean } = {},
): Promise<boolean> {
  const now = ctx.clock.now();
  let q = tx.db
    .updateTable('sessions')
    .set({ status: 'CLOSED', closed_at: now, closed_by: closedBy, result, last_activity_at: now })
    .where('id', '=', session.id)
    .where('status', '=', 'OPEN');
  // Expiry must lose to a message that arrived after the idle check.
  if (opts.onlyIfIdle) q = q.where((eb) => eb(eb('last_activity_at', '+', sql<number>`cast(ttl as bigint) * 1000`), '<', now));
  const done = (await q.executeTakeFirst()).numUpdatedRows > 0n;
  if (done) {
    tx.record({
      type: 'session.closed', companyId: session.company_id, chatId: session.chat_id, sessionId: session.id,
      closedBy, result, operatorId: session.operator_id,
    });
  }
  return done;
}
