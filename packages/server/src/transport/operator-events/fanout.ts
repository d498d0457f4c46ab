/**
 * Domain events → operator live-channel publications (`{event, data}`, plus `action`
 * where seed 001 shows it), addressed to the operators who should see them:
 * the session's operators, the operators of the chat's groups while it waits, and
 * the company's admins.
 */
import { OperatorEvent, operatorChannel, type OperatorPublication } from '@parley/protocol';
import type { AppContext } from '../../context.js';
import type { Subscriber } from '../../events/bus.js';
import type { DomainEvent } from '../../domain/events.js';
import { formatTimestamp } from '../../domain/time.js';
import type { SessionRow } from '../../persistence/schema.js';
import { findSession } from '../../persistence/repos/sessions.js';
import { assignedAudiences, isWaiting, scopeOperatorIds, sessionAudience } from '../../persistence/repos/routing.js';
import { presentSessions } from '../../queries/sessions.js';
import { SerializedData } from '../operator-gateway/centrifugo-channels.js';

/** What the fan-out needs from the live channel. */
export interface OperatorPublisher {
  /**
   * `transient`: not kept for recovery (control events such as chatUserExists). `data` may come
   * serialised already, when one publication goes to several channels.
   */
  publish(channel: string, data: OperatorPublication | SerializedData, opts?: { transient?: boolean }): void;
  /** Closes every live connection of the operator with a terminal code. */
  disconnect(operatorId: string, code: number, reason: string): void;
}

/** Terminal close codes (4500–4999: the official client does not reconnect). */
export const CloseCode = { blocked: 4503, replaced: 4504, loggedOut: 4505 } as const;

async function admins(ctx: AppContext, companyId: number): Promise<number[]> {
  const rows = await ctx.db.delivery.selectFrom('operators').select('id').where('company_id', '=', companyId).where('role', '=', 'ADMIN').where('blocked', '=', 0).execute();
  return rows.map((r) => r.id);
}

type Routed = Pick<SessionRow, 'id' | 'company_id' | 'chat_id' | 'group_id' | 'bot_status'>;

/**
 * Audience reads of assigned sessions, coalesced: those asked for in one turn (the bus
 * offers a run of queued events at once) share one query per company.
 */
function assignedAudienceLoader(ctx: AppContext): (s: Routed) => Promise<Set<number>> {
  type Waiter = { resolve: (ids: Set<number>) => void; reject: (err: unknown) => void };
  let pending: Map<number, Map<string, Waiter[]>> | null = null;
  const flush = (batch: Map<number, Map<string, Waiter[]>>) => {
    for (const [companyId, sessions] of batch) {
      assignedAudiences(ctx.db.delivery, companyId, [...sessions.keys()]).then(
        (found) => sessions.forEach((waiters, id) => waiters.forEach((w) => w.resolve(new Set(found.get(id))))),
        (err: unknown) => sessions.forEach((waiters) => waiters.forEach((w) => w.reject(err))),
      );
    }
  };
  return (s) => new Promise((resolve, reject) => {
    if (!pending) {
      const batch = (pending = new Map());
      queueMicrotask(() => {
        pending = null;
        flush(batch);
      });
    }
    let sessions = pending.get(s.company_id);
    if (!sessions) pending.set(s.company_id, (sessions = new Map()));
    let waiters = sessions.get(s.id);
    if (!waiters) sessions.set(s.id, (waiters = []));
    waiters.push({ resolve, reject });
  });
}

/** What a handler reads: the session (absent once deleted) and, where it publishes to the session's audience, who that is. */
interface Reads {
  s: SessionRow | undefined;
  ids: Set<number>;
}

/** Events whose handler publishes to the session's audience; the others read only the session. */
const toAudience = new Set<DomainEvent['type']>(['message.created', 'message.edited', 'message.read', 'session.queued', 'session.closed', 'session.typing', 'client.presence']);
/** Events whose handler reads the session at all. */
const readsSession = new Set<DomainEvent['type']>([...toAudience, 'session.operatorChanged', 'session.coOperatorChanged']);

type SessionEvent = Extract<DomainEvent, { sessionId: string }>;

/**
 * The routing state an event carries as of its commit (a new message) or of the publisher's
 * read (an operator's typing), so that its audience needs no session read. Older stored
 * events carry none.
 */
function routingOf(e: SessionEvent): Routed | undefined {
  if (e.type !== 'message.created' && e.type !== 'session.typing') return undefined;
  if (e.chatId === undefined || e.groupId === undefined || e.botStatus === undefined) return undefined;
  return { id: e.sessionId, company_id: e.companyId, chat_id: e.chatId, group_id: e.groupId, bot_status: e.botStatus };
}
const needsReads = (e: DomainEvent): e is SessionEvent =>
  readsSession.has(e.type) && !(e.type === 'session.typing' && e.authorType === 'BOT') && !(e.type === 'message.read' && e.reader !== 'CLIENT');

