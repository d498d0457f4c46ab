/**
 * Routing: offers waiting sessions to the operators of the chat's groups who are
 * online (connected), ACTIVE and under their limit — least busy first, then longest
 * idle — and queues the rest in the shared help queue, served FIFO as capacity frees.
 *
 * On one node all routing runs through one queue, so decisions see each other's
 * results; across nodes the operator row lock and the session compare-and-set keep
 * limits and single ownership.
 */
import type { AppContext } from '../context.js';
import type { SessionRow } from '../persistence/schema.js';
import { findSession } from '../persistence/repos/sessions.js';
import { findOperator } from '../persistence/repos/operators.js';
import { candidatesFor, lockOperator, operatorLoad, queueKey, waitingSessions } from '../persistence/repos/routing.js';
import { assignSession, queueSession } from '../commands/assign.js';

/** What to do when nobody else can take a session that an operator holds. */
export type Fallback = 'queue' | 'keep';

export class Router {
  private chain: Promise<void> = Promise.resolve();
  private pending = 0;

  constructor(
    private readonly ctx: AppContext,
    /** Ids of operators with a live operator-channel connection. */
    private readonly online: () => number[],
  ) {}

  /** Routes a session that waits for an operator (after hand-off): served in queue order with the rest. */
  route(_sessionId: string): Promise<void> {
    return this.drain();
  }

  /** Moves a session away from its operator (logout, block, idle); `fallback` when nobody else is free. */
  reroute(sessionId: string, fromOperatorId: number, fallback: Fallback): Promise<void> {
    return this.enqueue(async () => {
      const s = await findSession(this.ctx.db.kysely, sessionId);
      if (s && s.status === 'OPEN' && s.operator_id === fromOperatorId) await this.place(s, [fromOperatorId], fallback);
      else if (s && s.status === 'OPEN' && (s.bot_status === 'WAITING' || s.bot_status === 'HELP')) await this.place(s, [], 'queue');
    });
  }

  /**
   * Serves waiting sessions oldest first. Once a session finds nobody in its scope
   * (its group, or its chat's groups), younger sessions of that scope wait too, so
   * capacity that appears mid-pass cannot let a younger session jump the queue.
   * Sessions just handed off that find nobody enter the help queue.
   */
  drain(): Promise<void> {
    return this.enqueue(async () => {
      const blocked = new Set<string>();
      let after: { key: number; id: string } | undefined;
      // Page through the whole queue (bounded), skipping queues that are blocked: a long
      // queue nobody serves must not hide the sessions behind it.
      for (let page = 0; page < 20; page++) {
        const waiting = await waitingSessions(this.ctx.db.kysely, 500, after);
        for (const s of waiting) {
          const scope = s.group_id !== null ? `g${s.group_id}` : `c${s.chat_id}`;
          if (!blocked.has(scope) && this.online().length > 0 && (await this.tryAssign(s, [], 'ROUTED'))) continue;
          blocked.add(scope);
          if (s.bot_status === 'WAITING') await this.ctx.uow.run((tx) => queueSession(this.ctx, tx, s));
        }
        const last = waiting.at(-1);
        if (!last || waiting.length < 500) return;
        after = { key: queueKey(last), id: last.id };
      }
    });
  }

  /** Resolves when no routing work is queued. */
  async idle(): Promise<void> {
    while (this.pending > 0) await this.chain;
  }

  isIdle(): boolean {
    return this.pending === 0;
  }

  private enqueue(work: () => Promise<void>): Promise<void> {
    this.pending++;
    const next = this.chain.then(work).catch((err: unknown) => this.ctx.log.error({ err }, 'routing failed'));
    this.chain = next.finally(() => {
      this.pending--;
    });
    return next;
  }

  private async place(s: SessionRow, exclude: number[], fallback: Fallback): Promise<void> {
    if (await this.tryAssign(s, exclude, s.bot_status === 'OPERATOR' ? 'REROUTED' : 'ROUTED')) return;
    if (fallback === 'keep') {
      // Nobody else is free: the operator keeps the session for another idle period.
      await this.ctx.db.kysely.updateTable('sessions').set({ awaiting_answer_since: this.ctx.clock.now() })
        .where('id', '=', s.id).where('operator_id', '=', s.operator_id).where('status', '=', 'OPEN').execute();
      return;
    }
    if (s.bot_status === 'HELP') return;
    await this.ctx.uow.run((tx) => queueSession(this.ctx, tx, s));
  }

  /** Tries the candidates in order; true when one took the session. */
  private async tryAssign(s: SessionRow, exclude: number[], reason: 'ROUTED' | 'REROUTED'): Promise<boolean> {
    const { ctx } = this;
    const candidates = await candidatesFor(ctx.db.kysely, { chatId: s.chat_id, groupId: s.group_id }, this.online(), exclude);
    for (const c of candidates) {
      const won = await ctx.uow.run(async (tx) => {
        await lockOperator(tx.db, ctx.db.dialect, c.operatorId);
        const op = await findOperator(tx.db, c.operatorId);
        if (!op || op.status !== 'ACTIVE' || op.blocked === 1) return false;
        if ((await operatorLoad(tx.db, c.operatorId)) >= c.limit) return false;
        return assignSession(ctx, tx, s, op, reason);
      });
      if (won) return true;
      const fresh = await findSession(ctx.db.kysely, s.id);
      if (!fresh || fresh.status !== 'OPEN' || fresh.bot_status !== s.bot_status || fresh.operator_id !== s.operator_id) return false;
    }
    return false;
  }
}
