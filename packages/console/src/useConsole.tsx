/**
 * The console's engine: the live connection, the REST loads and resynchronisation, and the
 * reactions to live events that go beyond state (sound, read receipts, end of session).
 * Session actions (send, take, transfer…) live in `useChatActions`.
 */
import { useCallback, useEffect, useReducer, useRef, useState } from 'preact/hooks';
import type { MessagePage, OperatorDto, OperatorPublication, SessionDto } from '@parley/protocol';
import type { Api, ApiError } from './api.js';
import { LiveConnection, TerminalCode, type LiveState } from './live.js';
import { initialState, reduce, REPLAYED, VIEWS, type Action, type ConsoleState, type EndReason, type Replay, type View } from './state.js';
import { beep, FLASH_MS } from './attention.js';
import { toApiError } from './ui.js';

/** The live connection as the banner shows it. */
export interface ConnInfo {
  state: LiveState;
  code: number;
  reason: string;
  /** Connected at least once: a later "connecting" is a reconnect. */
  wasConnected: boolean;
}

/** What the console views get from the engine. */
export interface ConsoleEngine {
  state: ConsoleState;
  dispatch: (a: Action) => void;
  conn: ConnInfo;
  /** Until when the title flashes for a new chat (ms). */
  flashUntil: number;
  error: ApiError | null;
  setError: (e: ApiError | null) => void;
  views: readonly View[];
  loadLists: () => Promise<void>;
  /** Opens a chat in the pane with its latest history. */
  open: (s: SessionDto) => Promise<void>;
  loadOlder: () => Promise<void>;
  markRead: (sessionId: string) => Promise<void>;
  typing: (sessionId: string) => void;
  reconnect: () => void;
  /** Sessions taken by this console: their arrival needs no beep. */
  expectArrival: (sessionId: string) => void;
}

const PAGE = 50;

