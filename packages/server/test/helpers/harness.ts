/**
 * Test harness: a real Parley on an ephemeral port, on a fresh database of the
 * requested engine, with a small REST helper. Every integration test runs once per engine.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe } from 'node:test';
import pg from 'pg';
import pino from 'pino';
import { PostgresDriver, SqliteDriver, type DatabaseConnection } from 'kysely';
import { loadConfig } from '../../src/config.js';
import { startParley, type Parley } from '../../src/container.js';
import { domainEventTypes, type DomainEvent } from '../../src/domain/events.js';

export type Engine = 'sqlite' | 'postgres';
export const ADMIN_TOKEN = 'test-admin-token-0123456789';

const pgUrl = process.env.PARLEY_TEST_PG_URL;
const ci = process.env.CI === 'true' || process.env.CI === '1';
if (ci && !pgUrl) throw new Error('CI requires PARLEY_TEST_PG_URL (run the suite with `npm test`)');

/**
 * Replaces the engine's driver COMMIT with `around`, which is given the real one to call (or
 * not); returns a function that puts the real one back. For tests of what happens around a
 * COMMIT: one that fails, or one held back.
 */
export function interceptCommit(engine: Engine, around: (commit: () => Promise<void>) => Promise<void>): () => void {
  const Driver = engine === 'sqlite' ? SqliteDriver : PostgresDriver;
  const real = Driver.prototype.commitTransaction;
  Driver.prototype.commitTransaction = function (this: SqliteDriver & PostgresDriver, conn: DatabaseConnection) {
    return around(() => real.call(this, conn));
  };
  return () => {
    Driver.prototype.commitTransaction = real;
  };
}

/** Runs `body` as a describe block once per database engine. */
export function forEachEngine(name: string, body: (engine: Engine) => void): void {
  for (const engine of ['sqlite', 'postgres'] as const) {
    const skip = engine === 'postgres' && !pgUrl ? 'PostgreSQL not available (run `npm test`, which starts one)' : false;
    describe(`${name} [${engine}]`, { skip }, () => body(engine));
  }
}

export interface ApiResponse<T = any> {
  status: number;
  headers: Headers;
  body: T;
}

export interface TestServer {
  parley: Parley;
  url: string;
  /** Domain events delivered so far, in order. */
  events: DomainEvent[];
  api<T = any>(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<ApiResponse<T>>;
  admin<T = any>(method: string, path: string, body?: unknown): Promise<ApiResponse<T>>;
  /** Creates a chat (optionally with a scenario bot) and returns its id. */
  createChat(opts?: { scenario?: unknown; settings?: Record<string, unknown> }): Promise<{ chatId: string; botId: string | null }>;
  /** Stops the server and starts a new one on the same database (a process restart). */
  restart(): Promise<void>;
  close(): Promise<void>;
}

async function freshDatabase(engine: Engine): Promise<{ url: string; drop: () => Promise<void> }> {
  if (engine === 'sqlite') {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'parley-test-'));
    return { url: `sqlite:${path.join(dir, 'test.db')}`, drop: async () => fs.rmSync(dir, { recursive: true, force: true }) };
  }
  const name = `parley_t_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: pgUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(pgUrl!);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const c = new pg.Client({ connectionString: pgUrl });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}

/** A clock tests can move forward. */
export class ManualClock {
  private offset = 0;
  now(): number {
    return Date.now() + this.offset;
  }
  advance(ms: number): void {
    this.offset += ms;
  }
}

export async function startTestServer(engine: Engine, env: Record<string, string> = {}, clock?: ManualClock): Promise<TestServer> {
  const database = await freshDatabase(engine);
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'parley-data-'));
  const config = loadConfig({
    HOST: '127.0.0.1', PORT: '0', DATABASE_URL: database.url, DATA_DIR: dataDir, ADMIN_TOKEN, LOG_LEVEL: 'silent', ...env,
  });
  const logger = pino({ level: process.env.PARLEY_TEST_LOG ?? 'silent' });
  const events: DomainEvent[] = [];
  const boot = async () => {
    const p = await startParley(config, { logger, ...(clock ? { clock } : {}) });
    record(p);
    return p;
  };
  const record = (p: Parley) => p.ctx.bus.register({
    name: 'test-recorder',
    handlers: Object.fromEntries(domainEventTypes.map((t) => [t, (e: DomainEvent) => void events.push(e)])),
  });
  let parley = await boot();
  let url = parley.url;
  const api: TestServer['api'] = async (method, p, body, headers = {}) => {
    const init: RequestInit = { method, headers: { ...headers } };
    if (body !== undefined) {
      init.body = typeof body === 'string' ? body : JSON.stringify(body);
      (init.headers as Record<string, string>)['content-type'] ??= 'application/json';
    }
    const res = await fetch(`${url}${p}`, init);
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch { /* not JSON */ }
    return { status: res.status, headers: res.headers, body: parsed as any };
  };
  const admin: TestServer['admin'] = (method, p, body) => api(method, p, body, { authorization: `Bearer ${ADMIN_TOKEN}` });
  const server: TestServer = {
    parley, url, events, api, admin,
    async createChat(opts = {}) {
      let botId: string | null = null;
      if (opts.scenario !== undefined) {
        const bot = await admin('POST', '/api/v1/bots', { name: 'Test Bot', type: 'scenario', scenario: opts.scenario });
        if (bot.status !== 201) throw new Error(`bot creation failed: ${JSON.stringify(bot.body)}`);
        botId = bot.body.id;
      }
      const chat = await admin('POST', '/api/v1/chats', { name: 'Test chat', botId, ...opts.settings });
      if (chat.status !== 201) throw new Error(`chat creation failed: ${JSON.stringify(chat.body)}`);
      return { chatId: chat.body.id, botId };
    },
    async restart() {
      await parley.close();
      parley = await boot();
      url = parley.url;
      server.parley = parley;
      server.url = url;
    },
    async close() {
      await parley.close();
      await database.drop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
  return server;
}

/** Polls `check` until it returns a value other than undefined, or fails after `ms`. */
export async function eventually<T>(check: () => T | undefined | Promise<T | undefined>, ms = 5000, what = 'condition'): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
