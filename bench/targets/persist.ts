/**
 * B3, Parley's side: the message persistence path in process, without HTTP and
 * without subscribers. Each message is parsed and validated against the route's
 * schema, then stored by `postClientMessage`: the session check, the sequence
 * number under the session row lock, the message row and the outbox event in one
 * transaction, and the outbox clean-up after delivery.
 * `prepare` also builds the database the peers write to (same schema, same session).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { Ajv } from 'ajv';
import addFormats from 'ajv-formats';
import { PostMessageBody } from '@parley/protocol';
import { loadConfig } from '../../packages/server/src/config.js';
import type { AppContext } from '../../packages/server/src/context.js';
import { systemClock } from '../../packages/server/src/domain/time.js';
import { EventBus } from '../../packages/server/src/events/bus.js';
import { migrate, openDb } from '../../packages/server/src/persistence/db.js';
import { createUnitOfWork, forgetDelivered } from '../../packages/server/src/persistence/tx.js';
import { insertCompany } from '../../packages/server/src/persistence/repos/directory.js';
import { operatorAvatars } from '../../packages/server/src/queries/avatars.js';
import { BotRunner } from '../../packages/server/src/bot/runner.js';
import { scenarioProvider } from '../../packages/server/src/bot/scenarioProvider.js';
import { webhookProvider } from '../../packages/server/src/bot/webhookProvider.js';
import { startSession } from '../../packages/server/src/commands/startSession.js';
import { postClientMessage } from '../../packages/server/src/commands/clientActions.js';

export interface PersistParams {
  /** SQLite file, or a PostgreSQL URL. */
  database: string;
  /** Messages timed, in all (each writer its share). */
  messages: number;
  /** Messages written first, untimed, in all: the code is compiled and the caches warm before the clock starts. */
  warmup: number;
  writers: number;
}

async function context(database: string): Promise<AppContext> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'parley-b3-'));
  const config = loadConfig({ DATA_DIR: dir, LOG_LEVEL: 'silent', ADMIN_TOKEN: 'bench-admin-token-0123456789abcdef', DATABASE_URL: database.startsWith('postgres') ? database : '' });
  const db = openDb(database.startsWith('postgres') ? config.database : { kind: 'sqlite', file: database });
  await migrate(db);
  const log = pino({ level: 'silent' });
  const bus = new EventBus(log, forgetDelivered(db));
  const ctx: AppContext = { config, db, uow: createUnitOfWork(db, bus, () => Date.now()), bus, clock: systemClock, log, avatars: operatorAvatars(() => config.publicUrl) };
  return ctx;
}

/** Creates the schema, a chat and one open session per writer; returns the session ids. */
export async function prepare(database: string, writers: number): Promise<string[]> {
  const ctx = await context(database);
  const now = Date.now();
  const companyId = await insertCompany(ctx.db.kysely, 'Bench', now);
  const chatId = 'b3-chat';
  await ctx.db.kysely.insertInto('chats').values({
    id: chatId, company_id: companyId, name: 'B3', bot_id: null, session_ttl: 3600, operators_busy_message: '',
    allowable_operator_idle_time: 0, timer_first_answer: 0, timer_next_answers: 0, answer_on_first_client_message: 0,
    settings: '{}', created_at: now, updated_at: now,
  }).execute();
  const bots = new BotRunner(ctx, { scenario: scenarioProvider, webhook: webhookProvider(1000, ctx.log) });
  const ids: string[] = [];
  for (let i = 0; i < writers; i++) ids.push((await startSession(ctx, bots, { chatId, body: { clientName: `Writer ${i}` }, clientIp: null, mode: 'start' })).response.id);
  await ctx.bus.idle();
  await ctx.db.close();
  return ids;
}

export async function run(p: PersistParams & { sessions: string[] }): Promise<{ messages: number; seconds: number; perSec: number }> {
  const ctx = await context(p.database);
  const ajv = new Ajv({ allErrors: true, strict: false, coerceTypes: false, removeAdditional: true });
  addFormats.default(ajv);
  const validate = ajv.compile(PostMessageBody);
  const write = async (from: number, total: number) => {
    await Promise.all(p.sessions.map(async (sessionId, w) => {
      for (let i = from; i < from + Math.floor(total / p.writers); i++) {
        const body: unknown = JSON.parse(JSON.stringify({ body: `writer ${w} message ${i}` }));
        if (!validate(body)) throw new Error('invalid body');
        await postClientMessage(ctx, sessionId, body as PostMessageBody, undefined);
      }
    }));
    await ctx.bus.idle();
  };
  await write(0, p.warmup);
  const perWriter = Math.floor(p.messages / p.writers);
  const t0 = performance.now();
  await write(p.warmup, p.messages);
  const seconds = (performance.now() - t0) / 1000;
  await ctx.db.close();
  return { messages: perWriter * p.writers, seconds, perSec: (perWriter * p.writers) / seconds };
}
