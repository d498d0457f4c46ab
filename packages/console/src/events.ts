/**
 * What each live event of the operator channel does to the console's state: all 15 events of
 * docs/OPERATOR-CHANNEL.md, in one exhaustive switch.
 */
import type { OperatorPublication } from '@parley/protocol';
import { inactiveOpen, mapSessions, onMessage, upsert, VIEWS, without, type ConsoleState, type View } from './model.js';

/**
 * Events that move sessions between lists or change their presence: replayed over a list
 * that was requested before they arrived. Message events are not (the list's counters
 * may already include them, and the next event corrects a preview).
 */
export const REPLAYED: ReadonlySet<OperatorPublication['event']> = new Set([
  'chatSessionAdded', 'chatSessionStarted', 'chatSessionDeleted', 'sessionClosedByClient',
  'chatSessionSwitchedFromBotToOperator', 'operatorNotFound', 'clientOnline', 'clientOffline',
] as const);

/** Applies one publication; `now` (ms) stamps presence changes. */
export function applyPublication(s: ConsoleState, pub: OperatorPublication, now: number): ConsoleState {
  const iso = new Date(now).toISOString().replace(/\.\d{3}Z$/, '+00:00');
  switch (pub.event) {
    case 'chatSessionAdded': {
      const lists = { ...s.lists, mine: upsert(s.lists.mine, pub.data), help: s.lists.help.filter((x) => x.id !== pub.data.id) };
      if (s.lists.all.some((x) => x.id === pub.data.id)) lists.all = upsert(s.lists.all, pub.data);
      const open = s.open?.session.id === pub.data.id ? { ...s.open, session: pub.data, inactive: null } : s.open;
      return { ...s, lists, open };
    }
    case 'chatSessionStarted':
      return { ...s, lists: { ...s.lists, help: upsert(s.lists.help, pub.data), all: upsert(s.lists.all, pub.data) } };
    case 'operatorNotFound':
      return mapSessions(s, pub.data.sessionId, (x) => ({ ...x, botStatus: pub.data.botStatus }));
    case 'chatSessionSwitchedFromBotToOperator': {
      const d = pub.data;
      return mapSessions(without(s, d.sessionId, ['help']), d.sessionId, (x) => ({ ...x, botStatus: 'OPERATOR', operatorId: d.operatorId, operatorName: d.operatorName }));
    }
    case 'chatSessionDeleted': {
      const { sessionId, reason } = pub.data;
      const views: View[] = reason === 'CLOSED' ? ['mine', 'help', 'all'] : reason === 'RETURNED' ? ['mine'] : ['mine', 'help'];
      const why = { TAKEN: 'Another operator took this chat.', TRANSFERRED: 'This chat was transferred.', RETURNED: 'This chat went back to the queue.', REMOVED: 'You were removed from this chat.', CLOSED: 'This chat was closed.' }[reason];
      const next = reason === 'CLOSED' ? mapSessions(s, sessionId, (x) => ({ ...x, status: 'CLOSED', closedAt: x.closedAt ?? iso })) : s;
      return inactiveOpen(without(next, sessionId, views), sessionId, why);
    }
    case 'sessionClosedByClient': {
      const { sessionId, result } = pub.data;
      const next = mapSessions(s, sessionId, (x) => ({ ...x, status: 'CLOSED', result, closedAt: iso }));
      return inactiveOpen(without(next, sessionId, VIEWS), sessionId, `The client closed this chat${result ? ` (${result})` : ''}.`);
    }
    case 'chatMessageCreated':
      return onMessage(s, pub.data);
    case 'chatMessageEdited': {
      const m = pub.data;
      const next = mapSessions(s, m.sessionId, (x) => (x.lastMessage?.id === m.id ? { ...x, lastMessage: { ...x.lastMessage, body: m.body } } : x));
      if (!next.open || next.open.session.id !== m.sessionId) return next;
      return { ...next, open: { ...next.open, messages: next.open.messages.map((x) => (x.id === m.id ? { ...x, ...m } : x)) } };
    }
    case 'chatMessageRead': {
      const { messageId, sessionId, readAt } = pub.data;
      const next = mapSessions(s, sessionId, (x) => (x.lastMessage?.id === messageId ? { ...x, lastMessage: { ...x.lastMessage, readAt } } : x));
      if (!next.open || next.open.session.id !== sessionId) return next;
      return { ...next, open: { ...next.open, messages: next.open.messages.map((x) => (x.id === messageId ? { ...x, readAt: x.readAt ?? readAt } : x)) } };
    }
    case 'typing':
      return { ...s, typing: { ...s.typing, [pub.data.sessionId]: { authorType: pub.data.authorType, authorId: pub.data.authorId, at: now } } };
    case 'clientOnline':
      return mapSessions(s, pub.data.id, (x) => ({ ...x, clientOnlineAt: iso, clientOfflineAt: null }));
    case 'clientOffline':
      return mapSessions(s, pub.data.id, (x) => ({ ...x, clientOfflineAt: iso }));
    case 'operatorBlocked':
      return { ...s, ended: 'blocked' };
    case 'chatUserExists':
      return { ...s, ended: s.ended ?? 'elsewhere' };
    case 'operatorLoggedOut':
      return { ...s, ended: s.ended ?? 'loggedOut' };
    default: {
      const unknown: never = pub;
      return unknown;
    }
  }
}
