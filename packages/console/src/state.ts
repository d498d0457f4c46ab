/**
 * The console's state and how REST results and live events change it. Pure and DOM-free:
 * every transition is idempotent (a publication may arrive twice — recovered after a reconnect
 * and again in the REST reload), so messages and sessions are merged by id.
 */
import type { HistoryMessageDto, MessageDto, OperatorPublication, SessionDto } from '@parley/protocol';

/** The session list tabs. */
export type View = 'mine' | 'help' | 'all';
export const VIEWS: readonly View[] = ['mine', 'help', 'all'];

/** Why the console session ended (the explanation screen). */
export type EndReason = 'blocked' | 'elsewhere' | 'loggedOut' | 'revoked' | 'expired';

/** The chat shown in the pane. Kept apart from the lists so it stays readable after it leaves them. */
export interface OpenChat {
  session: SessionDto;
  messages: HistoryMessageDto[];
  /** Messages the session has in total (to know whether older pages exist). */
  total: number;
  /** Set when the chat can no longer be answered from here, with the reason shown. */
  inactive: string | null;
}

/** Someone typing in a session, and when we last heard of it (ms). */
export interface TypingMark {
  authorType: 'CLIENT' | 'OPERATOR';
  authorId: string;
  at: number;
}

/** Everything the console shows. */
export interface ConsoleState {
  lists: Record<View, SessionDto[]>;
  open: OpenChat | null;
  typing: Record<string, TypingMark>;
  ended: EndReason | null;
}

/** State changes, from REST results, user actions and live publications. */
export type Action =
  | { type: 'lists'; view: View; items: SessionDto[] }
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

/** The state of a freshly signed-in console. */
export const initialState = (): ConsoleState => ({ lists: { mine: [], help: [], all: [] }, open: null, typing: {}, ended: null });

/** Event shape → history shape (the event lacks the read/edit fields). */
export const toHistory = (m: MessageDto): HistoryMessageDto => ({ ...m, readAt: null, updatedAt: null, replyToMessageId: null });

type LastMessage = NonNullable<SessionDto['lastMessage']>;
const toLast = (m: MessageDto | HistoryMessageDto, readAt: string | null = null): LastMessage => ({
  id: m.id, authorId: m.authorId, authorType: m.authorType, authorName: m.authorName, type: m.type, body: m.body,
  attachments: m.attachments, createdAt: m.createdAt, readAt,
});

/** Newest activity first, like the server's default `-lastMessageCreatedAt`. */
const byActivity = (a: SessionDto, b: SessionDto) => (b.lastMessageCreatedAt ?? b.startedAt).localeCompare(a.lastMessageCreatedAt ?? a.startedAt);

/** Messages merged by id (later copies win), in server order. */
function mergeMessages(a: HistoryMessageDto[], b: HistoryMessageDto[]): HistoryMessageDto[] {
  const byId = new Map<string, HistoryMessageDto>();
  for (const m of [...a, ...b]) byId.set(m.id, { ...byId.get(m.id), ...m });
  // Per-session order is the server's; timestamps only break ties between pages we merged.
  const order = new Map([...a, ...b].map((m, i) => [m.id, i]));
  return [...byId.values()].sort((x, y) => x.createdAt.localeCompare(y.createdAt) || order.get(x.id)! - order.get(y.id)!);
}

function mapSessions(s: ConsoleState, id: string, fn: (x: SessionDto) => SessionDto): ConsoleState {
  const lists = { ...s.lists };
  for (const v of VIEWS) if (lists[v].some((x) => x.id === id)) lists[v] = lists[v].map((x) => (x.id === id ? fn(x) : x)).sort(byActivity);
  const open = s.open && s.open.session.id === id ? { ...s.open, session: fn(s.open.session) } : s.open;
  return { ...s, lists, open };
}

function upsert(list: SessionDto[], session: SessionDto): SessionDto[] {
  return [...list.filter((x) => x.id !== session.id), session].sort(byActivity);
}

function without(s: ConsoleState, id: string, views: readonly View[]): ConsoleState {
  const lists = { ...s.lists };
  for (const v of views) lists[v] = lists[v].filter((x) => x.id !== id);
  return { ...s, lists };
}

const inactiveOpen = (s: ConsoleState, id: string, why: string): ConsoleState =>
  s.open && s.open.session.id === id ? { ...s, open: { ...s.open, inactive: why } } : s;

function onMessage(s: ConsoleState, m: MessageDto | HistoryMessageDto): ConsoleState {
  const h: HistoryMessageDto = 'readAt' in m ? m : toHistory(m);
  const isOpen = s.open?.session.id === m.sessionId;
  // Only chats of one's own are marked read on sight (the pane calls PATCH /sessions/{id}/read).
  const readOnSight = isOpen && s.lists.mine.some((x) => x.id === m.sessionId);
  let next = mapSessions(s, m.sessionId, (x) => {
    if (x.lastMessage?.id === m.id) return x;
    const base = { ...x, lastMessage: toLast(h, h.readAt), lastMessageCreatedAt: m.createdAt };
    if (m.authorType === 'CLIENT') {
      return {
        ...base,
        // An open pane marks client messages read at once, so they never count as unread there.
        unreadClientMessageCount: readOnSight ? 0 : x.unreadClientMessageCount + 1,
        unreadClientMessageExists: !readOnSight,
        firstClientMessageAfterLastOperatorMessage: x.firstClientMessageAfterLastOperatorMessage ?? toLast(h),
      };
    }
    if (m.authorType === 'OPERATOR') return { ...base, lastOperatorMessage: toLast(h), firstClientMessageAfterLastOperatorMessage: null };
    return base;
  });
  if (isOpen && next.open) {
    const known = next.open.messages.some((x) => x.id === m.id);
    next = { ...next, open: { ...next.open, messages: mergeMessages(next.open.messages, [h]), total: next.open.total + (known ? 0 : 1) } };
  }
  // A message from whoever was typing ends their typing indicator.
  const t = next.typing[m.sessionId];
  if (t && t.authorId === m.authorId) {
    const typing = { ...next.typing };
    delete typing[m.sessionId];
    next = { ...next, typing };
  }
  return next;
}

function onPublication(s: ConsoleState, pub: OperatorPublication, now: number): ConsoleState {
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
      return inactiveOpen(without(s, sessionId, views), sessionId, why);
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

/** The console's reducer. */
export function reduce(s: ConsoleState, a: Action): ConsoleState {
  switch (a.type) {
    case 'lists':
      return { ...s, lists: { ...s.lists, [a.view]: [...a.items].sort(byActivity) } };
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
      return a.reason ? inactiveOpen(without(s, a.sessionId, VIEWS), a.sessionId, a.reason) : without(s, a.sessionId, VIEWS);
    case 'markedRead':
      return mapSessions(s, a.sessionId, (x) => ({ ...x, unreadClientMessageCount: 0, unreadClientMessageExists: false }));
    case 'closePane':
      return { ...s, open: null };
    case 'pub':
      return onPublication(s, a.pub, a.now);
    case 'end':
      return { ...s, ended: s.ended ?? a.reason };
    case 'reset':
      return initialState();
  }
}
