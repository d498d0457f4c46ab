/**
 * Domain events → operator live-channel publications (`{event, data}`, plus `action`
 * where seed 001 shows it), addressed to the operators who should see them:
 * the session's operators, the operators of the chat's groups while it waits, and
 * the company's admins.
 */
import { OperatorEvent, operatorChannel, type OperatorPublication } from '@parley/protocol';
import type { AppContext } from '../../context.js';
import type { Subscriber } from '../../events/bus.js';
import { formatTimestamp } from '../../domain/time.js';
import type { SessionRow } from '../../persistence/schema.js';
import { findSession } from '../../persistence/repos/sessions.js';
import { scopeOperatorIds, sessionAudience } from '../../persistence/repos/routing.js';
import { presentSessions } from '../../queries/sessions.js';

/** What the fan-out needs from the live channel. */
export interface OperatorPublisher {
  /** `transient`: not kept for recovery (control events such as chatUserExists). */
  publish(channel: string, data: OperatorPublication, opts?: { transient?: boolean }): void;
  /** Closes every live connection of the operator with a terminal code. */
  disconnect(operatorId: string, code: number, reason: string): void;
}

/** Terminal close codes (4500–4999: the official client does not reconnect). */
export const CloseCode = { blocked: 4503, replaced: 4504, loggedOut: 4505 } as const;

async function admins(ctx: AppContext, companyId: number): Promise<number[]> {
  const rows = await ctx.db.kysely.selectFrom('operators').select('id').where('company_id', '=', companyId).where('role', '=', 'ADMIN').where('blocked', '=', 0).execute();
  return rows.map((r) => r.id);
}

/** Who follows a session: its operators when assigned, else the chat's groups (not while the bot has it); admins always. */
const audience = (ctx: AppContext, s: SessionRow) => sessionAudience(ctx.db.kysely, s);

export function operatorFanout(ctx: AppContext, live: OperatorPublisher): Subscriber {
  const send = (ids: Iterable<number | string>, pub: OperatorPublication, transient = false) => {
    for (const id of ids) live.publish(operatorChannel(id), pub, { transient });
  };
  const withSession = async (sessionId: string, fn: (s: SessionRow) => Promise<void>) => {
    const s = await findSession(ctx.db.kysely, sessionId);
    if (s) await fn(s);
  };
  const sessionDto = async (s: SessionRow) => (await presentSessions(ctx, [s]))[0]!;

  return {
    name: 'operator-fanout',
    handlers: {
      'message.created': async (e) => {
        const pub = { event: OperatorEvent.chatMessageCreated, data: e.message };
        // The event carries the session's routing state as of its commit; older stored events do not.
        if (e.groupId === undefined) return withSession(e.sessionId, async (s) => send(await audience(ctx, s), pub));
        send(await sessionAudience(ctx.db.kysely, { id: e.sessionId, company_id: e.companyId, chat_id: e.chatId, group_id: e.groupId, bot_status: e.botStatus }), pub);
      },
      'message.edited': (e) => withSession(e.sessionId, async (s) => send(await audience(ctx, s), { event: OperatorEvent.chatMessageEdited, data: e.message })),
      'message.read': (e) =>
        withSession(e.sessionId, async (s) => {
          if (e.reader !== 'CLIENT') return;
          send(await audience(ctx, s), { event: OperatorEvent.chatMessageRead, data: { messageId: e.messageId, sessionId: e.sessionId, readAt: formatTimestamp(e.readAt) } });
        }),
      'session.queued': (e) =>
        withSession(e.sessionId, async (s) => {
          const ids = await audience(ctx, s);
          send(ids, {
            event: OperatorEvent.operatorNotFound, action: OperatorEvent.operatorNotFound,
            data: { botStatus: s.bot_status, chatId: s.chat_id, operatorType: 'OPERATOR', sessionId: s.id, status: s.status },
          });
          send(ids, { event: OperatorEvent.chatSessionStarted, data: await sessionDto(s) });
          if (s.previous_operator_id !== null) send([s.previous_operator_id], { event: OperatorEvent.chatSessionDeleted, data: { sessionId: s.id, reason: 'RETURNED' } });
        }),
      'session.operatorChanged': (e) =>
        withSession(e.sessionId, async (s) => {
          send([e.operatorId], { event: OperatorEvent.chatSessionAdded, data: await sessionDto(s) });
          if (e.previousOperatorId !== null) {
            send([e.previousOperatorId], { event: OperatorEvent.chatSessionDeleted, data: { sessionId: s.id, reason: e.reason === 'REROUTED' ? 'RETURNED' : 'TRANSFERRED' } });
          }
          if (!e.fromQueue) return;
          const watchers = new Set([...(await scopeOperatorIds(ctx.db.kysely, s)), ...(await admins(ctx, s.company_id))]);
          send(watchers, {
            event: OperatorEvent.chatSessionSwitchedFromBotToOperator,
            data: { sessionId: s.id, chatId: s.chat_id, operatorId: e.operatorId, operatorName: e.change.operatorName },
          });
          // Those who saw it waiting lose it from their help list.
          watchers.delete(Number(e.operatorId));
          send(watchers, { event: OperatorEvent.chatSessionDeleted, data: { sessionId: s.id, reason: 'TAKEN' } });
        }),
      'session.coOperatorChanged': (e) =>
        withSession(e.sessionId, async (s) => {
          send([e.operatorId], e.added ? { event: OperatorEvent.chatSessionAdded, data: await sessionDto(s) } : { event: OperatorEvent.chatSessionDeleted, data: { sessionId: s.id, reason: 'REMOVED' } });
        }),
      'session.closed': (e) =>
        withSession(e.sessionId, async (s) => {
          const ids = await audience(ctx, s);
          if (e.operatorId !== null) ids.add(e.operatorId);
          if (e.closedBy === 'CLIENT') send(ids, { event: OperatorEvent.sessionClosedByClient, data: { sessionId: s.id, result: e.result } });
          else send(ids, { event: OperatorEvent.chatSessionDeleted, data: { sessionId: s.id, reason: 'CLOSED' } });
        }),
      'session.typing': (e) =>
        withSession(e.sessionId, async (s) => {
          if (e.authorType === 'BOT') return;
          const ids = await audience(ctx, s);
          if (e.authorType === 'OPERATOR') ids.delete(Number(e.authorId));
          send(ids, { event: OperatorEvent.typing, data: { sessionId: s.id, authorType: e.authorType, authorId: e.authorId } }, true);
        }),
      'client.presence': (e) =>
        withSession(e.sessionId, async (s) => {
          const ev = e.online ? OperatorEvent.clientOnline : OperatorEvent.clientOffline;
          send(await audience(ctx, s), { event: ev, action: ev, data: { id: s.id, clientId: s.client_id } } as OperatorPublication);
        }),
      'operator.loggedOut': (e) => {
        send([e.operatorId], { event: OperatorEvent.operatorLoggedOut, data: { operatorId: e.operatorId } }, true);
        live.disconnect(e.operatorId, CloseCode.loggedOut, 'logged out');
      },
      'operator.revoked': (e) => {
        live.disconnect(e.operatorId, CloseCode.loggedOut, 'credentials changed');
      },
      'operator.blocked': (e) => {
        send([e.operatorId], { event: OperatorEvent.operatorBlocked, data: { operatorId: e.operatorId } }, true);
        live.disconnect(e.operatorId, CloseCode.blocked, 'operator blocked');
      },
    },
  };
}
