/**
 * The embedded Centrifugo-protocol endpoint against the real `centrifuge` client (5.x)
 * and against raw WebSocket frames, on a plain HTTP server with fake hooks:
 * tokens `good-<user>` connect (server-side channel `personal:<user>`), `short-<user>` too
 * but expire after 1.2 s, `expired` is refused with 109 and anything else with 101.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { test, type TestContext } from 'node:test';
import {
  Centrifuge, type ConnectingContext, type DisconnectedContext, type Options, type PublicationContext,
  type ServerSubscribedContext, type UnsubscribedContext,
} from 'centrifuge';
import pino from 'pino';
import { Server as IoServer } from 'socket.io';
import { io as ioClient } from 'socket.io-client';
import { WebSocket } from 'ws';
import {
  CentrifugoError, createCentrifugoServer, type CentrifugoOptions, type CentrifugoServer, type ConnectContext,
} from '../src/transport/operator-gateway/centrifugo-server.js';
import { ChannelRegistry, SerializedData } from '../src/transport/operator-gateway/centrifugo-channels.js';

const PATH = '/connection/websocket';
type Json = Record<string, unknown>;

interface Fixture {
  url: string;
  http: http.Server;
  server: CentrifugoServer;
  /** Every authenticate call, connects and refreshes. */
  auths: ConnectContext[];
  published: Array<{ user: string; channel: string; data: unknown }>;
  /** A real client (not connected yet) whose incoming frames are recorded in `frames`. */
  client(token: string, extra?: Partial<Options>): { c: Centrifuge; frames: string[] };
  connects(): number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(cond: () => boolean, ms = 4000, what = 'condition'): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

/** Records every event of that name (the client's typed emitter, seen as a plain one). */
function collect<T>(target: Centrifuge | ReturnType<Centrifuge['newSubscription']>, event: string): T[] {
  const out: T[] = [];
  (target as unknown as NodeJS.EventEmitter).on(event, (ctx: T) => out.push(ctx));
  return out;
}

function tokenOf(ctx: ConnectContext): string {
  if (ctx.token !== undefined) return ctx.token;
  const settings = (ctx.data as { settings?: { token?: unknown } } | undefined)?.settings;
  return typeof settings?.token === 'string' ? settings.token : '';
}

async function start(t: TestContext, options: Partial<CentrifugoOptions> = {}, httpServer = http.createServer()): Promise<Fixture> {
  if (!httpServer.listening) await new Promise<void>((r) => httpServer.listen(0, '127.0.0.1', r));
  const auths: ConnectContext[] = [];
  const published: Fixture['published'] = [];
  const clients: Centrifuge[] = [];
  const server: CentrifugoServer = createCentrifugoServer(httpServer, {
    path: PATH,
    log: pino({ level: process.env.PARLEY_TEST_LOG ?? 'silent' }),
    hooks: {
      async authenticate(ctx) {
        auths.push(ctx);
        const token = tokenOf(ctx);
        if (token === 'expired') return { ok: false, code: 109, message: 'token expired' };
        const m = /^(good|short)-(\w+)$/.exec(token);
        if (!m?.[2]) return { ok: false, code: 101, message: 'unauthorized' };
        const expiry = m[1] === 'short' ? { expiresAt: Date.now() + 1200 } : {};
        return { ok: true, user: m[2], channels: [`personal:${m[2]}`], data: { hello: m[2] }, ...expiry };
      },
      async rpc(conn, method, data) {
        if (method === 'echo') return data;
        if (method === 'whoami') return { user: conn.user };
        if (method === 'fail') throw new CentrifugoError(1001, 'nope');
        throw new Error('hook crashed');
      },
      async publish(conn, channel, data) {
        if (!channel.startsWith('chat:')) throw new CentrifugoError(103, 'permission denied');
        published.push({ user: conn.user, channel, data });
        server.publish(channel, data);
      },
      async canSubscribe(_conn, channel) {
        return channel.startsWith('public:') || channel.startsWith('chat:');
      },
    },
    ...options,
  });
  const url = `ws://127.0.0.1:${(httpServer.address() as AddressInfo).port}${PATH}`;
  t.after(async () => {
    for (const c of clients) c.disconnect();
    await server.close();
    httpServer.closeAllConnections();
    await new Promise((r) => httpServer.close(r));
  });
  return {
    url, http: httpServer, server, auths, published,
    client(token, extra = {}) {
      const frames: string[] = [];
      class RecordingWebSocket extends WebSocket {
        constructor(address: string, protocols?: string | string[]) {
          super(address, protocols);
          this.on('message', (data) => frames.push(String(data)));
        }
      }
      const c = new Centrifuge(url, {
        websocket: RecordingWebSocket, data: { application: 'notifications', settings: { token } },
        minReconnectDelay: 50, maxReconnectDelay: 200, timeout: 3000, ...extra,
      });
      clients.push(c);
      return { c, frames };
    },
    connects: () => auths.filter((a) => !a.refresh).length,
  };
}