/** Wires a signed-in console; `onEnded` is called once when the console session ends. */
export function useConsole(api: Api, me: OperatorDto, onEnded: (r: EndReason) => void): ConsoleEngine {
  const [state, dispatch] = useReducer(reduce, undefined, initialState);
  const [conn, setConn] = useState<ConnInfo>({ state: 'connecting', code: 0, reason: '', wasConnected: false });
  const [flashUntil, setFlashUntil] = useState(0);
  const [error, setError] = useState<ApiError | null>(null);
  const stateRef = useRef(state);
  stateRef.current = state;
  const liveRef = useRef<LiveConnection | null>(null);
  const expected = useRef(new Set<string>());
  // Recent list-changing events, numbered, so a list response can be brought up to date (see Replay).
  const seq = useRef(0);
  const recent = useRef<(Replay & { seq: number })[]>([]);
  const views: readonly View[] = me.role === 'ADMIN' ? VIEWS : ['mine', 'help'];

  const loadLists = useCallback(async () => {
    const since = seq.current;
    await Promise.all(
      views.map(async (view) => {
        const page = await api.request<{ count: number; items: SessionDto[] }>('GET', `/api/v1/sessions?view=${view}&status=OPEN&limit=200`);
        // The response may predate events that arrived meanwhile (a chat routed to us as we connected).
        dispatch({ type: 'lists', view, items: page.items, replay: recent.current.filter((r) => r.seq > since) });
      }),
    );
  }, [api, views.length]);

  const markRead = useCallback(async (sessionId: string) => {
    try {
      await api.request('PATCH', `/api/v1/sessions/${sessionId}/read`);
      dispatch({ type: 'markedRead', sessionId });
    } catch {
      /* the badge stays; the next open tries again */
    }
  }, [api]);

  const isMine = (sessionId: string) => stateRef.current.lists.mine.some((s) => s.id === sessionId);

  /** Reloads what a reconnect may have missed: the lists, then the open chat's newer messages. */
  const resync = useCallback(async () => {
    try {
      await loadLists();
      const open = stateRef.current.open;
      if (!open) return;
      const id = open.session.id;
      dispatch({ type: 'session', session: await api.request<SessionDto>('GET', `/api/v1/sessions/${id}`) });
      let after = open.messages.at(-1)?.id ?? null;
      // Follow the cursor: a long outage may have produced more than one page.
      for (let i = 0; i < 20; i++) {
        const q = after ? `after=${after}&limit=200` : `limit=${PAGE}`;
        const page = await api.request<MessagePage>('GET', `/api/v1/sessions/${id}/messages?${q}`);
        dispatch({ type: 'newer', sessionId: id, messages: page.items });
        if (!after || !page.nextCursor) break;
        after = page.nextCursor;
      }
      if (isMine(id)) await markRead(id);
    } catch (err) {
      setError(toApiError(err));
    }
  }, [api, loadLists, markRead]);

  const onPublication = useCallback((pub: OperatorPublication) => {
    const now = Date.now();
    dispatch({ type: 'pub', pub, now });
    seq.current += 1;
    if (REPLAYED.has(pub.event)) recent.current = [...recent.current.slice(-199), { seq: seq.current, pub, now }];
    switch (pub.event) {
      case 'chatSessionAdded':
      case 'chatSessionStarted': {
        const id = pub.data.id;
        if (expected.current.delete(id)) break;
        beep();
        setFlashUntil(Date.now() + FLASH_MS);
        break;
      }
      case 'chatMessageCreated': {
        const m = pub.data;
        // The pane is open on one's own chat: the client's message is read as it arrives.
        if (m.authorType === 'CLIENT' && stateRef.current.open?.session.id === m.sessionId && isMine(m.sessionId)) void markRead(m.sessionId);
        break;
      }
      default:
        break;
    }
  }, [markRead]);

  useEffect(() => {
    if (state.ended) onEnded(state.ended);
  }, [state.ended]);

  // A chat open in the pane that becomes one's own (taken, transferred here) is read at once.
  const openId = state.open?.session.id ?? null;
  const openUnread = state.lists.mine.some((s) => s.id === openId && s.unreadClientMessageCount > 0);
  useEffect(() => {
    if (openId && openUnread) void markRead(openId);
  }, [openId, openUnread]);

  useEffect(() => {
    const token = api.token;
    if (!token) return;
    const protocol = window.location.protocol === 'https:' ? 'wss' : 'ws';
    const live = new LiveConnection(`${protocol}://${window.location.host}/centrifugo/connection/websocket`, token, {
      publication: onPublication,
      state: (s, code, reason) => setConn((c) => ({ state: s, code, reason, wasConnected: c.wasConnected || s === 'connected' })),
      resync: () => void resync(),
      terminated: (code, reason) => {
        if (code === TerminalCode.blocked) dispatch({ type: 'end', reason: 'blocked' });
        else if (code === TerminalCode.replaced) dispatch({ type: 'end', reason: 'elsewhere' });
        else if (code === TerminalCode.loggedOut) dispatch({ type: 'end', reason: 'loggedOut' });
        else if (/OPERATOR_BLOCKED/.test(reason)) dispatch({ type: 'end', reason: 'blocked' });
        // Any other refusal: a REST call tells whether the credentials still work (and ends the session if not).
        else void api.request('GET', '/api/v1/operators/me').catch(() => {});
      },
    }, async () => {
      await api.refresh();
      return api.token ?? '';
    });
    liveRef.current = live;
    const offToken = api.onToken((t) => live.setToken(t));
    live.start();
    loadLists().catch((err: unknown) => setError(toApiError(err)));
    return () => {
      offToken();
      live.stop();
      liveRef.current = null;
    };
  }, [api]);

  const open = useCallback(async (s: SessionDto) => {
    try {
      const page = await api.request<MessagePage>('GET', `/api/v1/sessions/${s.id}/messages?limit=${PAGE}`);
      dispatch({ type: 'open', session: s, messages: page.items, total: page.count });
      if (isMine(s.id) && s.unreadClientMessageCount > 0) await markRead(s.id);
    } catch (err) {
      setError(toApiError(err));
    }
  }, [api, markRead]);

  const loadOlder = useCallback(async () => {
    const o = stateRef.current.open;
    const first = o?.messages[0];
    if (!o || !first) return;
    try {
      const page = await api.request<MessagePage>('GET', `/api/v1/sessions/${o.session.id}/messages?before=${first.id}&limit=${PAGE}`);
      dispatch({ type: 'older', sessionId: o.session.id, messages: page.items, total: page.count });
    } catch (err) {
      setError(toApiError(err));
    }
  }, [api]);

  return {
    state, dispatch, conn, flashUntil, error, setError, views, loadLists, open, loadOlder, markRead,
    typing: (sessionId) => void liveRef.current?.typing(sessionId),
    reconnect: () => liveRef.current?.start(),
    expectArrival: (sessionId) => void expected.current.add(sessionId),
  };
}
