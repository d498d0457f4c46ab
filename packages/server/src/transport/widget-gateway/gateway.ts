/**
 * The client real-time channel: Socket.IO at /operator/socket.io?key=<sessionId>,
 * Engine.IO v3 (python-socketio 4.x, socket.io-client 2.x) and v4 clients alike.
 *
 * The session key is looked up in `allowRequest`, during the Engine.IO handshake and
 * before the namespace connects; the namespace middleware then decides synchronously.
 * An EIO3 client may emit right after the handshake, before its implicit namespace
 * connect completes: an asynchronous middleware would make socket.io drop that client.
 */
import type { IncomingMessage, Server as HttpServer } from 'node:http';
import { Server, type Socket } from 'socket.io';
import {
  ErrorCode, WIDGET_SOCKET_PATH, WidgetClientEvent, type ErrorBody, type WidgetAck,
  type WidgetClientToServerEvents, type WidgetServerToClientEvents,
} from '@parley/protocol';
import type { AppContext } from '../../context.js';
import { AppError } from '../../domain/errors.js';
import { findSession } from '../../persistence/repos/sessions.js';
import { clientTyping, markReadByClient, setClientPresence } from '../../commands/clientActions.js';
import type { SessionRow } from '../../persistence/schema.js';

export type WidgetServer = Server<WidgetClientToServerEvents, WidgetServerToClientEvents>;
type WidgetSocket = Socket<WidgetClientToServerEvents, WidgetServerToClientEvents, Record<string, never>, { session: SessionRow }>;

/** Socket.IO room of one session's client connections. */
export const sessionRoom = (sessionId: string) => `session:${sessionId}`;

const TYPING_MIN_INTERVAL_MS = 500;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

type KeyCheck = { ok: true; session: SessionRow } | { ok: false; error: ErrorBody };

async function checkKey(ctx: AppContext, req: IncomingMessage): Promise<KeyCheck> {
  const raw = new URL(req.url ?? '/', 'http://x').searchParams.get('key');
  if (!raw) return { ok: false, error: { code: ErrorCode.SESSION_KEY_MISSING, message: 'connect with ?key=<sessionId>' } };
  if (!UUID.test(raw)) return { ok: false, error: { code: ErrorCode.SESSION_NOT_FOUND, message: 'session not found' } };
  const key = raw.toLowerCase();
  const session = await findSession(ctx.db.kysely, key);
  if (!session) return { ok: false, error: { code: ErrorCode.SESSION_NOT_FOUND, message: `session ${key} not found` } };
  if (session.status !== 'OPEN') return { ok: false, error: { code: ErrorCode.SESSION_CLOSED, message: `session ${key} is closed` } };
  return { ok: true, session };
}

function toErrorBody(err: unknown): ErrorBody {
  if (err instanceof AppError) return { code: err.code, message: err.message };
  return { code: ErrorCode.INTERNAL, message: 'internal error' };
}

export function createWidgetGateway(httpServer: HttpServer, ctx: AppContext): WidgetServer {
  const checks = new WeakMap<IncomingMessage, KeyCheck>();
  const connections = new Map<string, number>();
  // Presence changes of one session are written in order (online before offline).
  const presenceChain = new Map<string, Promise<void>>();
  const presence = (session: SessionRow, online: boolean) => {
    const next = (presenceChain.get(session.id) ?? Promise.resolve())
      .then(() => setClientPresence(ctx, session, online))
      .catch((err: unknown) => ctx.log.error({ err }, 'presence update failed'));
    presenceChain.set(session.id, next);
    void next.finally(() => {
      if (presenceChain.get(session.id) === next) presenceChain.delete(session.id);
    });
  };

  const io: WidgetServer = new Server(httpServer, {
    path: WIDGET_SOCKET_PATH,
    allowEIO3: true,
    serveClient: false,
    maxHttpBufferSize: 64 * 1024,
    cors: { origin: ctx.config.corsOrigins, credentials: true },
    allowRequest: (req, callback) => {
      checkKey(ctx, req).then(
        (result) => {
          checks.set(req, result);
          callback(null, true);
        },
        (err: unknown) => {
          ctx.log.error({ err }, 'session key lookup failed');
          checks.set(req, { ok: false, error: { code: ErrorCode.UNAVAILABLE, message: 'try again later' } });
          callback(null, true);
        },
      );
    },
  });

  io.use((socket, next) => {
    const check = checks.get(socket.request) ?? { ok: false, error: { code: ErrorCode.SESSION_KEY_MISSING, message: 'connect with ?key=<sessionId>' } };
    if (check.ok) {
      (socket as WidgetSocket).data.session = check.session;
      next();
      return;
    }
    const err = new Error(check.error.message) as Error & { data: ErrorBody };
    err.data = check.error;
    next(err);
  });

  io.on('connection', (raw) => {
    const socket = raw as WidgetSocket;
    const session = socket.data.session;
    void socket.join(sessionRoom(session.id));
    const count = (connections.get(session.id) ?? 0) + 1;
    connections.set(session.id, count);
    if (count === 1) presence(session, true);

    let lastTyping = 0;
    socket.on(WidgetClientEvent.typing, (...args: unknown[]) => {
      const ack = args.find((a): a is (r: WidgetAck) => void => typeof a === 'function');
      const now = Date.now();
      if (now - lastTyping >= TYPING_MIN_INTERVAL_MS) {
        lastTyping = now;
        clientTyping(ctx, session);
      }
      ack?.({ ok: true });
    });

    socket.on(WidgetClientEvent.messageRead, (...args: unknown[]) => {
      const reply = args.find((a): a is (r: WidgetAck) => void => typeof a === 'function');
      const payload = args[0];
      const messageId = typeof payload === 'object' && payload !== null ? (payload as { messageId?: unknown }).messageId : undefined;
      if (typeof messageId !== 'string' || !UUID.test(messageId)) {
        reply?.({ ok: false, error: { code: ErrorCode.INVALID_EVENT, message: 'messageRead needs {messageId: string}' } });
        return;
      }
      markReadByClient(ctx, messageId.toLowerCase(), session.id).then(
        () => reply?.({ ok: true }),
        (err: unknown) => {
          if (!(err instanceof AppError)) ctx.log.error({ err }, 'messageRead failed');
          reply?.({ ok: false, error: toErrorBody(err) });
        },
      );
    });

    socket.on('disconnect', () => {
      const left = (connections.get(session.id) ?? 1) - 1;
      if (left > 0) {
        connections.set(session.id, left);
        return;
      }
      connections.delete(session.id);
      presence(session, false);
    });
  });
  return io;
}