interface Raw {
  ws: WebSocket;
  /** Every JSON message received, frames split on `\n`. */
  got: Json[];
  frames: string[];
  closed: Promise<{ code: number; reason: string }>;
}

/** A raw WebSocket; sends each given frame once open. */
async function raw(url: string, ...frames: Array<string | Buffer>): Promise<Raw> {
  const ws = new WebSocket(url);
  const got: Json[] = [];
  const received: string[] = [];
  const closed = new Promise<{ code: number; reason: string }>((resolve) => {
    ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() }));
  });
  ws.on('error', () => {});
  ws.on('message', (data) => {
    received.push(String(data));
    try {
      for (const line of String(data).split('\n')) got.push(JSON.parse(line) as Json);
    } catch {
      // not ours: only `frames` records it
    }
  });
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  for (const f of frames) ws.send(f);
  return { ws, got, frames: received, closed };
}

const connectCmd = (token: string, id = 1, extra: Json = {}) => JSON.stringify({ id, connect: { token, ...extra } });

test('server-side channel: connect reply, publication to centrifuge.on(publication), batched frames', async (t) => {
  const f = await start(t);
  const { c, frames } = f.client('good-1');
  const subscribed = collect<ServerSubscribedContext>(c, 'subscribed');
  const pubs = collect<PublicationContext>(c, 'publication');
  const connected = new Promise<{ client: string; data?: unknown }>((r) => c.once('connected', r));
  c.connect();
  const ctx = await connected;
  assert.match(ctx.client, /^[0-9a-f-]{36}$/);
  assert.deepEqual(ctx.data, { hello: '1' });
  assert.deepEqual(f.auths[0]?.data, { application: 'notifications', settings: { token: 'good-1' } });
  assert.equal(f.auths[0]?.token, undefined);
  assert.equal(f.auths[0]?.headers.host, new URL(f.url).host);
  await until(() => subscribed.length === 1, 2000, 'subscribed');
  assert.equal(subscribed[0]?.channel, 'personal:1');
  assert.equal(subscribed[0]?.recoverable, true);
  assert.deepEqual(f.server.connectionsOf('1').map((i) => i.id), [ctx.client]);

  assert.deepEqual(f.server.publish('personal:1', { text: 'hi' }), { offset: 1, epoch: subscribed[0]?.streamPosition?.epoch });
  await until(() => pubs.length === 1);
  assert.deepEqual(pubs[0], { channel: 'personal:1', data: { text: 'hi' }, offset: 1 });
  f.server.publish('personal:2', { text: 'not yours' });
  for (let n = 0; n < 5; n++) f.server.publish('personal:1', { n });
  await until(() => pubs.length === 6);
  assert.deepEqual(pubs.slice(1).map((p) => p.data), [0, 1, 2, 3, 4].map((n) => ({ n })));
  // The five publications of one tick travelled in one frame.
  assert.ok(frames.some((fr) => fr.split('\n').length === 5 && fr.includes('"n":0') && fr.includes('"n":4')), frames.join(' | '));
});

test('bad token: disconnected with 101 and no reconnect; expired token answered with 109', async (t) => {
  const f = await start(t);
  const { c } = f.client('wrong');
  const disconnected = new Promise<DisconnectedContext>((r) => c.once('disconnected', r));
  c.connect();
  assert.equal((await disconnected).code, 101);
  await sleep(600);
  assert.equal(c.state, 'disconnected');
  assert.equal(f.connects(), 1);
  const r = await raw(f.url, connectCmd('expired'));
  await until(() => r.got.length === 1);
  assert.deepEqual(r.got[0], { id: 1, error: { code: 109, message: 'token expired' } });
  assert.equal((await r.closed).code, 3005);
});

