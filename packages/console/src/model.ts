/**
 * The console's state and the merge rules shared by its transitions. Pure and DOM-free: every
 * transition is idempotent (a publication may arrive twice — recovered after a reconnect and
 * again in a REST reload), so messages and sessions are merged by id.
 */
import type { HistoryMessageDto, MessageDto, OperatorPublication, SessionDto } from '@parley/protocol';

/** The session list tabs. */
export type View = 'mine' | 'help' | 'all';
/** Every tab, in display order. */
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

/** A publication applied while a list request was under way, to apply again on top of its (older) result. */
export interface Replay {
  pub: OperatorPublication;
  now: number;
}

/** The state of a freshly signed-in console. */
export const initialState = (): ConsoleState => ({ lists: { mine: [], help: [], all: [] }, open: null, typing: {}, ended: null });

/** Event shape → history shape (the event lacks the read/edit fields). */
export const toHistory = (m: MessageDto): HistoryMessageDto => ({ ...m, readAt: null, updatedAt: null, replyToMessageId: null });

type LastMessage = NonNullable<SessionDto['lastMessage']>;
/** A message in the session object's short form (`lastMessage`, `lastOperatorMessage`…). */
export const toLast = (m: MessageDto | HistoryMessageDto, readAt: string | null = null): LastMessage => ({
  id: m.id, authorId: m.authorId, authorType: m.authorType, authorName: m.authorName, type: m.type, body: m.body,
  attachments: m.attachments, createdAt: m.createdAt, readAt,
});

/** Newest activity first, like the server's default `-lastMessageCreatedAt`. */
export const byActivity = (a: SessionDto, b: SessionDto) => (b.lastMessageCreatedAt ?? b.startedAt).localeCompare(a.lastMessageCreatedAt ?? a.startedAt);

/**
 * `a` then `b`, merged by id: a message keeps its first position and takes the later copy's
 * fields. Order is the server's (pages arrive in sequence order); timestamps are never used,
 * since several messages share a second.
 */
export function mergeMessages(a: HistoryMessageDto[], b: HistoryMessageDto[]): HistoryMessageDto[] {
  const at = new Map<string, number>();
  const out: HistoryMessageDto[] = [];
  for (const m of [...a, ...b]) {
    const i = at.get(m.id);
    if (i === undefined) {
      at.set(m.id, out.length);
      out.push(m);
    } else {
      out[i] = { ...out[i]!, ...m };
    }
  }
  return out;
}

/** Applies `fn` to the session `id` wherever it is shown: in every list and in the pane. */
export function mapSessions(s: ConsoleState, id: string, fn: (x: SessionDto) => SessionDto): ConsoleState {
  const lists = { ...s.lists };
  for (const v of VIEWS) if (lists[v].some((x) => x.id === id)) lists[v] = lists[v].map((x) => (x.id === id ? fn(x) : x)).sort(byActivity);
  const open = s.open && s.open.session.id === id ? { ...s.open, session: fn(s.open.session) } : s.open;
  return { ...s, lists, open };
}

/** The list with `session` added or replaced, newest activity first. */
export function upsert(list: SessionDto[], session: SessionDto): SessionDto[] {
  return [...list.filter((x) => x.id !== session.id), session].sort(byActivity);
}

/** The state with session `id` taken out of the given lists. */
export function without(s: ConsoleState, id: string, views: readonly View[]): ConsoleState {
  const lists = { ...s.lists };
  for (const v of views) lists[v] = lists[v].filter((x) => x.id !== id);
  return { ...s, lists };
}

/**
 * Marks the open chat as no longer answerable. A live event keeps an explanation already shown
 * (the operator's own action answers before its echo arrives); `own` actions replace it.
 */
export const inactiveOpen = (s: ConsoleState, id: string, why: string, own = false): ConsoleState =>
  s.open && s.open.session.id === id ? { ...s, open: { ...s.open, inactive: own ? why : (s.open.inactive ?? why) } } : s;

/** A new message: the session's preview, unread count and SL-timer fields, and the pane. */
export function onMessage(s: ConsoleState, m: MessageDto | HistoryMessageDto): ConsoleState {
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
    // A message we already hold (sent from here, or recovered twice) is newer here than in the event.
    if (!next.open.messages.some((x) => x.id === m.id)) next = { ...next, open: { ...next.open, messages: [...next.open.messages, h], total: next.open.total + 1 } };
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
