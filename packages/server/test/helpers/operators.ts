/**
 * Operator-side test helpers: accounts through the admin API, login over REST, and
 * the official `centrifuge` client connected exactly as TWIN's guide shows.
 */
import { Centrifuge } from 'centrifuge';
import WebSocket from 'ws';
import { after } from 'node:test';
import type { TestServer } from './harness.js';

export interface OperatorAccount {
  id: string;
  email: string;
  password: string;
  token: string;
  refreshToken: string;
}

let seq = 0;
const opened: Centrifuge[] = [];
// A failed test must not leave clients reconnecting forever (the file would never end).
after(() => {
  for (const c of opened.splice(0)) c.disconnect();
});

/** Creates an operator (or admin) in the bootstrap company and logs it in. */
export async function createOperator(srv: TestServer, opts: { name?: string; role?: 'ADMIN' | 'OPERATOR'; groupIds?: number[] } = {}): Promise<OperatorAccount> {
  const n = ++seq;
  const email = `op${n}-${Date.now()}@test.parley`;
  const password = `password-${n}-secret`;
  const created = await srv.admin('POST', '/api/v1/operators', { email, name: opts.name ?? `Operator ${n}`, role: opts.role ?? 'OPERATOR', password, groupIds: opts.groupIds ?? [] });
  if (created.status !== 201) throw new Error(`operator creation failed: ${JSON.stringify(created.body)}`);
  const login = await srv.api('POST', '/api/v1/auth/login', { email, password });
  if (login.status !== 200) throw new Error(`login failed: ${JSON.stringify(login.body)}`);
  return { id: created.body.id, email, password, token: login.body.token, refreshToken: login.body.refreshToken };
}

/** Calls the API as an operator. */
export function as(srv: TestServer, op: { token: string }) {
  return <T = any>(method: string, path: string, body?: unknown) => srv.api<T>(method, path, body, { authorization: `Bearer ${op.token}` });
}

export async function createGroup(srv: TestServer, body: { name?: string; sessionLimit?: number; chatIds?: string[]; operatorIds?: string[] }): Promise<number> {
  const res = await srv.admin('POST', '/api/v1/groups', { name: body.name ?? 'Group', ...body });
  if (res.status !== 201) throw new Error(`group creation failed: ${JSON.stringify(res.body)}`);
  return res.body.id;
}

export interface LiveOperator {
  centrifuge: Centrifuge;
  /** Every publication payload received, in order. */
  pubs: any[];
  /** The first not-yet-consumed publication with that event (matching `pred`), waiting up to `ms`. */
  next(event: string, pred?: (p: any) => boolean, ms?: number): Promise<any>;
  /** Publications of that event so far. */
  all(event: string): any[];
  disconnected: Promise<{ code: number; reason: string }>;
  close(): void;
}

/** Connects like seed 001: `new Centrifuge(url, {data: {application: 'notifications', settings: {token}}})`. */
export function connectOperator(srv: TestServer, token: string, opts: { minReconnectDelay?: number } = {}): Promise<LiveOperator> {
  const url = `${srv.url.replace(/^http/, 'ws')}/centrifugo/connection/websocket`;
  const centrifuge = new Centrifuge(url, {
    websocket: WebSocket,
    data: { application: 'notifications', settings: { token } },
    minReconnectDelay: opts.minReconnectDelay ?? 50,
    maxReconnectDelay: 200,
  });
  opened.push(centrifuge);
  const pubs: any[] = [];
  const consumed = new Set<number>();
  const waiters: (() => void)[] = [];
  centrifuge.on('publication', (ctx) => {
    pubs.push(ctx.data);
    for (const w of waiters.splice(0)) w();
  });
  let resolveDisc!: (v: { code: number; reason: string }) => void;
  const disconnected = new Promise<{ code: number; reason: string }>((r) => (resolveDisc = r));
  centrifuge.on('disconnected', (ctx) => resolveDisc({ code: ctx.code, reason: ctx.reason }));
  const live: LiveOperator = {
    centrifuge, pubs, disconnected,
    all: (event) => pubs.filter((p) => p.event === event),
    next(event, pred = () => true, ms = 5000) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no ${event} within ${ms} ms; got ${pubs.map((p) => p.event).join(', ')}`)), ms);
        const attempt = () => {
          for (let i = 0; i < pubs.length; i++) {
            if (!consumed.has(i) && pubs[i].event === event && pred(pubs[i])) {
              consumed.add(i);
              clearTimeout(timer);
              resolve(pubs[i]);
              return;
            }
          }
          waiters.push(attempt);
        };
        attempt();
      });
    },
    close: () => centrifuge.disconnect(),
  };
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('centrifuge connect timed out')), 5000);
    centrifuge.on('connected', () => {
      clearTimeout(timer);
      resolve(live);
    });
    centrifuge.on('disconnected', (ctx) => {
      clearTimeout(timer);
      reject(Object.assign(new Error(`disconnected ${ctx.code} ${ctx.reason}`), { code: ctx.code }));
    });
    centrifuge.connect();
  });
}
