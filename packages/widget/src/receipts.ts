/**
 * Read receipts for bot and operator messages: sent once per message, over the socket
 * when it is up (acknowledged), else over REST.
 */
import { type Api, ApiError } from './api.js';
import type { Conversation, Entry } from './conversation.js';
import type { Live } from './live.js';

/** Marks messages read on the server, each at most once per page view. */
export class Receipts {
  private readonly sent = new Set<string>();

  constructor(private readonly api: Api, private readonly conv: Conversation, private readonly live: () => Live | null) {}

  /** Reports `e` read unless it is the client's own, unsent, or already read. */
  mark(e: Entry): void {
    const id = e.id;
    if (!id || e.authorType === 'CLIENT' || e.state === 'read' || this.sent.has(id)) return;
    this.sent.add(id);
    void this.send(id).then((ok) => {
      if (ok) this.conv.setState(e, 'read');
      // Try again the next time it is seen.
      else this.sent.delete(id);
    });
  }

  private async send(id: string): Promise<boolean> {
    const live = this.live();
    const viaSocket = live ? await live.markRead(id) : 'unsent';
    // 'refused' (say, the message is gone) will not get better over REST.
    if (viaSocket !== 'unsent') return true;
    return this.api.markRead(id).then(
      () => true,
      (err: unknown) => err instanceof ApiError && !err.transient,
    );
  }
}
