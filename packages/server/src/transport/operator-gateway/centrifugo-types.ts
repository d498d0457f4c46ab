/**
 * Public contract of the embedded Centrifugo-protocol endpoint (client protocol v2, JSON).
 *
 * The endpoint is generic: it knows users, channels and opaque JSON payloads, nothing
 * about chats. Everything application-specific is decided by the hooks.
 */
import type { Logger } from 'pino';

/** What a client presented in its `connect` (or `refresh`) command. */
export interface ConnectContext {
  /** `connect.token`, or `refresh.token` for a refresh. */
  token: string | undefined;
  /** `connect.data` as sent (e.g. TWIN style `{application, settings: {token}}`); undefined for a refresh. */
  data: unknown;
  name?: string;
  version?: string;
  /** Headers of the HTTP upgrade request (lower-case names, repeated headers joined by ", "). */
  headers: Record<string, string>;
  /** True when called for a `refresh` command of a connected client. */
  refresh?: boolean;
}

/** The verdict of {@link CentrifugoHooks.authenticate}. */
export type AuthResult =
  | {
    ok: true;
    user: string;
    /** Server-side subscriptions of the connection (ignored on refresh). */
    channels: string[];
    /** Connection expiry in ms since the epoch; omit for none. */
    expiresAt?: number;
    /** Sent to the client as ConnectResult.data (ignored on refresh). */
    data?: unknown;
  }
  | {
    ok: false;
    /** Reply error code, e.g. 101 unauthorized (terminal) or 109 token expired (client refreshes). */
    code: number;
    message: string;
  };

/** A connected (authenticated) connection, as shown to hooks. */
export interface ConnectionInfo {
  /** The client id sent in the connect reply (a UUID). */
  readonly id: string;
  readonly user: string;
  /** When the connect command succeeded, ms since the epoch. */
  readonly connectedAt: number;
}

/** Application callbacks. Commands of one connection are handled one at a time, in order. */
export interface CentrifugoHooks {
  /** Decides a connect or a refresh. A throw counts as a temporary internal error (100). */
  authenticate(ctx: ConnectContext): Promise<AuthResult>;
  /** RPC from a client: return data for `{rpc:{data}}`, or throw a CentrifugoError. */
  rpc(conn: ConnectionInfo, method: string, data: unknown): Promise<unknown>;
  /**
   * Client publication into a channel: return to accept, or throw a CentrifugoError
   * (e.g. 103). The endpoint never broadcasts client publications itself; the hook may
   * call {@link CentrifugoServer.publish}.
   */
  publish(conn: ConnectionInfo, channel: string, data: unknown): Promise<void>;
  /** Client-side subscribe request: true allows it, false answers 103 permission denied. */
  canSubscribe(conn: ConnectionInfo, channel: string): Promise<boolean>;
  /** After the connect reply was queued. Must not throw (a throw is logged). */
  onConnect?(conn: ConnectionInfo): void;
  /** Once per connection that had connected, when it is gone. Must not throw. */
  onDisconnect?(conn: ConnectionInfo): void;
}

/** An error a hook throws to answer a command with `{error:{code,message,temporary}}`. */
export class CentrifugoError extends Error {
  constructor(readonly code: number, message: string, readonly temporary = false) {
    super(message);
    this.name = 'CentrifugoError';
  }
}

/** Options of {@link createCentrifugoServer}. */
export interface CentrifugoOptions {
  /** URL path of the WebSocket endpoint, e.g. `/connection/websocket`. */
  path: string;
  hooks: CentrifugoHooks;
  /** Publications kept per channel for recovery and history (default 1000). */
  historySize?: number;
  /** How long a publication stays in history, and an idle unsubscribed stream is kept (default 10 min). */
  historyTtlMs?: number;
  /** Server ping period; 0 disables pings (default 25000). */
  pingIntervalMs?: number;
  /** Close 3012 when no pong comes within this after a ping; 0 disables the check (default 10000). */
  pongTimeoutMs?: number;
  /** Largest incoming frame; bigger frames close the socket with 1009 (default 65536). */
  maxFrameBytes?: number;
  /** Close 3502 when no successful connect within this (default 10000). */
  staleMs?: number;
  /** Time after `expiresAt` a connection gets to send `refresh` before 3005 (default 25000). */
  expiryGraceMs?: number;
  log: Logger;
}

/** The running endpoint. */
export interface CentrifugoServer {
  /**
   * Publishes to a channel: assigns the next offset, stores the publication in the
   * channel's bounded history and pushes it to every subscribed connection.
   * Throws if `data` cannot be serialised to JSON.
   *
   * `transient`: pushed to the current subscribers only, without an offset, never stored
   * (not recoverable; e.g. typing indicators); the result is then the unchanged stream position.
   * `onlyClientIds`: pushed only to those subscribed connections; implies `transient`, since a
   * stored publication would reach the others through recovery and history.
   */
  publish(channel: string, data: unknown, opts?: { transient?: boolean; onlyClientIds?: readonly string[] }): { offset: number; epoch: string };
  /**
   * Closes every connection of a user with a WebSocket close code and a short reason
   * (ASCII, cut to 32 bytes), optionally sparing one connection id. Queued frames go first.
   */
  disconnectUser(user: string, code: number, reason: string, exceptClientId?: string): void;
  /** Closes one connection by client id, like disconnectUser; false when there is none. */
  disconnectClient(clientId: string, code: number, reason: string): boolean;
  /** Connected connections of a user. */
  connectionsOf(user: string): ConnectionInfo[];
  /** Stops accepting, closes every connection with 3001 and resolves once they are gone. */
  close(): Promise<void>;
}

/** Reply error codes (client protocol `Error.code`). */
export const ReplyCode = {
  internal: 100,
  unauthorized: 101,
  permissionDenied: 103,
  methodNotFound: 104,
  alreadySubscribed: 105,
  limitExceeded: 106,
  badRequest: 107,
  tokenExpired: 109,
  unrecoverablePosition: 112,
} as const;

/** WebSocket close codes used by the endpoint. 3000-3499 reconnect, 3500-3999 are terminal. */
export const CloseCode = {
  messageTooBig: 1009,
  shutdown: 3001,
  internal: 3004,
  connectionExpired: 3005,
  slow: 3008,
  noPong: 3012,
  tooManyRequests: 3013,
  invalidToken: 3500,
  badRequest: 3501,
  stale: 3502,
} as const;
