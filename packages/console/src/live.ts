/**
 * The operator live channel, through the official `centrifuge` SDK connected the way TWIN's
 * seed shows (token in the connect data). Turns the SDK's events into what the console needs:
 * typed publications, a connection state for the banner, "resynchronise now" after any
 * reconnect or failed recovery, and the terminal closes that end the console session.
 */
import { Centrifuge } from 'centrifuge';
import type { OperatorPublication } from '@parley/protocol';

/** Connection state as the banner shows it. */
export type LiveState = 'connecting' | 'connected' | 'disconnected';

/** Terminal close codes of the operator channel (the SDK does not reconnect after them). */
export const TerminalCode = { blocked: 4503, replaced: 4504, loggedOut: 4505 } as const;

/** Callbacks of a live connection. */
export interface LiveHandlers {
  publication(pub: OperatorPublication): void;
  state(state: LiveState, code: number, reason: string): void;
  /** State may have been missed: reload it over REST. */
  resync(why: 'reconnect' | 'recovery-failed'): void;
  /** The connection ended and will not come back by itself (not called after `stop()`). */
  terminated(code: number, reason: string): void;
}

/** Every event name of the channel; a Record so that a new event in the protocol fails the typecheck here. */
const KNOWN_EVENTS: Record<OperatorPublication['event'], true> = {
  chatSessionStarted: true, operatorNotFound: true, chatSessionAdded: true, chatMessageCreated: true, chatMessageEdited: true,
  chatMessageRead: true, chatSessionDeleted: true, chatSessionSwitchedFromBotToOperator: true, sessionClosedByClient: true,
  operatorBlocked: true, chatUserExists: true, typing: true, operatorLoggedOut: true, clientOnline: true, clientOffline: true,
};

/** Narrows SDK publication data (typed `any` by the SDK) to a known operator event. */
export function asPublication(data: unknown): OperatorPublication | null {
  if (typeof data !== 'object' || data === null) return null;
  const { event, data: payload } = data as { event?: unknown; data?: unknown };
  if (typeof event !== 'string' || !Object.hasOwn(KNOWN_EVENTS, event)) return null;
  if (typeof payload !== 'object' || payload === null) return null;
  return data as OperatorPublication;
}

/** At most one typing notice per session per this interval (the client shows it for a few seconds). */
export const TYPING_INTERVAL_MS = 2000;

/** One live connection of the console. */
export class LiveConnection {
  private readonly centrifuge: Centrifuge;
  private everConnected = false;
  /** Resync asked for on the current connection already (reconnect and failed recovery coincide). */
  private resyncedThisConnection = false;
  private stopped = false;
  private readonly lastTyping = new Map<string, number>();

  /** `url`: `${ws|wss}://${window.location.host}/centrifugo/connection/websocket`. */
  /**
   * `getToken`: a fresh token when the server answers 109 (expired), e.g. after the laptop
   * slept past the token's lifetime; without it the SDK would give up for good.
   */
  constructor(url: string, token: string, private readonly on: LiveHandlers, getToken?: () => Promise<string>) {
    this.centrifuge = new Centrifuge(url, { data: { application: 'notifications', settings: { token } }, ...(getToken ? { getToken } : {}) });
    const c = this.centrifuge;
    c.on('connecting', (ctx) => on.state('connecting', ctx.code, ctx.reason));
    c.on('connected', () => {
      on.state('connected', 0, '');
      this.resyncedThisConnection = false;
      // Anything published while we were away and not recovered must be reloaded.
      if (this.everConnected) this.askResync('reconnect');
      this.everConnected = true;
    });
    c.on('subscribed', (ctx) => {
      if (ctx.wasRecovering && !ctx.recovered) this.askResync('recovery-failed');
    });
    c.on('disconnected', (ctx) => {
      on.state('disconnected', ctx.code, ctx.reason);
      if (!this.stopped) on.terminated(ctx.code, ctx.reason);
    });
    c.on('publication', (p) => {
      const pub = asPublication(p.data);
      if (pub) on.publication(pub);
    });
  }

  start(): void {
    this.stopped = false;
    this.centrifuge.connect();
  }

  /** Closes the connection on purpose (sign-out, end screens). */
  stop(): void {
    this.stopped = true;
    this.centrifuge.disconnect();
  }

  /** The next connect uses this token (after a refresh); the open connection does not expire. */
  setToken(token: string): void {
    this.centrifuge.setData({ application: 'notifications', settings: { token } });
  }

  /** Tells the client the operator is typing; throttled, and best effort (a lost notice is harmless). */
  typing(sessionId: string, now = Date.now()): boolean {
    const last = this.lastTyping.get(sessionId) ?? 0;
    if (now - last < TYPING_INTERVAL_MS || this.centrifuge.state !== 'connected') return false;
    this.lastTyping.set(sessionId, now);
    this.centrifuge.rpc('typing', { sessionId }).catch(() => { /* best effort */ });
    return true;
  }

  private askResync(why: 'reconnect' | 'recovery-failed'): void {
    if (this.resyncedThisConnection) return;
    this.resyncedThisConnection = true;
    this.on.resync(why);
  }
}