export function operatorFanout(ctx: AppContext, live: OperatorPublisher): Subscriber {
  const send = (ids: Iterable<number | string>, pub: OperatorPublication, transient = false) => {
    // Serialised once for the whole audience (an event to a company's admins goes to each of them).
    let data: SerializedData | undefined;
    for (const id of ids) live.publish(operatorChannel(id), (data ??= new SerializedData(pub)), { transient });
  };
  const sessionDto = async (s: SessionRow) => (await presentSessions(ctx, [s]))[0]!;
  /** Who follows a session: its operators when assigned, else the chat's groups (not while the bot has it); admins always. */
  const assignedAudience = assignedAudienceLoader(ctx);
  const audience = (s: Routed) => (isWaiting(s) ? sessionAudience(ctx.db.delivery, s) : assignedAudience(s));

  const load = async (e: SessionEvent): Promise<Reads> => {
    // A new message whose statement read its audience as it stored the message needs no read.
    if (e.type === 'message.created' && e.audience !== undefined) return { s: undefined, ids: new Set(e.audience) };
    const routed = routingOf(e);
    if (routed) return { s: undefined, ids: await audience(routed) };
    const s = await findSession(ctx.db.delivery, e.sessionId);
    return { s, ids: s && toAudience.has(e.type) ? await audience(s) : new Set() };
  };
  // Reads started ahead of delivery (see EventBus), taken by the event's handler.
  const ahead = new WeakMap<DomainEvent, Promise<Reads>>();
  const reads = (e: SessionEvent): Promise<Reads> => {
    const p = ahead.get(e);
    ahead.delete(e);
    return p ?? load(e);
  };
  /** Runs `fn` with the session and its audience; nothing when the session is gone. */
  const withSession = async (e: SessionEvent, fn: (s: SessionRow, ids: Set<number>) => Promise<void> | void) => {
    const { s, ids } = await reads(e);
    if (s) await fn(s, ids);
  };

  return {
    name: 'operator-fanout',
    prefetch: (e) => {
      if (!needsReads(e)) return;
      const p = load(e);
      p.catch(() => undefined); // a failure surfaces when the handler takes it
      ahead.set(e, p);
    },
    handlers: {
      'message.created': async (e) => {
        const { s, ids } = await reads(e);
        if (s || e.groupId !== undefined) send(ids, { event: OperatorEvent.chatMessageCreated, data: e.message });
      },
      'message.edited': (e) => withSession(e, (_s, ids) => send(ids, { event: OperatorEvent.chatMessageEdited, data: e.message })),
      'message.read': (e) => {
        if (e.reader !== 'CLIENT') return;
        return withSession(e, (s, ids) =>
          send(ids, { event: OperatorEvent.chatMessageRead, data: { messageId: e.messageId, sessionId: e.sessionId, readAt: formatTimestamp(e.readAt) } }));
      },
      'session.queued': (e) =>
        withSession(e, async (s, ids) => {
          send(ids, {
            event: OperatorEvent.operatorNotFound, action: OperatorEvent.operatorNotFound,
            data: { botStatus: s.bot_status, chatId: s.chat_id, operatorType: 'OPERATOR', sessionId: s.id, status: s.status },
          });
          send(ids, { event: OperatorEvent.chatSessionStarted, data: await sessionDto(s) });
          if (s.previous_operator_id !== null) send([s.previous_operator_id], { event: OperatorEvent.chatSessionDeleted, data: { sessionId: s.id, reason: 'RETURNED' } });
        }),
      'session.operatorChanged': (e) =>
        withSession(e, async (s) => {
          send([e.operatorId], { event: OperatorEvent.chatSessionAdded, data: await sessionDto(s) });
          if (e.previousOperatorId !== null) {
            send([e.previousOperatorId], { event: OperatorEvent.chatSessionDeleted, data: { sessionId: s.id, reason: e.reason === 'REROUTED' ? 'RETURNED' : 'TRANSFERRED' } });
          }
          if (!e.fromQueue) return;
          const watchers = new Set([...(await scopeOperatorIds(ctx.db.delivery, s)), ...(await admins(ctx, s.company_id))]);
          send(watchers, {
            event: OperatorEvent.chatSessionSwitchedFromBotToOperator,
            data: { sessionId: s.id, chatId: s.chat_id, operatorId: e.operatorId, operatorName: e.change.operatorName },
          });
          // Those who saw it waiting lose it from their help list.
          watchers.delete(Number(e.operatorId));
          send(watchers, { event: OperatorEvent.chatSessionDeleted, data: { sessionId: s.id, reason: 'TAKEN' } });
        }),
      'session.coOperatorChanged': (e) =>
        withSession(e, async (s) => {
          send([e.operatorId], e.added ? { event: OperatorEvent.chatSessionAdded, data: await sessionDto(s) } : { event: OperatorEvent.chatSessionDeleted, data: { sessionId: s.id, reason: 'REMOVED' } });
        }),
      'session.closed': (e) =>
        withSession(e, (s, ids) => {
          if (e.operatorId !== null) ids.add(e.operatorId);
          if (e.closedBy === 'CLIENT') send(ids, { event: OperatorEvent.sessionClosedByClient, data: { sessionId: s.id, result: e.result } });
          else send(ids, { event: OperatorEvent.chatSessionDeleted, data: { sessionId: s.id, reason: 'CLOSED' } });
        }),
      'session.typing': async (e) => {
        const { authorType, authorId } = e;
        if (authorType === 'BOT') return;
        const { s, ids } = await reads(e);
        if (!s && !routingOf(e)) return;
        if (authorType === 'OPERATOR') ids.delete(Number(authorId));
        send(ids, { event: OperatorEvent.typing, data: { sessionId: e.sessionId, authorType, authorId } }, true);
      },
      'client.presence': (e) =>
        withSession(e, (s, ids) => {
          const ev = e.online ? OperatorEvent.clientOnline : OperatorEvent.clientOffline;
          send(ids, { event: ev, action: ev, data: { id: s.id, clientId: s.client_id } } as OperatorPublication);
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
