/**
 * Giving a session to an operator, and putting it in the help queue. Both are one
 * compare-and-set UPDATE on the state the caller read: of concurrent attempts
 * exactly one wins; the others see `false`.
 */
import type { FileObject, OperatorChangedPayload } from '@parley/protocol';
import type { AppContext } from '../context.js';
import type { AssignReason } from '../domain/events.js';
import type { Tx } from '../persistence/tx.js';
import type { OperatorRow, SessionRow } from '../persistence/schema.js';
import { findBot, findChat } from '../persistence/repos/directory.js';
import { findOperator } from '../persistence/repos/operators.js';
import { appendMessage } from './appendMessage.js';

async function avatarOf(ctx: AppContext, tx: Tx, op: OperatorRow): Promise<FileObject | null> {
  return (await ctx.avatars(tx.db, op.company_id, [String(op.id)])).get(String(op.id)) ?? null;
}

/** Who the client was talking to before: the previous operator, else the bot, else nobody. */
async function previousParty(ctx: AppContext, tx: Tx, session: SessionRow) {
  if (session.operator_id !== null) {
    const prev = await findOperator(tx.db, session.operator_id);
    if (prev) return { id: String(prev.id), name: prev.name, avatar: await avatarOf(ctx, tx, prev) };
  }
  const bot = session.bot_id ? await findBot(tx.db, session.bot_id) : undefined;
  return bot ? { id: bot.id, name: bot.name, avatar: null } : { id: null, name: null, avatar: null };
}

export async function assignSession(ctx: AppContext, tx: Tx, session: SessionRow, operator: OperatorRow, reason: AssignReason): Promise<boolean> {
  const now = ctx.clock.now();
  let q = tx.db
    .updateTable('sessions')
    .set({
      operator_id: operator.id, bot_status: 'OPERATOR', operator_assigned_at: now, previous_operator_id: session.operator_id,
      last_activity_at: now,
      // The idle clock restarts with the new operator.
      awaiting_answer_since: now,
    })
    .where('id', '=', session.id)
    .where('status', '=', 'OPEN')
    .where('bot_status', '=', session.bot_status);
  q = session.operator_id === null ? q.where('operator_id', 'is', null) : q.where('operator_id', '=', session.operator_id);
  if ((await q.executeTakeFirst()).numUpdatedRows === 0n) return false;

  await tx.db.deleteFrom('session_operators').where('session_id', '=', session.id).where((eb) => eb.or([eb('role', '=', 'PRIMARY'), eb('operator_id', '=', operator.id)])).execute();
  await tx.db.insertInto('session_operators').values({ session_id: session.id, operator_id: operator.id, role: 'PRIMARY', assigned_at: now }).execute();
  await tx.db.updateTable('operators').set({ last_assigned_at: now }).where('id', '=', operator.id).execute();

  const prev = await previousParty(ctx, tx, session);
  const change: OperatorChangedPayload = {
    operatorId: String(operator.id), operatorName: operator.name, avatar: await avatarOf(ctx, tx, operator),
    previousOperatorId: prev.id, previousOperatorName: prev.name, previousOperatorAvatar: prev.avatar,
  };
  tx.record({
    type: 'session.operatorChanged', companyId: session.company_id, chatId: session.chat_id, sessionId: session.id,
    operatorId: String(operator.id), previousOperatorId: session.operator_id === null ? null : String(session.operator_id),
    reason, fromQueue: session.bot_status !== 'OPERATOR', change,
  });
  return true;
}

/**
 * Puts a session nobody can take into the help queue (clearing a departed operator).
 * The client is told the chat's operatorsBusyMessage the first time it queues.
 */
export async function queueSession(ctx: AppContext, tx: Tx, session: SessionRow): Promise<boolean> {
  const now = ctx.clock.now();
  let q = tx.db
    .updateTable('sessions')
    .set({ bot_status: 'HELP', help_at: session.help_at ?? now, operator_id: null, previous_operator_id: session.operator_id, last_activity_at: now })
    .where('id', '=', session.id)
    .where('status', '=', 'OPEN')
    .where('bot_status', '=', session.bot_status);
  q = session.operator_id === null ? q.where('operator_id', 'is', null) : q.where('operator_id', '=', session.operator_id);
  if ((await q.executeTakeFirst()).numUpdatedRows === 0n) return false;
  await tx.db.deleteFrom('session_operators').where('session_id', '=', session.id).where('role', '=', 'PRIMARY').execute();
  tx.record({ type: 'session.queued', companyId: session.company_id, chatId: session.chat_id, sessionId: session.id });
  if (session.help_at === null) {
    const chat = await findChat(tx.db, session.chat_id);
    const bot = session.bot_id ? await findBot(tx.db, session.bot_id) : undefined;
    if (chat && chat.operators_busy_message.trim() !== '') {
      await appendMessage(ctx, tx, session, {
        authorType: 'BOT', authorId: bot?.id ?? chat.id, authorName: bot?.name ?? chat.name, body: chat.operators_busy_message,
      });
    }
  }
  return true;
}