test('rpc round trip, hook errors, client publish through the hook', async (t) => {
  const f = await start(t);
  const { c } = f.client('good-7');
  const pubs = collect<PublicationContext>(c, 'publication');
  c.connect();
  await c.ready(3000);
  assert.deepEqual(await c.rpc('echo', { a: [1, 'x'] }), { data: { a: [1, 'x'] } });
  assert.deepEqual(await c.rpc('whoami', null), { data: { user: '7' } });
  await assert.rejects(c.rpc('fail', {}), (e: { code: number; message: string }) => e.code === 1001 && e.message === 'nope');
  await assert.rejects(c.rpc('crash', {}), (e: { code: number; temporary?: boolean }) => e.code === 100 && e.temporary === true);
  const sub = c.newSubscription('chat:9');
  const chat = collect<PublicationContext>(sub, 'publication');
  sub.subscribe();
  await sub.ready(3000);
  await c.publish('chat:9', { body: 'hello' });
  assert.deepEqual(f.published, [{ user: '7', channel: 'chat:9', data: { body: 'hello' } }]);
  await until(() => chat.length === 1);
  assert.deepEqual(chat[0]?.data, { body: 'hello' });
  await assert.rejects(c.publish('secret:1', {}), (e: { code: number }) => e.code === 103);
  assert.equal(f.published.length, 1);
  assert.equal(pubs.length, 0);
  assert.equal(c.state, 'connected');
});

test('client-side subscriptions: allowed, denied, duplicate, history, presence', async (t) => {
  const f = await start(t);
  const { c } = f.client('good-1');
  c.connect();
  await c.ready(3000);
  f.server.publish('public:news', { n: 1 });
  f.server.publish('public:news', { n: 2 });
  const sub = c.newSubscription('public:news');
  const got = collect<PublicationContext>(sub, 'publication');
  sub.subscribe();
  await sub.ready(3000);
  f.server.publish('public:news', { n: 3 });
  await until(() => got.length === 1);
  assert.deepEqual(got[0], { channel: 'public:news', data: { n: 3 }, offset: 3 });
  const hist = await sub.history({ limit: 10 });
  assert.deepEqual(hist.publications.map((p) => [p.offset, p.data]), [[1, { n: 1 }], [2, { n: 2 }], [3, { n: 3 }]]);
  assert.equal(hist.offset, 3);
  const back = await sub.history({ limit: 2, reverse: true });
  assert.deepEqual(back.publications.map((p) => p.offset), [3, 2]);
  const presence = await sub.presence();
  assert.deepEqual(Object.values(presence.clients).map((i) => i.user), ['1']);
  await assert.rejects(c.history('public:other', { limit: 1 }), (e: { code: number }) => e.code === 103);

  for (const [channel, code] of [['secret:x', 103], ['personal:1', 105]] as const) {
    const s = c.newSubscription(channel);
    const unsubscribed = new Promise<UnsubscribedContext>((r) => s.once('unsubscribed', r));
    s.subscribe();
    assert.equal((await unsubscribed).code, code);
  }
  assert.equal(c.state, 'connected');
});

test('recovery: 100 publications missed during a 4000 reconnect arrive in order, recovered=true', async (t) => {
  const f = await start(t);
  const { c } = f.client('good-1');
  const subscribed = collect<ServerSubscribedContext>(c, 'subscribed');
  const connecting = collect<ConnectingContext>(c, 'connecting');
  const pubs = collect<PublicationContext>(c, 'publication');
  c.connect();
  await until(() => subscribed.length === 1);
  f.server.publish('personal:1', { n: 0 });
  await until(() => pubs.length === 1);
  f.server.disconnectUser('1', 4000, 'come back');
  for (let n = 1; n <= 100; n++) f.server.publish('personal:1', { n });
  await until(() => subscribed.length === 2 && pubs.length === 101, 5000, 'recovery');
  await sleep(100);
  assert.deepEqual(pubs.map((p) => p.data), Array.from({ length: 101 }, (_, n) => ({ n })));
  assert.deepEqual(pubs.map((p) => p.offset), Array.from({ length: 101 }, (_, n) => n + 1));
  assert.equal(connecting.at(-1)?.code, 4000);
  const second = subscribed[1];
  assert.equal(second?.wasRecovering, true);
  assert.equal(second?.recovered, true);
  assert.equal(second?.streamPosition?.epoch, subscribed[0]?.streamPosition?.epoch);
  assert.equal(f.connects(), 2);
});

