/// <reference lib="dom" />
/**
 * The visitor's other tabs on the same site. They share the session through
 * localStorage; this channel tells them at once about a new session or a message sent
 * here (the server does not echo a client's own messages over the socket).
 */
import type { MessageDto } from '@parley/protocol';
import type { StoredIds } from './storage.js';

type TabMessage = { t: 's'; ids: StoredIds } | { t: 'm'; m: MessageDto };

/** A BroadcastChannel per chat id; a no-op where BroadcastChannel does not exist. */
export class Tabs {
  private readonly channel: BroadcastChannel | null;

  constructor(chatId: string, onSession: (ids: StoredIds) => void, onMessage: (m: MessageDto) => void) {
    this.channel = typeof BroadcastChannel === 'function' ? new BroadcastChannel('parley:' + chatId) : null;
    if (this.channel) this.channel.onmessage = (ev: MessageEvent<TabMessage>) => {
      if (ev.data.t === 's') onSession(ev.data.ids);
      else onMessage(ev.data.m);
    };
  }

  /** This tab started (or moved to) a session. */
  session(ids: StoredIds): void {
    this.channel?.postMessage({ t: 's', ids } satisfies TabMessage);
  }

  /** This tab's visitor sent a message that the server has stored. */
  message(m: MessageDto): void {
    this.channel?.postMessage({ t: 'm', m } satisfies TabMessage);
  }
}
