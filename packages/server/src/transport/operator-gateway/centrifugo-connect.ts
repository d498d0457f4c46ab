/**
 * The `connect` and `refresh` commands: authentication through the hook, server-side
 * subscriptions with recovery, connection expiry.
 */
import {
  encodeError, encodeReply, FrameError, isObject, optObject, optString, recoverRequestOf,
  type JsonObject, type RecoverRequest,
} from './centrifugo-codec.js';
import type { GatewayContext } from './centrifugo-commands.js';
import type { Connection } from './centrifugo-connection.js';
import { CentrifugoError, CloseCode, ReplyCode, type AuthResult, type ConnectionInfo } from './centrifugo-types.js';

/** Sent as ConnectResult.version. */
const SERVER_VERSION = 'parley';

type Granted = Extract<AuthResult, { ok: true }>;

/** The hook's verdict, checked at run time: a malformed one is an internal error, not a grant. */
function checkVerdict(auth: unknown): AuthResult {
  if (!isObject(auth)) throw new Error('authenticate returned a non-object');
  if (auth.ok === false && typeof auth.code === 'number' && typeof auth.message === 'string') {
    return { ok: false, code: auth.code, message: auth.message };
  }
  const { user, channels, expiresAt } = auth;
  if (auth.ok !== true || typeof user !== 'string' || !Array.isArray(channels) || !channels.every((c) => typeof c === 'string')
    || (expiresAt !== undefined && (typeof expiresAt !== 'number' || !Number.isFinite(expiresAt)))) {
    throw new Error('authenticate returned a malformed result');
  }
  return auth as Granted;
}

/**
 * The WebSocket close code that follows a refused connect or refresh, should the client
 * not close by itself: terminal for a final refusal, reconnecting for codes the client retries.
 */
function closeCodeFor(err: CentrifugoError): [number, string] {
  if (err.code === ReplyCode.tokenExpired) return [CloseCode.connectionExpired, 'connection expired'];
  if (err.temporary || err.code < 100) return [CloseCode.internal, 'internal server error'];
  return [CloseCode.invalidToken, 'invalid token'];
}

/** Answers with an error and stops the connection (see Connection.reject). */
function refuse(conn: Connection, id: number, err: CentrifugoError): void {
  conn.enqueue(encodeError(id, err));
  const [code, reason] = closeCodeFor(err);
  conn.reject(code, reason);
}

/** Whole seconds until expiry, rounded down so that the client refreshes in time. */
const ttlSeconds = (expiresAt: number) => Math.max(1, Math.floor((expiresAt - Date.now()) / 1000));

/** Calls the hook; a throw becomes a temporary internal error (the client retries). */
async function authenticate(ctx: GatewayContext, conn: Connection, token: string | undefined, data: unknown, refresh: boolean): Promise<AuthResult> {
  try {
    const auth = await ctx.hooks.authenticate({ token, data, headers: conn.headers, ...conn.client, ...(refresh ? { refresh } : {}) });
    return checkVerdict(auth);
  } catch (err) {
    ctx.log.error({ err, client: conn.id }, 'centrifugo authenticate hook failed');
    return { ok: false, code: ReplyCode.internal, message: 'internal server error' };
  }
}

function refusal(auth: Extract<AuthResult, { ok: false }>): CentrifugoError {
  return new CentrifugoError(auth.code, auth.message, auth.code === ReplyCode.internal);
}

/** Reads the recovery positions of a reconnecting client's server-side subscriptions. */
function recoverySubs(body: JsonObject): Map<string, RecoverRequest> {
  const out = new Map<string, RecoverRequest>();
  for (const [channel, value] of Object.entries(optObject(body, 'subs') ?? {})) {
    if (!isObject(value)) throw new FrameError('bad subs');
    const recover = recoverRequestOf(value);
    if (recover) out.set(channel, recover);
  }
  return out;
}

/** Handles `connect`, the first command of every connection. */
export async function handleConnect(ctx: GatewayContext, conn: Connection, id: number, body: JsonObject): Promise<void> {
  let token: string | undefined;
  let recovery: Map<string, RecoverRequest>;
  try {
    token = optString(body, 'token');
    const name = optString(body, 'name');
    const version = optString(body, 'version');
    conn.client = { ...(name !== undefined ? { name } : {}), ...(version !== undefined ? { version } : {}) };
    recovery = recoverySubs(body);
  } catch {
    // A connect the server cannot read is a protocol error, not an authentication failure.
    return conn.close(CloseCode.badRequest, 'bad request');
  }
  const auth = await authenticate(ctx, conn, token, body.data, false);
  if (conn.state !== 'new') return; // went stale or the peer left meanwhile
  if (!auth.ok) return refuse(conn, id, refusal(auth));
  if (auth.expiresAt !== undefined && auth.expiresAt <= Date.now()) {
    return refuse(conn, id, new CentrifugoError(ReplyCode.tokenExpired, 'token expired'));
  }
  // Data the reply cannot carry fails the connect here, before anything is registered.
  if (auth.data !== undefined) JSON.stringify(auth.data);
  // From here to the reply nothing awaits: the recovery snapshot of each channel and the
  // reply are queued before any live publication of those channels.
  const info = conn.markConnected(auth.user, auth.expiresAt);
  ctx.register(conn);
  const subs: JsonObject = {};
  for (const channel of new Set(auth.channels)) {
    subs[channel] = ctx.channels.join(channel, conn, recovery.get(channel));
    conn.subs.set(channel, 'server');
  }
  const result: JsonObject = { client: conn.id, version: SERVER_VERSION, subs };
  if (ctx.pingIntervalMs > 0) {
    // Whole seconds, rounded up: the client only needs to hear from us at least that often.
    result.ping = Math.max(1, Math.ceil(ctx.pingIntervalMs / 1000));
    result.pong = true;
  }
  if (auth.expiresAt !== undefined) {
    result.expires = true;
    result.ttl = ttlSeconds(auth.expiresAt);
  }
  if (auth.data !== undefined) result.data = auth.data;
  conn.enqueue(encodeReply(id, 'connect', result));
  try {
    ctx.hooks.onConnect?.(info);
  } catch (err) {
    ctx.log.error({ err, client: conn.id }, 'centrifugo onConnect hook failed');
  }
}

/** Handles `refresh`: a new token for a connected client; the user must stay the same. */
export async function handleRefresh(ctx: GatewayContext, conn: Connection, info: ConnectionInfo, id: number, body: JsonObject): Promise<void> {
  const token = optString(body, 'token');
  if (!token) throw new CentrifugoError(ReplyCode.badRequest, 'bad request: token required');
  const auth = await authenticate(ctx, conn, token, undefined, true);
  if (conn.state !== 'connected') return;
  // A failed hook call may be retried by the client; it is no reason to drop the connection.
  if (!auth.ok && auth.code === ReplyCode.internal) throw refusal(auth);
  if (!auth.ok) return refuse(conn, id, refusal(auth));
  if (auth.user !== info.user) return refuse(conn, id, new CentrifugoError(ReplyCode.unauthorized, 'unauthorized'));
  if (auth.expiresAt !== undefined && auth.expiresAt <= Date.now()) {
    return refuse(conn, id, new CentrifugoError(ReplyCode.tokenExpired, 'token expired'));
  }
  conn.setExpiry(auth.expiresAt);
  const result: JsonObject = { expires: auth.expiresAt !== undefined };
  if (auth.expiresAt !== undefined) result.ttl = ttlSeconds(auth.expiresAt);
  conn.enqueue(encodeReply(id, 'refresh', result));
}
