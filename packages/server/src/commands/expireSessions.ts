/**
 * Closes sessions idle for longer than their ttl. Driven by a timer; the state is
 * in the database, so expiry survives restarts.
 */
import type { AppContext } from '../context.js';
import { findExpiredSessions } from '../persistence/repos/sessions.js';
import { closeOpenSession } from './lifecycle.js';

/** Closes up to `batch` expired sessions; returns how many were closed. */
export async function expireSessions(ctx: AppContext, batch = 200): Promise<number> {
  const expired = await findExpiredSessions(ctx.db.kysely, ctx.clock.now(), batch);
  let closed = 0;
  for (const s of expired) {
    if (await ctx.uow.run((tx) => closeOpenSession(ctx, tx, s, 'SYSTEM', 'expired', { onlyIfIdle: true }))) closed++;
  }
  return closed;
}