test('recovery fails (recovered=false) on history overflow and on a new epoch after a restart', async (t) => {
  const f = await start(t, { historySize: 10 });
  const { c } = f.client('good-1');
  const subscribed = collect<ServerSubscribedContext>(c, 'subscribed');
  const pubs = collect<PublicationContext>(c, 'publication');
  c.connect();
  await until(() => subscribed.length === 1);
  f.server.publish('personal:1', { n: 0 });
  await until(() => pubs.length === 1);
  f.server.disconnectUser('1', 4000, 'come back');
  for (let n = 1; n <= 20; n++) f.server.publish('personal:1', { n });
  await until(() => subscribed.length === 2, 5000);
  await sleep(100);
  assert.equal(subscribed[1]?.wasRecovering, true);
  assert.equal(subscribed[1]?.recovered, false);
  assert.equal(subscribed[1]?.streamPosition?.offset, 21);
  assert.equal(pubs.length, 1);

  // A restart: the endpoint is replaced on the same HTTP server; streams start again.
  await f.server.close();
  const restarted = await start(t, {}, f.http);
  // The new stream gets past the client's position before it is back: only the epoch tells them apart.
  for (let n = 1; n <= 30; n++) restarted.server.publish('personal:1', { n });
  await until(() => subscribed.length === 3, 5000, 'resubscribe after restart');
  assert.equal(subscribed[2]?.recovered, false);
  assert.equal(subscribed[2]?.wasRecovering, true);
  assert.notEqual(subscribed[2]?.streamPosition?.epoch, subscribed[1]?.streamPosition?.epoch);
  assert.equal(subscribed[2]?.streamPosition?.offset, 30);
  assert.equal(pubs.length, 1);
  assert.equal(restarted.connects(), 1);
});

test('recovery over raw frames: within the TTL, after it, and the connect+subscribe batch', async (t) => {
  const f = await start(t, { historyTtlMs: 300 });
  const first = await raw(f.url, connectCmd('good-1'));
  await until(() => first.got.length === 1);
  const sub = (first.got[0]?.connect as { subs: Record<string, { epoch: string; offset: number }> }).subs['personal:1'];
  assert.equal(sub?.offset, 0);
  first.ws.close();
  await first.closed;
  f.server.publish('personal:1', 'a');
  f.server.publish('personal:1', 'b');
  const recover = { subs: { 'personal:1': { recover: true, epoch: sub?.epoch } } };
  const again = await raw(f.url, `${connectCmd('good-1', 1, recover)}\n{"id":2,"subscribe":{"channel":"public:x"}}`);
  await until(() => again.got.length === 2);
  assert.equal(again.frames.length, 1, 'connect and subscribe replies in one frame');
  assert.deepEqual((again.got[0]?.connect as { subs: unknown }).subs, {
    'personal:1': { recoverable: true, positioned: true, epoch: sub?.epoch, offset: 2, was_recovering: true, recovered: true,
      publications: [{ data: 'a', offset: 1 }, { data: 'b', offset: 2 }] },
  });
  assert.deepEqual(again.got[1], { id: 2, subscribe: { recoverable: true, positioned: true, epoch: (again.got[1]?.subscribe as Json).epoch, offset: 0 } });
  again.ws.close();
  await sleep(400);
  const late = await raw(f.url, connectCmd('good-1', 1, recover));
  await until(() => late.got.length === 1);
  const lateSub = (late.got[0]?.connect as { subs: Record<string, Json> }).subs['personal:1'];
  assert.equal(lateSub?.recovered, false);
  assert.equal(lateSub?.publications, undefined);
  late.ws.close();
});

