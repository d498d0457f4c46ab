/**
 * The operator live channel: the embedded Centrifugo-protocol endpoint with Parley's
 * rules — operator JWT auth (TWIN's `data.settings.token` or the protocol's `token`),
 * one personal server-side channel per operator, `typing` by RPC or publish, one
 * console per operator (the older one is told `chatUserExists` and closed), and
 * the presence that routing needs.
 */
import type { Server as HttpServer } from 'node:http';
import { ErrorCode, OperatorEvent, operatorChannel, type OperatorPublication } from '@parley/protocol';
import type { AppContext } from '../../context.js';
import { actorFromToken } from '../../auth/actor.js';
import type { TokenService } from '../../auth/tokens.js';
import { AppError } from '../../domain/errors.js';
import { operatorTyping } from '../../commands/operatorSessions.js';
import { findOperator } from '../../persistence/repos/operators.js';
import { CentrifugoError, createCentrifugoServer, type AuthResult, type CentrifugoServer, type ConnectContext } from '../operator-gateway/centrifugo-server.js';
import { CloseCode, type OperatorPublisher } from './fanout.js';

export const OPERATOR_SOCKET_PATH = '/centrifugo/connection/websocket';

export interface OperatorLive extends OperatorPublisher {
  /** Operators with at least one live connection. */
  online(): number[];
  onlineSet(): ReadonlySet<number>;
  close(): Promise<void>;
}

function tokenOf(c: ConnectContext): string | undefined {
  if (c.token) return c.token;
  const settings = (c.data as { settings?: { token?: unknown } } | null | undefined)?.settings;
  return typeof settings?.token === 'string' ? settings.token : undefined;
}

function typingSession(data: unknown): string | null {
  if (typeof data !== 'object' || data === null) return null;
  const d = data as { sessionId?: unknown; event?: unknown; data?: { sessionId?: unknown } };
  const id = d.sessionId ?? d.data?.sessionId;
  return typeof id === 'string' && id.length <= 64 ? id : null;
}

function toCentrifugoError(err: unknown): CentrifugoError {
  if (err instanceof AppError) {
    const code = err.code === ErrorCode.FORBIDDEN ? 103 : err.code === ErrorCode.SESSION_NOT_FOUND ? 102 : 400;
    return new CentrifugoError(code, err.message);
  }
  throw err;
}

export function createOperatorLive(
  httpServer: HttpServer,
  ctx: AppContext,
  tokens: TokenService,
  onFirstConnection: (operatorId: number) => void,
): OperatorLive {
  const counts = new Map<number, number>();
  /** Token version seen by the last successful authentication of each operator. */
  const verified = new Map<string, number>();
  let server: CentrifugoServer;

  const typing = async (user: string, data: unknown) => {
    const sessionId = typingSession(data);
    if (!sessionId) throw new CentrifugoError(107, 'typing needs {sessionId}');
    await operatorTyping(ctx, Number(user), sessionId).catch((err: unknown) => {
      throw toCentrifugoError(err);
    });
  };

  server = createCentrifugoServer(httpServer, {
    path: OPERATOR_SOCKET_PATH,
    log: ctx.log,
    hooks: {
      async authenticate(c): Promise<AuthResult> {
        const token = tokenOf(c);
        if (!token) return { ok: false, code: 101, message: 'unauthorized: no token' };
        try {
          const actor = await actorFromToken(ctx, tokens, token);
          verified.set(String(actor.operatorId), actor.operator.token_version);
          return {
            ok: true, user: String(actor.operatorId), channels: [operatorChannel(actor.operatorId)],
            // TWIN-style clients pass the token in `data` and have no getToken to refresh it with:
            // their connection does not expire (logout and blocking still close it at once).
            ...(c.token ? { expiresAt: actor.expiresAt } : {}),
            data: { operatorId: String(actor.operatorId), name: actor.operator.name, role: actor.role },
          };
        } catch (err) {
          if (err instanceof AppError && err.code === ErrorCode.TOKEN_EXPIRED) return { ok: false, code: 109, message: 'token expired' };
          if (err instanceof AppError) return { ok: false, code: 101, message: `unauthorized: ${err.code}` };
          throw err;
        }
      },
      async rpc(conn, method, data) {
        if (method !== 'typing') throw new CentrifugoError(104, 'method not found');
        await typing(conn.user, data);
        return { ok: true };
      },
      async publish(conn, channel, data) {
        const event = (data as { event?: unknown } | null)?.event;
        if (channel !== operatorChannel(conn.user) || event !== OperatorEvent.typing) throw new CentrifugoError(103, 'permission denied');
        await typing(conn.user, data);
      },
      canSubscribe: async () => false,
      onConnect(conn) {
        const id = Number(conn.user);
        // Count the new connection before closing older ones, so presence never dips to zero.
        const n = (counts.get(id) ?? 0) + 1;
        counts.set(id, n);
        if (n === 1) onFirstConnection(id);
        // A block or logout may have landed between the token check and now: check again.
        const version = verified.get(conn.user);
        findOperator(ctx.db.kysely, id).then(
          (op) => {
            if (!op || op.blocked === 1 || (version !== undefined && op.token_version !== version)) {
              server.disconnectClient(conn.id, op?.blocked === 1 ? CloseCode.blocked : CloseCode.loggedOut, 'revoked');
            }
          },
          (err: unknown) => ctx.log.error({ err }, 'operator re-check failed'),
        );
        const older = server.connectionsOf(conn.user).filter((c) => c.id !== conn.id).map((c) => c.id);
        if (older.length > 0) {
          const pub: OperatorPublication = { event: OperatorEvent.chatUserExists, data: { operatorId: conn.user } };
          server.publish(operatorChannel(id), pub, { transient: true, onlyClientIds: older });
          for (const clientId of older) server.disconnectClient(clientId, CloseCode.replaced, 'chatUserExists');
        }
      },
      onDisconnect(conn) {
        const id = Number(conn.user);
        const n = (counts.get(id) ?? 1) - 1;
        if (n > 0) counts.set(id, n);
        else counts.delete(id);
      },
    },
  });

  return {
    publish: (channel, data, opts) => void server.publish(channel, data, { transient: opts?.transient ?? false }),
    disconnect: (operatorId, code, reason) => server.disconnectUser(operatorId, code, reason),
    online: () => [...counts.keys()],
    onlineSet: () => new Set(counts.keys()),
    close: () => server.close(),
  };
}
