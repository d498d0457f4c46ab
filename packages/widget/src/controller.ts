/// <reference lib="dom" />
/**
 * The widget's behaviour: one conversation per chat and visitor, started or continued
 * over REST, kept live over Socket.IO, resynchronised from history after every
 * (re)connect, and shared with the visitor's other tabs.
 */
import type { MessageDto, OperatorChangedPayload, StartSessionBody, StartSessionResponse, WidgetServerToClientEvents } from '@parley/protocol';
import { Api, ApiError } from './api.js';
import { Conversation, type Entry } from './conversation.js';
import { History } from './history.js';
import { Live } from './live.js';
import { Outbox } from './outbox.js';
import { Receipts } from './receipts.js';
import { loadIds, saveIds, type StoredIds } from './storage.js';
import { Tabs } from './tabs.js';
import { T } from './texts.js';
import { withUser, type ParleyUser, type WidgetConfig } from './types.js';
import { View } from './view.js';

/** Events the controller reports to the public API. */
export type Emit = (event: 'message' | 'open' | 'close' | 'session', payload?: unknown) => void;

const unknownIds = (e: unknown) => e instanceof ApiError && e.status === 404 && e.code !== 'CHAT_NOT_FOUND';

/** Connects the view, the conversation, the REST API and the live connection. */
export class Controller {
  readonly view: View;
  private readonly conv: Conversation;
  private readonly api: Api;
  private session: StoredIds | null = null;
  private closed = false;
  private starting: Promise<string> | null = null;
  private profile: StartSessionBody = {};
  private profileDirty = false;
  private live: Live | null = null;
  private readonly history: History;
  private readonly outbox: Outbox;
  private readonly receipts: Receipts;
  private readonly readEarly = new Set<string>();
  private unread = 0;
  private lastTyping = 0;
  private operator = T.operator;
  private readonly tabs: Tabs;

  constructor(private readonly cfg: WidgetConfig, private readonly emit: Emit) {
    this.api = new Api(cfg.base);
    this.view = new View({
      onToggle: (open) => this.setOpen(open),
      onSend: (text) => this.outbox.send(this.session?.sessionId ?? '', text),
      onTyping: () => this.typing(),
      onRetry: (e) => this.outbox.deliver(e),
      onSeen: (e) => this.seen(e),
      onEarlier: () => {
        const sid = this.session?.sessionId;
        if (sid) this.history.earlier(sid).then((more) => this.view.setEarlier(more), () => undefined);
      },
    }, cfg);
    this.conv = new Conversation((entry, kind) => {
      this.view.render(entry, kind);
      this.view.setAnswers(this.closed ? [] : this.conv.currentAnswers());
    });
    this.history = new History({
      api: this.api, conv: this.conv,
      current: () => this.session?.sessionId ?? null,
      receive: (m) => this.receive(m),
      loaded: (sid, more) => {
        this.view.setEarlier(more);
        const op = [...this.conv.entries].reverse().find((e) => e.sessionId === sid && e.authorType === 'OPERATOR');
        if (op) this.showOperator(op.authorName, op.avatarUrl);
      },
    });
    this.outbox = new Outbox({
      conv: this.conv, api: this.api,
      ensureSession: () => this.ensureSession(),
      closed: (sid) => this.markClosed(sid, false),
      delivered: (entry, res) => {
        if (this.readEarly.delete(res.id)) this.conv.setState(this.conv.get(res.id) ?? entry, 'read');
        this.tabs.message({
          id: res.id, sessionId: entry.sessionId, authorId: this.session?.clientId ?? '', authorType: 'CLIENT', authorName: '', type: 'REGULAR',
          body: entry.body, answers: [], createdAt: res.createdAt, attachments: [], actions: [], avatar: null,
        });
      },
    });
    this.receipts = new Receipts(this.api, this.conv, () => this.live);
    // Another tab of the visitor started a new session or sent a message: follow it.
    this.tabs = new Tabs(cfg.chatId,
      (ids) => ids.sessionId !== this.session?.sessionId && this.adopt(ids, [], false),
      (m) => m.sessionId === this.session?.sessionId && this.conv.upsert(m));
    document.addEventListener('visibilitychange', () => this.flushSeen());
  }

  /** Continues the stored conversation, if any. A new one starts when the chat is first opened. */
  async restore(): Promise<void> {
    if (loadIds(this.cfg.chatId)) await this.ensureSession().catch(() => this.view.notice(T.unavailable));
  }

  setOpen(open: boolean): void {
    if (open === this.view.isOpen) return;
    this.view.setOpen(open);
    this.emit(open ? 'open' : 'close');
    if (!open) return;
    this.unread = 0;
    this.view.setUnread(0);
    this.flushSeen();
    if (!this.session) this.ensureSession().catch(() => this.view.notice(T.unavailable));
  }

  /** Records the visitor's profile; an existing session's client is updated at once. */
  async setUser(user: ParleyUser): Promise<void> {
    this.profile = withUser(this.profile, user);
    this.profileDirty = true;
    await this.starting?.catch(() => undefined);
    // A closed session is not reopened for a profile: the next start carries it.
    if (this.session && !this.closed && this.profileDirty) await this.ensureSession();
  }