test('garbage frames get their close codes and the server keeps serving', async (t) => {
  const f = await start(t, { maxFrameBytes: 1024, staleMs: 300 });
  const cases: Array<[string, Array<string | Buffer>, number]> = [
    ['not JSON', ['hello'], 3501],
    ['JSON array', ['[1,2]'], 3501],
    ['null', ['null'], 3501],
    ['binary', [Buffer.from([1, 2, 3])], 3501],
    ['command before connect', ['{"id":1,"rpc":{"method":"echo"}}'], 3501],
    ['pong before any ping', [connectCmd('good-1'), '{}'], 3501],
    ['second connect', [connectCmd('good-1'), connectCmd('good-1', 2)], 3501],
    ['huge frame', [JSON.stringify({ id: 1, connect: { token: 'x'.repeat(2000) } })], 1009],
    ['no connect at all', [], 3502],
  ];
  for (const [name, frames, code] of cases) {
    const r = await raw(f.url, ...frames);
    assert.equal((await r.closed).code, code, name);
  }
  const r = await raw(f.url, connectCmd('good-1'), '{"id":2,"nosuch":{}}\n{"id":3,"ping":{}}', '{"send":{"data":1}}');
  await until(() => r.got.length === 3);
  assert.deepEqual(r.got.slice(1), [{ id: 2, error: { code: 104, message: 'method not found' } }, { id: 3, ping: {} }]);
  assert.equal(r.ws.readyState, WebSocket.OPEN);
  r.ws.close();
  const { c } = f.client('good-2');
  c.connect();
  await c.ready(3000);
  assert.deepEqual(await c.rpc('echo', 1), { data: 1 });
});

test('ping/pong keeps the real client connected; a silent peer is closed with 3012', async (t) => {
  const f = await start(t, { pingIntervalMs: 100, pongTimeoutMs: 300 });
  const { c, frames } = f.client('good-1');
  const connecting = collect<ConnectingContext>(c, 'connecting');
  c.connect();
  await c.ready(3000);
  await sleep(1000);
  assert.equal(c.state, 'connected');
  assert.equal(connecting.length, 1, 'only the initial connect');
  assert.equal(f.connects(), 1);
  assert.ok(frames.filter((fr) => fr === '{}').length >= 5, `pings seen: ${frames.filter((fr) => fr === '{}').length}`);
  const silent = await raw(f.url, connectCmd('good-2'));
  const begun = Date.now();
  assert.equal((await silent.closed).code, 3012);
  // Closed by the missing pong (400 ms here), long before the default 25 s ping interval would.
  assert.ok(Date.now() - begun < 5000);
});

test('expiry: refresh keeps the connection, no refresh closes it with 3005', async (t) => {
  const f = await start(t, { expiryGraceMs: 200 });
  const { c } = f.client('', { token: 'short-4', getToken: async () => 'short-4' });
  const connecting = collect<ConnectingContext>(c, 'connecting');
  c.connect();
  await c.ready(3000);
  await sleep(2600);
  assert.equal(c.state, 'connected');
  assert.equal(connecting.length, 1);
  assert.ok(f.auths.filter((a) => a.refresh).length >= 2);
  const r = await raw(f.url, connectCmd('short-5'));
  await until(() => r.got.length === 1);
  assert.equal((r.got[0]?.connect as Json).ttl, 1);
  assert.equal((await r.closed).code, 3005);
});

test('disconnectUser with a terminal code, except one connection', async (t) => {
  const f = await start(t);
  const a = f.client('good-1').c;
  const b = f.client('good-1').c;
  const aId = new Promise<string>((r) => a.once('connected', (ctx) => r(ctx.client)));
  const aDisconnected = collect<DisconnectedContext>(a, 'disconnected');
  const bDisconnected = new Promise<DisconnectedContext>((r) => b.once('disconnected', r));
  a.connect();
  b.connect();
  await Promise.all([a.ready(3000), b.ready(3000)]);
  assert.equal(f.server.connectionsOf('1').length, 2);
  f.server.disconnectUser('1', 4501, 'banned', await aId);
  assert.deepEqual(await bDisconnected, { code: 4501, reason: 'banned' });
  await sleep(500);
  assert.equal(b.state, 'disconnected');
  assert.equal(a.state, 'connected');
  assert.equal(aDisconnected.length, 0);
  assert.equal(f.connects(), 2);
  assert.deepEqual(f.server.connectionsOf('1').map((i) => i.id), [await aId]);
  assert.throws(() => f.server.disconnectUser('1', 1000, 'x'), RangeError);
});

