/**
 * Command dispatch for connected clients: subscribe, unsubscribe, publish, rpc, presence,
 * presence_stats, history, ping, send, and the connect/refresh entry points.
 *
 * Every handler queues its own success reply. A handler that changes a subscription
 * does so in the same synchronous step as queueing the reply, so no publication can slip
 * between the two and reach the client before it knows the channel.
 */
import type { Logger } from 'pino';
import type { ChannelRegistry } from './centrifugo-channels.js';
import {
  channelOf, encodeError, encodeReply, optBool, optInt, optObject, optString, recoverRequestOf,
  type Command, type JsonObject, type Method, type RecoverRequest,
} from './centrifugo-codec.js';
import { handleConnect, handleRefresh } from './centrifugo-connect.js';
import type { Connection } from './centrifugo-connection.js';
import { CentrifugoError, CloseCode, ReplyCode, type CentrifugoHooks, type ConnectionInfo } from './centrifugo-types.js';

/** Client-side subscriptions one connection may hold (the Centrifugo default). */
const MAX_CLIENT_SUBSCRIPTIONS = 128;

/** What command handlers share. */
export interface GatewayContext {
  hooks: CentrifugoHooks;
  channels: ChannelRegistry;
  log: Logger;
  pingIntervalMs: number;
  /** Adds a newly connected connection to the per-user index. */
  register(conn: Connection): void;
}

type Handler = (ctx: GatewayContext, conn: Connection, info: ConnectionInfo, id: number, body: JsonObject) => Promise<void>;

const permissionDenied = () => new CentrifugoError(ReplyCode.permissionDenied, 'permission denied');

/** A channel the connection is subscribed to, for the read commands; 103 otherwise. */
function subscribedChannel(conn: Connection, body: JsonObject): string {
  const channel = channelOf(body);
  if (!conn.subs.has(channel)) throw permissionDenied();
  return channel;
}

const handlers: Partial<Record<Method, Handler>> = {
  async subscribe(ctx, conn, info, id, body) {
    const channel = channelOf(body);
    const recover = recoverRequestOf(body);
    // One subscription per channel and connection, server-side ones included.
    if (conn.subs.has(channel)) throw new CentrifugoError(ReplyCode.alreadySubscribed, 'already subscribed');
    let clientSubs = 0;
    for (const kind of conn.subs.values()) if (kind === 'client') clientSubs++;
    if (clientSubs >= MAX_CLIENT_SUBSCRIPTIONS) throw new CentrifugoError(ReplyCode.limitExceeded, 'limit exceeded');
    if (!(await ctx.hooks.canSubscribe(info, channel))) throw permissionDenied();
    if (conn.state !== 'connected') return;
    const result = ctx.channels.join(channel, conn, recover);
    conn.subs.set(channel, 'client');
    conn.enqueue(encodeReply(id, 'subscribe', result));
  },

  async unsubscribe(ctx, conn, _info, id, body) {
    const channel = channelOf(body);
    // Unsubscribing from a channel one does not hold succeeds, as in Centrifugo: an error
    // here would make the JS client drop the whole connection.
    if (conn.subs.delete(channel)) ctx.channels.leave(channel, conn);
    conn.enqueue(encodeReply(id, 'unsubscribe', {}));
  },

  async publish(ctx, conn, info, id, body) {
    const channel = channelOf(body);
    await ctx.hooks.publish(info, channel, body.data);
    conn.enqueue(encodeReply(id, 'publish', {}));
  },

  async rpc(ctx, conn, info, id, body) {
    const method = optString(body, 'method') ?? '';
    const data = await ctx.hooks.rpc(info, method, body.data);
    conn.enqueue(encodeReply(id, 'rpc', data === undefined ? {} : { data }));
  },

  async presence(ctx, conn, _info, id, body) {
    const channel = subscribedChannel(conn, body);
    const presence: JsonObject = {};
    for (const sub of ctx.channels.subscribers(channel)) {
      if (sub.info) presence[sub.info.id] = { client: sub.info.id, user: sub.info.user };
    }
    conn.enqueue(encodeReply(id, 'presence', { presence }));
  },

  async presence_stats(ctx, conn, _info, id, body) {
    const channel = subscribedChannel(conn, body);
    const infos = ctx.channels.subscribers(channel).flatMap((s) => (s.info ? [s.info] : []));
    const stats = { num_clients: infos.length, num_users: new Set(infos.map((i) => i.user)).size };
    conn.enqueue(encodeReply(id, 'presence_stats', stats));
  },

  async history(ctx, conn, _info, id, body) {
    const channel = subscribedChannel(conn, body);
    const sinceBody = optObject(body, 'since');
    let since: RecoverRequest | undefined;
    if (sinceBody) since = { offset: optInt(sinceBody, 'offset') ?? 0, epoch: optString(sinceBody, 'epoch') ?? '' };
    const query = { limit: optInt(body, 'limit', -1) ?? 0, reverse: optBool(body, 'reverse'), ...(since ? { since } : {}) };
    conn.enqueue(encodeReply(id, 'history', ctx.channels.history(channel, query)));
  },

  async ping(_ctx, conn, _info, id) {
    conn.enqueue(encodeReply(id, 'ping', {}));
  },

  async refresh(ctx, conn, info, id, body) {
    await handleRefresh(ctx, conn, info, id, body);
  },
};

/** The reply error for a failure: hook errors as thrown, anything else as a logged 100. */
function replyErrorOf(ctx: GatewayContext, conn: Connection, method: Method | undefined, err: unknown): CentrifugoError {
  if (err instanceof CentrifugoError) return err;
  ctx.log.error({ err, method, client: conn.id, user: conn.info?.user }, 'centrifugo command failed');
  return new CentrifugoError(ReplyCode.internal, 'internal server error', true);
}

/** Handles one command of a connection. Never throws. */
export async function handleCommand(ctx: GatewayContext, conn: Connection, cmd: Command): Promise<void> {
  if (cmd.kind === 'pong') return;
  if (cmd.kind === 'send') {
    // Asynchronous messages have no use here; they are accepted and dropped.
    if (conn.state !== 'connected') conn.close(CloseCode.badRequest, 'bad request');
    return;
  }
  const { id, method, body } = cmd;
  if (method === 'connect') {
    // A second connect, or anything before the first, is a protocol violation.
    if (conn.state !== 'new') return conn.close(CloseCode.badRequest, 'bad request');
    try {
      await handleConnect(ctx, conn, id, body);
    } catch (err) {
      ctx.log.error({ err, client: conn.id }, 'centrifugo connect failed');
      conn.close(CloseCode.internal, 'internal server error');
    }
    return;
  }
  const info = conn.info;
  if (conn.state !== 'connected' || !info) return conn.close(CloseCode.badRequest, 'bad request');
  try {
    const handler = method ? handlers[method] : undefined;
    if (!handler) throw new CentrifugoError(ReplyCode.methodNotFound, 'method not found');
    await handler(ctx, conn, info, id, body);
  } catch (err) {
    conn.enqueue(encodeError(id, replyErrorOf(ctx, conn, method, err)));
  }
}