  /** The open session's id, starting or continuing one when needed (one request at a time). */
  private ensureSession(): Promise<string> {
    if (this.session && !this.closed && !this.profileDirty) return Promise.resolve(this.session.sessionId);
    this.starting ??= this.start().finally(() => (this.starting = null));
    return this.starting;
  }

  private async start(): Promise<string> {
    const stored = this.session ?? loadIds(this.cfg.chatId);
    const profile = { ...this.profile, referer: location.href.slice(0, 2048) };
    const withProfile = this.profileDirty;
    this.profileDirty = false;
    try {
      let res: StartSessionResponse | null = null;
      if (stored) {
        // Continuing by sessionId leaves the client's profile as it was; continuing by
        // clientId updates it and finds the same open session, so send the id only when
        // there is no profile change. A closed session is not asked for at all.
        const which = withProfile || this.closed ? {} : { sessionId: stored.sessionId };
        res = await this.api.startSession('PUT', this.cfg.chatId, { ...profile, ...which, clientId: stored.clientId }).catch((e: unknown) => {
          if (unknownIds(e)) return null;
          throw e;
        });
      }
      res ??= await this.api.startSession('POST', this.cfg.chatId, profile);
      this.adopt({ sessionId: res.id, clientId: res.clientId }, res.messages, true);
      return res.id;
    } catch (e) {
      if (withProfile) this.profileDirty = true;
      throw e;
    }
  }

  /** Makes `ids` the current session: remembered, loaded, connected, and told to the other tabs. */
  private adopt(ids: StoredIds, first: MessageDto[], announce: boolean): void {
    const previous = this.session;
    this.session = ids;
    saveIds(this.cfg.chatId, ids);
    if (previous?.sessionId === ids.sessionId && !this.closed) {
      for (const m of first) this.receive(m);
      return;
    }
    this.closed = false;
    this.live?.close();
    if (previous) this.view.notice(T.newSession);
    if (announce) this.tabs.session(ids);
    this.emit('session', { sessionId: ids.sessionId, clientId: ids.clientId });
    for (const m of first) this.receive(m);
    const sid = ids.sessionId;
    this.history.load(sid);
    this.live = new Live(this.cfg.base, sid, this.events(sid), {
      onUp: () => {
        this.view.setStatus(null);
        // Also on the first connect: it closes the gap between the history request and the join.
        this.history.resync(sid);
        this.flushSeen();
      },
      onDown: () => this.view.setStatus(this.closed ? null : T.offline),
      onRefused: () => this.markClosed(sid, true),
    });
  }

  /** A message from the server (live, resync or start response): shown once, reported once. */
  private receive(m: MessageDto): void {
    const e = this.conv.upsert(m);
    if (!e || e.authorType === 'CLIENT') return;
    this.view.setTyping(null);
    if (e.authorType === 'OPERATOR') this.showOperator(e.authorName, e.avatarUrl);
    if (!this.view.isOpen) this.view.setUnread(++this.unread);
    this.emit('message', m);
  }

  private showOperator(name: string, avatarUrl: string | null): void {
    this.operator = name;
    this.view.setOperator(name, avatarUrl);
  }

  private events(sid: string): WidgetServerToClientEvents {
    const mine = (id: string) => id === sid && sid === this.session?.sessionId;
    return {
      chatMessageCreatedEmit: (m) => mine(m.sessionId) && this.receive(m),
      showTypingIndicatorEmit: ({ authorType }) => this.view.setTyping(T.typing(authorType === 'BOT' ? T.bot : this.operator)),
      chatMessageReadEmit: ({ messageId }) => {
        const e = this.conv.get(messageId);
        if (e?.authorType === 'CLIENT') this.conv.setState(e, 'read');
        // The operator can read a message before our own POST has returned its id.
        else if (!e) this.readEarly.add(messageId);
      },
      operatorChangedEmit: (p: OperatorChangedPayload) => {
        this.showOperator(p.operatorName, p.avatar?.url ?? null);
        this.view.notice(T.joined(p.operatorName));
      },
      operatorStatusChangedEmit: (p) => this.view.notice(p.currentStatus === 'PAUSED' ? T.away(this.operator) : T.back(this.operator)),
      operatorLoggedOutEmit: () => this.view.notice(T.loggedOut(this.operator)),
      chatMessageEditedEmit: (m) => this.conv.get(m.id) && this.conv.upsert(m),
      sessionClosedEmit: (p) => mine(p.sessionId) && this.markClosed(sid, true),
    };
  }

  /** The session ended: the next message the visitor writes starts a new one. */
  private markClosed(sid: string, tell: boolean): void {
    if (sid !== this.session?.sessionId || this.closed) return;
    this.closed = true;
    this.live?.close();
    this.live = null;
    this.view.setStatus(null);
    this.view.setTyping(null);
    this.view.setAnswers([]);
    if (tell) this.view.notice(T.closed);
  }

  private typing(): void {
    const now = Date.now();
    // Operators only need to know the visitor is still typing, not every keystroke.
    if (now - this.lastTyping < 2000 || !this.live?.connected) return;
    this.lastTyping = now;
    this.live.typing();
  }

  private flushSeen(): void {
    for (const e of this.view.seenCandidates()) this.seen(e);
  }

  /** A bot or operator message is on screen; with the window open and the tab visible it counts as read. */
  private seen(e: Entry): void {
    if (this.view.isOpen && !document.hidden) this.receipts.mark(e);
  }
}