test('transient and targeted publications, disconnectClient after a last message', async (t) => {
  const f = await start(t);
  const a = f.client('good-1').c;
  const b = f.client('good-1').c;
  const bId = new Promise<string>((r) => b.once('connected', (ctx) => r(ctx.client)));
  const aPubs = collect<PublicationContext>(a, 'publication');
  const bPubs = collect<PublicationContext>(b, 'publication');
  const bDisconnected = new Promise<DisconnectedContext>((r) => b.once('disconnected', r));
  a.connect();
  b.connect();
  await Promise.all([a.ready(3000), b.ready(3000)]);
  const probe = f.server.publish('personal:1', 'probe', { transient: true });
  assert.equal(probe.offset, 0);
  await until(() => aPubs.length === 1 && bPubs.length === 1);
  assert.deepEqual(aPubs[0], { channel: 'personal:1', data: 'probe' }, 'no offset on a transient publication');
  assert.deepEqual(f.server.publish('personal:1', 'kicked', { onlyClientIds: [await bId] }), probe);
  assert.equal(f.server.disconnectClient(await bId, 4501, 'replaced'), true);
  assert.deepEqual(await bDisconnected, { code: 4501, reason: 'replaced' });
  assert.ok(bPubs.some((p) => p.data === 'kicked'), 'the last message went out before the close');
  await sleep(100);
  assert.ok(!aPubs.some((p) => p.data === 'kicked'));
  assert.equal(f.server.disconnectClient(await bId, 4501, 'again'), false);
  assert.equal(a.state, 'connected');
  const history = await a.history('personal:1', { limit: -1 });
  assert.deepEqual([history.publications, history.offset], [[], 0], 'transient publications are not stored');
});

test('shares the HTTP server with Socket.IO: each upgrade goes to its own listener', async (t) => {
  const httpServer = http.createServer();
  // Socket.IO first, as in the container; engine.io ends foreign upgrades it finds untouched after 1 s.
  const io = new IoServer(httpServer, { path: '/operator/socket.io' });
  io.on('connection', (socket) => socket.emit('hello', 'sio'));
  const f = await start(t, {}, httpServer);
  // After the fixture's teardown, which closes the HTTP server that io.close() would wait for.
  t.after(() => io.close().catch(() => {}));
  const { c } = f.client('good-1');
  const connecting = collect<ConnectingContext>(c, 'connecting');
  c.connect();
  await c.ready(3000);
  const sio = ioClient(f.url.replace(PATH, '').replace('ws:', 'http:'), { path: '/operator/socket.io', transports: ['websocket'], reconnection: false });
  try {
    assert.equal(await new Promise((r) => sio.once('hello', r)), 'sio');
    await sleep(1500);
    assert.equal(c.state, 'connected');
    assert.equal(connecting.length, 1);
    assert.equal(sio.connected, true);
    assert.deepEqual(await c.rpc('echo', 'still here'), { data: 'still here' });
  } finally {
    // Before the teardown: the HTTP server's close() waits for this socket.
    sio.close();
  }
});

test('registry: an object serialised once for several channels is pushed, kept and recovered as itself on each', () => {
  const registry = new ChannelRegistry(10, 60_000);
  const frames: string[][] = [[], []];
  const subs = frames.map((out) => ({ info: undefined, deliver: (f: string) => void out.push(f) }));
  registry.join('one', subs[0]!);
  registry.join('two', subs[1]!);
  const event = { event: 'chatMessageCreated', data: { id: 'm1', body: 'the same for all' } };
  const shared = new SerializedData(event);
  registry.publish('one', shared);
  registry.publish('two', shared);
  event.data.body = 'changed after publishing';
  for (const [i, name] of ['one', 'two'].entries()) {
    assert.deepEqual(JSON.parse(frames[i]![0]!), { push: { channel: name, pub: { data: { event: 'chatMessageCreated', data: { id: 'm1', body: 'the same for all' } }, offset: 1 } } });
    const history = registry.history(name, { limit: -1, reverse: false });
    assert.deepEqual(history.publications, [{ data: { event: 'chatMessageCreated', data: { id: 'm1', body: 'the same for all' } }, offset: 1 }]);
  }
});
