/**
 * Load-generator clients. Widgets are the real socket.io clients (4.x, or 2.x for
 * Engine.IO 3). Operators are a minimal Centrifugo JSON-protocol client over `ws`:
 * connect, answer pings, count pushes, send RPCs. It is lighter than the official
 * client, so the generator spends its core on traffic rather than on bookkeeping;
 * the official client is used where recovery matters (B8).
 */
import http from 'node:http';
import WebSocket from 'ws';
import { io as ioV4, type Socket } from 'socket.io-client';
// @ts-expect-error socket.io-client 2.x ships no types
import ioV2 from 'socket.io-client-v2';

export type Protocol = 'v4' | 'v2';

export interface Widget {
  socket: Socket;
  on(event: string, fn: (payload: any) => void): void;
  close(): void;
}

/** Connects one widget and resolves once the namespace is joined. */
export function widget(url: string, key: string, opts: { protocol?: Protocol; localAddress?: string; reconnection?: boolean } = {}): Promise<Widget> {
  const common = {
    path: '/operator/socket.io', query: { key }, transports: ['websocket'], forceNew: true,
    reconnection: opts.reconnection ?? false, timeout: 60_000,
    ...(opts.localAddress ? { localAddress: opts.localAddress } : {}),
  };
  const socket: Socket = opts.protocol === 'v2' ? ioV2(url, common) : ioV4(url, common);
  return new Promise((resolve, reject) => {
    const fail = (err: unknown) => {
      socket.close();
      reject(err instanceof Error ? err : new Error(String(err)));
    };
    socket.once('connect_error', fail);
    socket.once('error', fail);
    socket.once('connect', () => {
      socket.off('connect_error', fail);
      socket.off('error', fail);
      resolve({ socket, on: (event, fn) => socket.on(event, fn), close: () => socket.close() });
    });
  });
}

export interface Push {
  channel: string;
  data: any;
  offset?: number;
}

/**
 * A minimal Centrifugo protocol v2 (JSON) client. It keeps the position (epoch,
 * offset) of its server-side subscriptions, so `open()` after a drop asks for the
 * missed publications, as the official client does.
 */
export class RawCentrifugo {
  private nextId = 2;
  private readonly calls = new Map<number, (reply: any) => void>();
  private ws: WebSocket | null = null;
  readonly positions = new Map<string, { epoch: string; offset: number }>();
  onPush: (push: Push, recovered: boolean) => void = () => undefined;
  onClose: (code: number) => void = () => undefined;
  pushes = 0;
  /** After each reconnect: whether every subscription was recovered. */
  lastRecovered = true;

  private constructor(private readonly url: string, private readonly token: string, private readonly localAddress?: string) {}

  static async connect(url: string, token: string, opts: { localAddress?: string } = {}): Promise<RawCentrifugo> {
    const client = new RawCentrifugo(url, token, opts.localAddress);
    await client.open();
    return client;
  }

  private frame(raw: string): void {
    for (const line of raw.split('\n')) {
      if (!line) continue;
      const frame = JSON.parse(line);
      if (frame.id) {
        const cb = this.calls.get(frame.id);
        this.calls.delete(frame.id);
        cb?.(frame);
      } else if (frame.push) {
        this.pushes++;
        const p = frame.push;
        const pos = this.positions.get(p.channel);
        if (pos && typeof p.pub?.offset === 'number') pos.offset = p.pub.offset;
        this.onPush({ channel: p.channel, data: p.pub?.data, offset: p.pub?.offset }, false);
      } else if (Object.keys(frame).length === 0) {
        this.ws?.send('{}');
      }
    }
  }

  /** Connects (again), recovering missed publications of known subscriptions. */
  open(): Promise<void> {
    const ws = new WebSocket(`${this.url.replace(/^http/, 'ws')}/centrifugo/connection/websocket`, { localAddress: this.localAddress, perMessageDeflate: false });
    this.ws = ws;
    // Frames still arriving on a connection already closed are dropped, as centrifuge-js does:
    // what they carried is recovered by the next connection.
    ws.on('message', (raw) => {
      if (this.ws === ws) this.frame(raw.toString());
    });
    ws.on('close', (code) => {
      if (this.ws === ws) this.onClose(code);
    });
    const subs: Record<string, unknown> = {};
    for (const [channel, pos] of this.positions) subs[channel] = { recover: true, epoch: pos.epoch, offset: pos.offset };
    return new Promise((resolve, reject) => {
      ws.once('error', reject);
      ws.once('open', () => {
        this.calls.set(1, (reply) => {
          if (reply.error) return reject(new Error(`connect refused: ${JSON.stringify(reply.error)}`));
          this.lastRecovered = true;
          for (const [channel, sub] of Object.entries<any>(reply.connect?.subs ?? {})) {
            if (this.positions.has(channel) && !sub.recovered) this.lastRecovered = false;
            for (const pub of sub.publications ?? []) this.onPush({ channel, data: pub.data, offset: pub.offset }, true);
            this.positions.set(channel, { epoch: sub.epoch, offset: sub.offset });
          }
          resolve();
        });
        ws.send(JSON.stringify({ id: 1, connect: { data: { application: 'notifications', settings: { token: this.token } }, name: 'bench', ...(this.positions.size ? { subs } : {}) } }));
      });
    });
  }

  /** Sends an RPC; resolves with the reply frame. */
  rpc(method: string, data: unknown): Promise<any> {
    const id = this.nextId++;
    return new Promise((resolve) => {
      this.calls.set(id, resolve);
      this.ws?.send(JSON.stringify({ id, rpc: { method, data } }));
    });
  }

  close(): void {
    const ws = this.ws;
    this.ws = null;
    ws?.close();
  }
}

/** Keep-alive HTTP JSON requests with a bounded socket pool (fetch costs the generator more CPU). */
export function jsonClient(base: string, opts: { maxSockets?: number; localAddress?: string } = {}) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: opts.maxSockets ?? 64, localAddress: opts.localAddress });
  const url = new URL(base);
  return (method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: any }> =>
    new Promise((resolve, reject) => {
      const payload = body === undefined ? undefined : JSON.stringify(body);
      const req = http.request({
        agent, host: url.hostname, port: url.port, method, path,
        headers: { ...(payload ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } : {}), ...headers },
      }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString();
          let parsed: unknown = text;
          try {
            parsed = text ? JSON.parse(text) : null;
          } catch { /* not JSON */ }
          resolve({ status: res.statusCode ?? 0, body: parsed });
        });
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end(payload);
    });
}

/** Runs `fn` over `items` with at most `n` at a time. */
export async function pool<T, R>(items: T[], n: number, fn: (item: T, i: number) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(n, items.length) }, async () => {
    for (let i = next++; i < items.length; i = next++) out[i] = await fn(items[i]!, i);
  }));
  return out;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
