/// <reference lib="dom" />
/**
 * The session's Socket.IO connection (`/operator/socket.io?key=<sessionId>`), kept up
 * through network loss. socket.io retries transport failures itself; two cases it does
 * not retry are handled here: a server-side disconnect and a refused namespace connect.
 */
import { io, type Socket } from 'socket.io-client';
import type { ErrorBody, WidgetAck, WidgetServerToClientEvents } from '@parley/protocol';

// The protocol's client events as this widget uses them: it always asks for the read ack.
interface ClientEvents {
  typing: (payload: Record<string, never>) => void;
  messageRead: (payload: { messageId: string }, ack: (result: WidgetAck) => void) => void;
}
type WidgetSocket = Socket<WidgetServerToClientEvents, ClientEvents>;

/** Hooks of the connection's life. */
export interface LiveHooks {
  /** Every (re)connection, the first included. */
  onUp(): void;
  onDown(): void;
  /** The server refused the key for good (SESSION_CLOSED, SESSION_NOT_FOUND). */
  onRefused(code: string): void;
}

/** Outcome of a read receipt sent over the socket. */
export type ReadResult = 'ok' | 'refused' | 'unsent';

const FATAL = ['SESSION_CLOSED', 'SESSION_NOT_FOUND', 'SESSION_KEY_MISSING'];

/** One session's live connection. */
export class Live {
  private readonly socket: WidgetSocket;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  private retries = 0;
  private upSince = 0;
  private stopped = false;

  constructor(base: string, sessionId: string, events: WidgetServerToClientEvents, private readonly hooks: LiveHooks) {
    // WebSocket first: no sticky sessions needed behind a load balancer, and no half-open
    // polling requests; long-polling remains the fallback where WebSockets are blocked.
    this.socket = io(base, {
      path: '/operator/socket.io', query: { key: sessionId }, transports: ['websocket', 'polling'], tryAllTransports: true, reconnectionDelayMax: 5000,
    });
    const s = this.socket;
    s.on('chatMessageCreatedEmit', events.chatMessageCreatedEmit);
    s.on('showTypingIndicatorEmit', events.showTypingIndicatorEmit);
    s.on('chatMessageReadEmit', events.chatMessageReadEmit);
    s.on('operatorChangedEmit', events.operatorChangedEmit);
    s.on('operatorStatusChangedEmit', events.operatorStatusChangedEmit);
    s.on('operatorLoggedOutEmit', events.operatorLoggedOutEmit);
    s.on('chatMessageEditedEmit', events.chatMessageEditedEmit);
    s.on('sessionClosedEmit', events.sessionClosedEmit);
    s.on('connect', () => {
      this.upSince = Date.now();
      hooks.onUp();
    });
    s.on('disconnect', (reason) => {
      hooks.onDown();
      // A server-side disconnect is final for socket.io; the session may still be open
      // (the server restarted a node, an admin kicked sockets): try again, the handshake
      // will tell if the session has closed meanwhile.
      if (reason === 'io server disconnect') this.retryLater();
    });
    s.on('connect_error', (err: Error & { data?: ErrorBody }) => {
      const code = err.data?.code;
      if (code && FATAL.includes(code)) {
        this.close();
        hooks.onRefused(code);
        return;
      }
      hooks.onDown();
      // A refusal by the namespace middleware (e.g. UNAVAILABLE) is not retried by socket.io.
      if (!s.active) this.retryLater();
    });
    window.addEventListener('offline', this.offline);
    window.addEventListener('online', this.online);
  }

  /** The browser knows the network is gone: say so now rather than after a ping timeout. */
  private readonly offline = () => {
    if (this.stopped) return;
    this.socket.disconnect();
    this.hooks.onDown();
    // 'online' normally brings it back at once; this covers browsers that never send it.
    this.retryLater();
  };

  private readonly online = () => {
    if (this.stopped || this.socket.connected) return;
    clearTimeout(this.retryTimer);
    this.socket.connect();
  };

  private retryLater(): void {
    if (this.stopped) return;
    // Back off unless the previous connection lasted: a server that keeps refusing us
    // must not see a tight reconnect loop.
    if (Date.now() - this.upSince > 30_000) this.retries = 0;
    const delay = Math.min(1000 * 2 ** this.retries++, 30_000) * (0.75 + Math.random() / 2);
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => {
      if (!this.stopped && !this.socket.connected) this.socket.connect();
    }, delay);
  }

  get connected(): boolean {
    return this.socket.connected;
  }

  /** Tells operators the client is typing. */
  typing(): void {
    if (this.socket.connected) this.socket.emit('typing', {});
  }

  /** Sends a read receipt and waits for the server's acknowledgement. */
  markRead(messageId: string): Promise<ReadResult> {
    if (!this.socket.connected) return Promise.resolve('unsent');
    return new Promise((resolve) => {
      this.socket.timeout(5000).emit('messageRead', { messageId }, (err: Error | null, ack: WidgetAck | undefined) => {
        resolve(err || !ack ? 'unsent' : ack.ok ? 'ok' : 'refused');
      });
    });
  }

  /** Ends the connection for good (the session closed, or another one replaced it). */
  close(): void {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    window.removeEventListener('offline', this.offline);
    window.removeEventListener('online', this.online);
    this.socket.disconnect();
  }
}
