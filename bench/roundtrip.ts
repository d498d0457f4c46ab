/**
 * Message round-trip benchmark: a client POSTs a message over REST and an operator
 * receives it over the live channel. Parley (durable: SQLite WAL or PostgreSQL,
 * outbox, routing, presenters) is compared in the same run with a bare peer: Fastify
 * plus socket.io that fans the message out from memory, with no storage at all.
 * The gap is the price of durability and the full pipeline.
 *
 *   npm run bench            (N=2000 messages, concurrency 16 by default)
 *   BENCH_N=5000 BENCH_CONCURRENCY=32 npm run bench
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import Fastify from 'fastify';
import { Server } from 'socket.io';
import { io as ioClient } from 'socket.io-client';
import { Centrifuge } from 'centrifuge';
import WebSocket from 'ws';
import pino from 'pino';
import { loadConfig } from '../packages/server/src/config.js';
import { startParley } from '../packages/server/src/container.js';

const N = Number(process.env.BENCH_N ?? 2000);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 16);

interface Result {
  name: string;
  latencies: number[];
  seconds: number;
}

function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/** Sends N messages with bounded concurrency; `received(id)` resolves when the peer saw message i. */
async function drive(name: string, send: (i: number) => Promise<void>, waitFor: (i: number) => Promise<void>): Promise<Result> {
  const latencies: number[] = [];
  let next = 0;
  const t0 = performance.now();
  const worker = async () => {
    for (let i = next++; i < N; i = next++) {
      const start = performance.now();
      const seen = waitFor(i);
      await send(i);
      await seen;
      latencies.push(performance.now() - start);
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  return { name, latencies, seconds: (performance.now() - t0) / 1000 };
}

function waiterMap() {
  const waiting = new Map<string, () => void>();
  return {
    wait: (key: string) => new Promise<void>((resolve) => waiting.set(key, resolve)),
    hit: (key: string) => {
      waiting.get(key)?.();
      waiting.delete(key);
    },
  };
}

async function benchParley(): Promise<Result> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'parley-bench-'));
  const config = loadConfig({ HOST: '127.0.0.1', PORT: '0', DATA_DIR: dir, ADMIN_TOKEN: 'bench-admin-token-0123456789', LOG_LEVEL: 'silent', DATABASE_URL: process.env.BENCH_DATABASE_URL ?? '' });
  const parley = await startParley(config, { logger: pino({ level: 'silent' }) });
  const api = async (method: string, p: string, body?: unknown, token = 'bench-admin-token-0123456789') => {
    const res = await fetch(`${parley.url}${p}`, { method, headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: body === undefined ? undefined : JSON.stringify(body) });
    return res.json() as Promise<any>;
  };
  const chat = await api('POST', '/api/v1/chats', { name: 'Bench', operatorsBusyMessage: '' });
  const group = await api('POST', '/api/v1/groups', { name: 'Bench', sessionLimit: 1000, chatIds: [chat.id] });
  await api('POST', '/api/v1/operators', { email: 'bench@parley.test', name: 'Bench', password: 'bench-password', groupIds: [group.id] });
  const { token } = await api('POST', '/api/v1/auth/login', { email: 'bench@parley.test', password: 'bench-password' });
  const centrifuge = new Centrifuge(`${parley.url.replace('http', 'ws')}/centrifugo/connection/websocket`, { websocket: WebSocket, data: { application: 'notifications', settings: { token } } });
  const seen = waiterMap();
  centrifuge.on('publication', (ctx) => {
    if (ctx.data.event === 'chatMessageCreated') seen.hit(ctx.data.data.body);
  });
  await new Promise<void>((resolve) => {
    centrifuge.once('connected', () => resolve());
    centrifuge.connect();
  });
  // One session per worker, all assigned to the operator.
  const sessions: string[] = [];
  for (let i = 0; i < CONCURRENCY; i++) sessions.push((await api('POST', `/api/v1/chats/${chat.id}/sessions`, {})).id);
  await parley.settle();
  const result = await drive(
    `parley (${parley.ctx.db.dialect})`,
    async (i) => {
      const res = await fetch(`${parley.url}/api/v1/sessions/${sessions[i % CONCURRENCY]}/messages`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ body: `m${i}` }) });
      await res.arrayBuffer();
    },
    (i) => seen.wait(`m${i}`),
  );
  centrifuge.disconnect();
  await parley.close();
  fs.rmSync(dir, { recursive: true, force: true });
  return result;
}

/** The bare peer: the same HTTP → websocket hop, no storage, no validation beyond JSON. */
async function benchBare(): Promise<Result> {
  const app = Fastify();
  const io = new Server(app.server, { path: '/bare' });
  app.post<{ Params: { id: string }; Body: { body: string } }>('/sessions/:id/messages', async (req, reply) => {
    io.to('operator').emit('chatMessageCreated', { body: req.body.body, sessionId: req.params.id });
    return reply.status(201).send({ ok: true });
  });
  io.on('connection', (s) => void s.join('operator'));
  await app.listen({ port: 0, host: '127.0.0.1' });
  const url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  const socket = ioClient(url, { path: '/bare', transports: ['websocket'] });
  const seen = waiterMap();
  socket.on('chatMessageCreated', (m: { body: string }) => seen.hit(m.body));
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  const result = await drive(
    'bare peer (fastify + socket.io, memory only)',
    async (i) => {
      const res = await fetch(`${url}/sessions/s${i % CONCURRENCY}/messages`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ body: `m${i}` }) });
      await res.arrayBuffer();
    },
    (i) => seen.wait(`m${i}`),
  );
  socket.close();
  io.close();
  await app.close();
  return result;
}

function report(results: Result[]): void {
  console.log(`\nmessage round trip: client REST POST → operator live event; ${N} messages, concurrency ${CONCURRENCY}\n`);
  console.log('system'.padEnd(48), 'msg/s'.padStart(8), 'p50 ms'.padStart(8), 'p95 ms'.padStart(8), 'p99 ms'.padStart(8));
  for (const r of results) {
    const sorted = [...r.latencies].sort((a, b) => a - b);
    console.log(
      r.name.padEnd(48),
      (N / r.seconds).toFixed(0).padStart(8),
      pct(sorted, 50).toFixed(2).padStart(8),
      pct(sorted, 95).toFixed(2).padStart(8),
      pct(sorted, 99).toFixed(2).padStart(8),
    );
  }
  const [parley, bare] = results;
  if (parley && bare) console.log(`\nParley delivers ${(bare.seconds / parley.seconds * 100).toFixed(0)}% of the bare peer's throughput while committing every message first.`);
}

const bare = await benchBare();
const parley = await benchParley();
report([parley, bare]);
process.exit(0);
