/**
 * Real Socket.IO clients for tests: socket.io-client 2.x (Engine.IO v3, the protocol
 * of python-socketio 4.6.1) and 4.x, with every received event recorded in order.
 */
import { createRequire } from 'node:module';
import { after } from 'node:test';
import { io as ioV4 } from 'socket.io-client';
import { WIDGET_SOCKET_PATH } from '@parley/protocol';

const require = createRequire(import.meta.url);

/** The parts of a socket both client versions share. */
interface AnySocket {
  on(event: string, fn: (...args: any[]) => void): unknown;
  onAny?(fn: (event: string, ...args: any[]) => void): unknown;
  emit(event: string, ...args: any[]): unknown;
  close(): unknown;
  connected: boolean;
  io: { engine: { transport: { name: string } } };
}

type V2Factory = (url: string, opts: Record<string, unknown>) => AnySocket;
const ioV2 = require('socket.io-client-v2') as V2Factory;

export type SioVersion = 'v2' | 'v4';

const opened: AnySocket[] = [];
// A failed test must not leave sockets open (the file would never end).
after(() => {
  for (const s of opened.splice(0)) s.close();
});
export type Transport = 'polling' | 'websocket';

export interface Received {
  name: string;
  payload: any;
}

export interface RecordingClient {
  socket: AnySocket;
  events: Received[];
  /** Resolves with the first not-yet-consumed event of that name (waiting up to `ms`). */
  next(name: string, ms?: number): Promise<any>;
  /** The first event of that name satisfying `pred` not yet returned by until(), waiting up to `ms`. */
  until(name: string, pred: (payload: any) => boolean, ms?: number): Promise<any>;
  /** Events of that name received so far. */
  all(name: string): any[];
  emitAck(event: string, payload?: unknown, ms?: number): Promise<any>;
  close(): void;
}

const SERVER_EVENTS = [
  'chatMessageCreatedEmit', 'showTypingIndicatorEmit', 'chatMessageReadEmit', 'operatorChangedEmit',
  'operatorStatusChangedEmit', 'operatorLoggedOutEmit', 'sessionClosedEmit', 'chatMessageEditedEmit',
];

function open(version: SioVersion, url: string, key: string | null, transports?: Transport[]): AnySocket {
  const opts: Record<string, unknown> = { path: WIDGET_SOCKET_PATH, forceNew: true, reconnection: false, transports: transports ?? ['polling', 'websocket'] };
  if (key !== null) opts.query = { key };
  return version === 'v2' ? ioV2(url, opts) : (ioV4(url, opts) as unknown as AnySocket);
}

/** Connects and resolves once the namespace is connected; rejects with the server's error data. */
export function connectClient(version: SioVersion, url: string, key: string | null, transports?: Transport[]): Promise<RecordingClient> {
  const socket = open(version, url, key, transports);
  opened.push(socket);
  const events: Received[] = [];
  const consumed = new Map<string, number>();
  /** Events handed out by until(); next() hands out events in arrival order regardless. */
  const taken = new Set<Received>();
  const waiters: (() => void)[] = [];
  for (const name of SERVER_EVENTS) {
    socket.on(name, (payload: unknown) => {
      events.push({ name, payload });
      for (const w of waiters.splice(0)) w();
    });
  }
  const client: RecordingClient = {
    socket,
    events,
    all: (name) => events.filter((e) => e.name === name).map((e) => e.payload),
    next(name, ms = 5000) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no ${name} within ${ms} ms; got ${events.map((e) => e.name).join(', ')}`)), ms);
        const attempt = () => {
          const seen = consumed.get(name) ?? 0;
          const matching = events.filter((e) => e.name === name);
          if (matching.length > seen) {
            consumed.set(name, seen + 1);
            clearTimeout(timer);
            resolve(matching[seen]!.payload);
          } else {
            waiters.push(attempt);
          }
        };
        attempt();
      });
    },
    until(name, pred, ms = 5000) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no matching ${name} within ${ms} ms`)), ms);
        const attempt = () => {
          const hit = events.find((e) => e.name === name && !taken.has(e) && pred(e.payload));
          if (hit) {
            taken.add(hit);
            clearTimeout(timer);
            resolve(hit.payload);
          } else {
            waiters.push(attempt);
          }
        };
        attempt();
      });
    },
    emitAck(event, payload, ms = 5000) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no ack for ${event}`)), ms);
        socket.emit(event, payload ?? {}, (res: unknown) => {
          clearTimeout(timer);
          resolve(res);
        });
      });
    },
    close: () => void socket.close(),
  };
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('connect timed out')), 5000);
    socket.on('connect', () => {
      clearTimeout(timer);
      resolve(client);
    });
    // v4 reports middleware errors as connect_error (err.data); v2 as `error` (the data itself).
    socket.on('connect_error', (err: { data?: unknown; message?: string }) => {
      clearTimeout(timer);
      socket.close();
      reject(Object.assign(new Error('connect_error'), { data: err?.data ?? err }));
    });
    socket.on('error', (data: unknown) => {
      clearTimeout(timer);
      socket.close();
      reject(Object.assign(new Error('error'), { data }));
    });
  });
}

/** Connects expecting a refusal; resolves with the error data the server sent. */
export async function connectError(version: SioVersion, url: string, key: string | null): Promise<any> {
  try {
    const c = await connectClient(version, url, key);
    c.close();
  } catch (err) {
    return (err as { data?: unknown }).data;
  }
  throw new Error('connection was accepted');
}
