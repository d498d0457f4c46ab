/**
 * The console's reducer: REST results, the operator's own actions and live publications
 * (see events.ts) as one stream of state changes.
 */
import type { HistoryMessageDto, OperatorPublication, SessionDto } from '@parley/protocol';
import {
  byActivity, inactiveOpen, initialState, mapSessions, mergeMessages, onMessage, VIEWS, without,
  type ConsoleState, type EndReason, type Replay, type View,
} from './model.js';
import { applyPublication } from './events.js';

export * from './model.js';
export { REPLAYED, applyPublication } from './events.js';

/** State changes, from REST results, user actions and live publications. */
export type Action =
  | { type: 'lists'; view: View; items: SessionDto[]; replay?: Replay[] }
  | { type: 'open'; session: SessionDto; messages: HistoryMessageDto[]; total: number }
  | { type: 'older'; sessionId: string; messages: HistoryMessageDto[]; total: number }
  | { type: 'newer'; sessionId: string; messages: HistoryMessageDto[] }
  | { type: 'message'; message: HistoryMessageDto }
  | { type: 'session'; session: SessionDto }
  | { type: 'remove'; sessionId: string; reason: string | null }
  | { type: 'markedRead'; sessionId: string }
  | { type: 'closePane' }
  | { type: 'pub'; pub: OperatorPublication; now: number }
  | { type: 'end'; reason: EndReason }
  | { type: 'reset' };

/** The console's reducer. */
export function reduce(s: ConsoleState, a: Action): ConsoleState {
  switch (a.type) {
    case 'lists': {
      const next = { ...s, lists: { ...s.lists, [a.view]: [...a.items].sort(byActivity) } };
      return (a.replay ?? []).reduce((acc, r) => applyPublication(acc, r.pub, r.now), next);
    }
    case 'open':
      return { ...s, open: { session: a.session, messages: mergeMessages([], a.messages), total: a.total, inactive: a.session.status === 'CLOSED' ? 'This chat is closed.' : null } };
    case 'older':
    case 'newer':
      if (!s.open || s.open.session.id !== a.sessionId) {
        return s;
      } else {
        const messages = mergeMessages(a.type === 'older' ? a.messages : s.open.messages, a.type === 'older' ? s.open.messages : a.messages);
        return { ...s, open: { ...s.open, messages, total: a.type === 'older' ? a.total : Math.max(s.open.total, messages.length) } };
      }
    case 'message':
      return onMessage(s, a.message);
    case 'session': {
      const next = mapSessions(s, a.session.id, () => a.session);
      return next.open?.session.id === a.session.id ? { ...next, open: { ...next.open, session: a.session } } : next;
    }
    case 'remove':
      return a.reason ? inactiveOpen(without(s, a.sessionId, VIEWS), a.sessionId, a.reason, true) : without(s, a.sessionId, VIEWS);
    case 'markedRead':
      return mapSessions(s, a.sessionId, (x) => ({ ...x, unreadClientMessageCount: 0, unreadClientMessageExists: false }));
    case 'closePane':
      return { ...s, open: null };
    case 'pub':
      return applyPublication(s, a.pub, a.now);
    case 'end':
      return { ...s, ended: s.ended ?? a.reason };
    case 'reset':
      return initialState();
  }
}
