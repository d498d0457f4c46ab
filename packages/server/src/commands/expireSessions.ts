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

/** Idempotency keys protect retries, which come within minutes: keep them a day. */
export const IDEMPOTENCY_KEY_TTL_MS = 24 * 3600 * 1000;

export async function purgeIdempotencyKeys(ctx: AppContext): Promise<void> {
  await ctx.db.kysely.deleteFrom('idempotency_keys').where('created_at', '<', ctx.clock.now() - IDEMPOTENCY_KEY_TTL_MS).execute();
}

export async function purgeRefreshTokens(ctx: AppContext): Promise<void> {
  await ctx.db.kysely.deleteFrom('refresh_tokens').where('expires_at', '<', ctx.clock.now()).execute();
}
