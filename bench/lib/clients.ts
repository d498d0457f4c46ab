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

/** A minimal Centrifugo protocol v2 (JSON) client. */
export class RawCentrifugo {
  private nextId = 2;
  private readonly calls = new Map<number, (reply: any) => void>();
  onPush: (push: Push) => void = () => undefined;
  onClose: (code: number) => void = () => undefined;
  pushes = 0;

  private constructor(private readonly ws: WebSocket) {
    ws.on('message', (raw) => {
      const text = raw.toString();
      for (const line of text.split('\n')) {
        if (!line) continue;
        const frame = JSON.parse(line);
        if (frame.id) {
          const cb = this.calls.get(frame.id);
          this.calls.delete(frame.id);
          cb?.(frame);
        } else if (frame.push) {
          this.pushes++;
          const p = frame.push;
          this.onPush({ channel: p.channel, data: p.pub?.data, offset: p.pub?.offset });
        } else if (Object.keys(frame).length === 0) {
          ws.send('{}');
        }
      }
    });
    ws.on('close', (code) => this.onClose(code));
  }

  static connect(url: string, token: string, opts: { localAddress?: string } = {}): Promise<RawCentrifugo> {
    const ws = new WebSocket(`${url.replace(/^http/, 'ws')}/centrifugo/connection/websocket`, { localAddress: opts.localAddress, perMessageDeflate: false });
    const client = new RawCentrifugo(ws);
    return new Promise((resolve, reject) => {
      ws.once('error', reject);
      ws.once('open', () => {
        client.calls.set(1, (reply) => {
          if (reply.error) reject(new Error(`connect refused: ${JSON.stringify(reply.error)}`));
          else resolve(client);
        });
        ws.send(JSON.stringify({ id: 1, connect: { data: { application: 'notifications', settings: { token } }, name: 'bench' } }));
      });
    });
  }

  /** Sends an RPC; resolves with the reply frame. */
  rpc(method: string, data: unknown): Promise<any> {
    const id = this.nextId++;
    return new Promise((resolve) => {
      this.calls.set(id, resolve);
      this.ws.send(JSON.stringify({ id, rpc: { method, data } }));
    });
  }

  close(): void {
    this.ws.close();
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
