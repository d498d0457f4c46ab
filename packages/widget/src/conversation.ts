/**
 * The messages on screen, in order, de-duplicated by server id. The same message may
 * reach the widget several times (start response, history, socket, resync, another tab):
 * every path goes through `upsert`, so it is shown once.
 */
import type { Answer, AuthorType, FileObject, HistoryMessageDto, MessageDto } from '@parley/protocol';

/** Delivery state of a client message; bot and operator messages are `received`, then `read` by us. */
export type EntryState = 'pending' | 'failed' | 'sent' | 'read' | 'received';

/** One message as the widget shows it. */
export interface Entry {
  /** Server id; null while the client's own message is not yet acknowledged. */
  id: string | null;
  sessionId: string;
  authorType: AuthorType;
  authorName: string;
  body: string;
  answers: Answer[];
  attachments: FileObject[];
  avatarUrl: string | null;
  createdAt: string;
  state: EntryState;
  edited: boolean;
  /** Idempotency-Key of a client message, kept for retries. */
  idemKey: string | null;
}

/** What changed, for the view to render. */
export type ChangeKind = 'add' | 'prepend' | 'update' | 'remove';

type Incoming = MessageDto | HistoryMessageDto;
const isHistory = (m: Incoming): m is HistoryMessageDto => 'readAt' in m;

/** Ordered, de-duplicated message list that reports each change to `onChange`. */
export class Conversation {
  readonly entries: Entry[] = [];
  private readonly byId = new Map<string, Entry>();

  constructor(private readonly onChange: (entry: Entry, kind: ChangeKind) => void) {}

  /** Adds the message, or refreshes the copy already shown. Returns it when it is new. */
  upsert(m: Incoming, prepend = false): Entry | null {
    const known = this.byId.get(m.id);
    if (known) {
      let changed = known.body !== m.body;
      known.body = m.body;
      if (isHistory(m)) {
        if (m.updatedAt && !known.edited) changed = known.edited = true;
        if (m.readAt && (known.state === 'sent' || known.state === 'received')) {
          known.state = 'read';
          changed = true;
        }
      }
      if (changed) this.onChange(known, 'update');
      return null;
    }
    const entry: Entry = {
      id: m.id, sessionId: m.sessionId, authorType: m.authorType, authorName: m.authorName, body: m.body,
      answers: m.answers, attachments: m.attachments, avatarUrl: m.avatar?.url ?? null, createdAt: m.createdAt,
      state: isHistory(m) && m.readAt ? 'read' : m.authorType === 'CLIENT' ? 'sent' : 'received',
      edited: isHistory(m) && m.updatedAt !== null, idemKey: null,
    };
    this.byId.set(m.id, entry);
    if (prepend) this.entries.unshift(entry);
    else this.entries.push(entry);
    this.onChange(entry, prepend ? 'prepend' : 'add');
    return entry;
  }

  /** Shows the client's own message at once, before the server has it. */
  addPending(sessionId: string, body: string, idemKey: string): Entry {
    const entry: Entry = {
      id: null, sessionId, authorType: 'CLIENT', authorName: '', body, answers: [], attachments: [],
      avatarUrl: null, createdAt: new Date().toISOString(), state: 'pending', edited: false, idemKey,
    };
    this.entries.push(entry);
    this.onChange(entry, 'add');
    return entry;
  }

  /** The server acknowledged a pending message. If it already arrived another way, keep one copy. */
  confirm(entry: Entry, id: string, createdAt: string): void {
    const twin = this.byId.get(id);
    if (twin && twin !== entry) {
      this.entries.splice(this.entries.indexOf(entry), 1);
      this.onChange(entry, 'remove');
      return;
    }
    entry.id = id;
    entry.createdAt = createdAt;
    if (entry.state !== 'read') entry.state = 'sent';
    this.byId.set(id, entry);
    this.onChange(entry, 'update');
  }

  /** Sets a state (pending/failed/read) and reports it. */
  setState(entry: Entry, state: EntryState): void {
    if (entry.state === state) return;
    entry.state = state;
    this.onChange(entry, 'update');
  }

  get(id: string): Entry | undefined {
    return this.byId.get(id);
  }

  /** The last acknowledged message of the session: the `after` cursor of a resync. */
  lastId(sessionId: string): string | null {
    for (let i = this.entries.length - 1; i >= 0; i--) {
      const e = this.entries[i]!;
      if (e.id && e.sessionId === sessionId) return e.id;
    }
    return null;
  }

  /** The oldest message of the session: the `before` cursor for earlier history. */
  firstId(sessionId: string): string | null {
    return this.entries.find((e) => e.id && e.sessionId === sessionId)?.id ?? null;
  }

  /** The buttons to offer: those of the last message, when it is the bot's. */
  currentAnswers(): Answer[] {
    const last = this.entries[this.entries.length - 1];
    return last && last.authorType === 'BOT' ? last.answers : [];
  }
}
