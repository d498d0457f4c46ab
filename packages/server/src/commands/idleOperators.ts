/**
 * An operator who leaves a client unanswered longer than the chat's
 * allowableOperatorIdleTime loses the session to another available operator
 * (it stays when nobody else is free). Driven by the timer; state is in the database.
 */
import type { AppContext } from '../context.js';
import { idleAssignedSessions } from '../persistence/repos/routing.js';
import type { Router } from '../routing/router.js';

export async function rerouteIdleSessions(ctx: AppContext, router: Router, batch = 100): Promise<number> {
  const idle = await idleAssignedSessions(ctx.db.kysely, ctx.clock.now(), batch);
  for (const s of idle) {
    if (s.operator_id !== null) await router.reroute(s.id, s.operator_id, 'keep');
  }
  return idle.length;
}
