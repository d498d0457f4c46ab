/**
 * Embedded endpoint speaking the Centrifugo client protocol v2 (JSON over WebSocket), so
 * that the official `centrifuge` client SDKs connect to Parley directly.
 *
 * It shares the HTTP server with Socket.IO: only upgrade requests for `opts.path` are
 * taken; every other upgrade is left to the other listeners untouched.
 * State (connections, channel streams) lives in this process only; see
 * docs/OPERATOR-CHANNEL.md for what that means for recovery across restarts.
 */
import type { IncomingMessage, Server as HttpServer } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { ChannelRegistry } from './centrifugo-channels.js';
import { MAX_CHANNEL_LENGTH } from './centrifugo-codec.js';
import { handleCommand, type GatewayContext } from './centrifugo-commands.js';
import { Connection, type ConnectionDeps } from './centrifugo-connection.js';
import { CloseCode, type CentrifugoOptions, type CentrifugoServer, type ConnectionInfo } from './centrifugo-types.js';

export * from './centrifugo-types.js';

/** How long close() waits for clients to answer the closing handshake before cutting them off. */
const SHUTDOWN_WAIT_MS = 2000;

function pathOf(req: IncomingMessage): string | undefined {
  try {
    return new URL(req.url ?? '/', 'http://localhost').pathname;
  } catch {
    return undefined;
  }
}

function headersOf(req: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value !== undefined) out[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}

/**
 * Only application-level codes: the client reads 3000-3499/4000-4499 as "reconnect" and
 * 3500-3999/4500-4999 as "stop"; anything else would be a transport code.
 */
function checkCloseCode(code: number): void {
  if (!Number.isInteger(code) || code < 3000 || code > 4999) throw new RangeError(`close code ${code} is not in 3000-4999`);
}

function waitClosed(ws: WebSocket, ms: number): Promise<void> {
  if (ws.readyState === ws.CLOSED) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      ws.terminate();
      resolve();
    }, ms);
    ws.once('close', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/** Attaches the endpoint to an HTTP server. */
export function createCentrifugoServer(httpServer: HttpServer, opts: CentrifugoOptions): CentrifugoServer {
  const log = opts.log.child({ component: 'centrifugo' });
  const historyTtlMs = opts.historyTtlMs ?? 10 * 60_000;
  const channels = new ChannelRegistry(opts.historySize ?? 1000, historyTtlMs);
  const users = new Map<string, Set<Connection>>();
  const sockets = new Set<WebSocket>();
  const connections = new Map<string, Connection>();
  let closing = false;

  const ctx: GatewayContext = {
    hooks: opts.hooks,
    channels,
    log,
    pingIntervalMs: opts.pingIntervalMs ?? 25_000,
    register(conn) {
      const user = conn.info?.user;
      if (user === undefined) return;
      let set = users.get(user);
      if (!set) users.set(user, (set = new Set()));
      set.add(conn);
    },
  };

  const deps: ConnectionDeps = {
    log,
    pingIntervalMs: ctx.pingIntervalMs,
    pongTimeoutMs: opts.pongTimeoutMs ?? 10_000,
    staleMs: opts.staleMs ?? 10_000,
    expiryGraceMs: opts.expiryGraceMs ?? 25_000,
    handle: (conn, cmd) => handleCommand(ctx, conn, cmd),
    closed(conn) {
      connections.delete(conn.id);
      for (const channel of conn.subs.keys()) channels.leave(channel, conn);
      conn.subs.clear();
      const info = conn.info;
      if (!info) return;
      const set = users.get(info.user);
      set?.delete(conn);
      if (set?.size === 0) users.delete(info.user);
      try {
        opts.hooks.onDisconnect?.(info);
      } catch (err) {
        log.error({ err, client: info.id }, 'centrifugo onDisconnect hook failed');
      }
    },
  };

  const wss = new WebSocketServer({ noServer: true, maxPayload: opts.maxFrameBytes ?? 65_536, perMessageDeflate: false });

  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    // Other paths belong to other listeners (Socket.IO registers its own on this server).
    if (pathOf(req) !== opts.path) return;
    if (closing) {
      socket.destroy();
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      sockets.add(ws);
      ws.once('close', () => sockets.delete(ws));
      if (closing) {
        ws.close(CloseCode.shutdown, 'shutdown');
        return;
      }
      const conn = new Connection(ws, headersOf(req), deps);
      connections.set(conn.id, conn);
    });
  };
  httpServer.on('upgrade', onUpgrade);

  // Expired publications and idle streams are dropped in the background, so memory stays
  // bounded by the channels in use even when nobody reads history.
  const sweeper = setInterval(() => channels.sweep(), Math.max(1000, Math.min(historyTtlMs, 60_000)));
  sweeper.unref();

  const connectionsOfUser = (user: string) => [...(users.get(user) ?? [])];

  return {
    publish(channel, data, publishOpts) {
      if (typeof channel !== 'string' || channel.length === 0 || channel.length > MAX_CHANNEL_LENGTH) {
        throw new TypeError(`invalid channel name: ${String(channel)}`);
      }
      return channels.publish(channel, data, publishOpts);
    },

    disconnectUser(user, code, reason, exceptClientId) {
      checkCloseCode(code);
      for (const conn of connectionsOfUser(user)) {
        if (conn.id !== exceptClientId) conn.close(code, reason);
      }
    },

    disconnectClient(clientId, code, reason) {
      checkCloseCode(code);
      const conn = connections.get(clientId);
      conn?.close(code, reason);
      return conn !== undefined;
    },

    connectionsOf(user): ConnectionInfo[] {
      return connectionsOfUser(user).flatMap((c) => (c.info ? [c.info] : []));
    },

    async close() {
      if (closing) return;
      closing = true;
      httpServer.off('upgrade', onUpgrade);
      clearInterval(sweeper);
      const pending = [...sockets];
      for (const conn of [...connections.values()]) conn.close(CloseCode.shutdown, 'shutdown');
      await Promise.all(pending.map((ws) => waitClosed(ws, SHUTDOWN_WAIT_MS)));
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
}
