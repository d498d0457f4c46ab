/**
 * History over REST: the newest page when a session is shown, everything after the last
 * message seen on each (re)connect, and older pages on demand. Loads run one after the
 * other, so a resync always starts from what the previous load added.
 */
import type { MessageDto } from '@parley/protocol';
import type { Api } from './api.js';
import type { Conversation } from './conversation.js';

/** What the history loader needs from the controller. */
export interface HistoryDeps {
  api: Api;
  conv: Conversation;
  /** The session on screen now; answers for any other are dropped. */
  current(): string | null;
  /** A message that arrived by resync: treated as if it came live. */
  receive(m: MessageDto): void;
  /** The newest page is shown; `more` tells whether older messages exist. */
  loaded(sessionId: string, more: boolean): void;
}

const PAGE = 50;

/** Serialised history loads of the current session. */
export class History {
  private chain: Promise<unknown> = Promise.resolve();

  constructor(private readonly d: HistoryDeps) {}

  /** Shows the newest messages of a session just adopted. */
  load(sid: string): void {
    this.queue(() => this.newest(sid));
  }

  /** Fetches what was missed while disconnected (`after` the last message seen, page by page). */
  resync(sid: string): void {
    this.queue(async () => {
      let after = this.d.conv.lastId(sid);
      if (!after) return this.newest(sid);
      for (;;) {
        const page = await this.d.api.history(sid, { after, limit: 200 });
        if (sid !== this.d.current()) return;
        for (const m of page.items) this.d.receive(m);
        if (!page.nextCursor) return;
        after = page.nextCursor;
      }
    });
  }

  /** Prepends the page before the oldest message shown; returns whether more exist. */
  async earlier(sid: string): Promise<boolean> {
    const before = this.d.conv.firstId(sid);
    if (!before) return false;
    const page = await this.d.api.history(sid, { before, limit: PAGE });
    if (sid !== this.d.current()) return false;
    for (const m of [...page.items].reverse()) this.d.conv.upsert(m, true);
    return page.count > this.d.conv.entries.filter((e) => e.sessionId === sid && e.id).length;
  }

  private async newest(sid: string): Promise<void> {
    const page = await this.d.api.history(sid, { limit: PAGE });
    if (sid !== this.d.current()) return;
    for (const m of page.items) this.d.conv.upsert(m);
    this.d.loaded(sid, page.count > page.items.length);
  }

  private queue(job: () => Promise<void>): void {
    // A failed load must not block the next one; the next reconnect resyncs anyway.
    this.chain = this.chain.then(job).catch(() => undefined);
  }
}
