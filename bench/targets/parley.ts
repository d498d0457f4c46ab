/**
 * Parley under test, started in a benchmark child process. Fixtures seed what a
 * benchmark needs quickly: operators are inserted with one precomputed password
 * hash and given tokens minted with the server's own key, so that thousands of
 * them cost no KDF runs.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { loadConfig } from '../../packages/server/src/config.js';
import { startParley } from '../../packages/server/src/container.js';
import { hashPassword } from '../../packages/server/src/auth/password.js';
import type { Started } from '../lib/child.js';

export const ADMIN_TOKEN = 'bench-admin-token-0123456789abcdef';

export interface Seeded {
  chatId: string;
  idleChatId: string;
  groupId: number;
  operators: { id: string; token: string }[];
}

export async function start(params: { pgUrl?: string }): Promise<Started> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'parley-bench-'));
  const config = loadConfig({
    HOST: '127.0.0.1', PORT: '0', DATA_DIR: dir, ADMIN_TOKEN, LOG_LEVEL: 'silent',
    DATABASE_URL: params.pgUrl ?? '', BODY_LIMIT_BYTES: '1048576',
    // BENCH_COMMIT_GATHER_MS: Parley's COMMIT_GATHER_MS, for measuring with another wait (0: none).
    ...(process.env.BENCH_COMMIT_GATHER_MS ? { COMMIT_GATHER_MS: process.env.BENCH_COMMIT_GATHER_MS } : {}),
  });
  const parley = await startParley(config, { logger: pino({ level: 'silent' }) });
  const api = async (method: string, p: string, body?: unknown) => {
    const res = await fetch(`${parley.url}${p}`, { method, headers: { 'content-type': 'application/json', authorization: `Bearer ${ADMIN_TOKEN}` }, body: body === undefined ? undefined : JSON.stringify(body) });
    const json = (await res.json()) as any;
    if (!res.ok) throw new Error(`${method} ${p}: ${res.status} ${JSON.stringify(json)}`);
    return json;
  };
  const db = parley.ctx.db.kysely;

  /** A chat served by one group of `operators` (no bot), and an idle chat whose bot keeps every session. */
  async function seed(args: { operators: number; sessionLimit: number; role?: 'ADMIN' | 'OPERATOR' }): Promise<Seeded> {
    const role = args.role ?? 'OPERATOR';
    const chat = await api('POST', '/api/v1/chats', { name: 'Bench', operatorsBusyMessage: '' });
    const bot = await api('POST', '/api/v1/bots', {
      name: 'Idle', type: 'scenario',
      scenario: { start: 'hi', handoffKeywords: [], nodes: { hi: { type: 'question', text: 'Hi', next: 'hi' } } },
    });
    const idleChat = await api('POST', '/api/v1/chats', { name: 'Idle', botId: bot.id });
    const group = await api('POST', '/api/v1/groups', { name: 'Bench', sessionLimit: args.sessionLimit, chatIds: [chat.id] });
    const hash = await hashPassword('bench-password');
    const now = Date.now();
    const operators: Seeded['operators'] = [];
    const stamp = Math.random().toString(36).slice(2, 8);
    for (let i = 0; i < args.operators; i += 200) {
      const rows = Array.from({ length: Math.min(200, args.operators - i) }, (_, k) => ({
        company_id: parley.companyId, email: `op${i + k}.${stamp}@bench.test`, password_hash: hash, name: `Operator ${i + k}`,
        role, avatar_file_id: null, status: 'ACTIVE' as const, blocked: 0, token_version: 0,
        last_assigned_at: null, created_at: now, updated_at: now,
      }));
      const ids = await db.insertInto('operators').values(rows).returning('id').execute();
      await db.insertInto('group_operators').values(ids.map((r) => ({ group_id: group.id, operator_id: r.id }))).execute();
      for (const r of ids) {
        operators.push({ id: String(r.id), token: await parley.tokens.issue({ operatorId: r.id, companyId: parley.companyId, role, version: 0 }, 86_400) });
      }
    }
    return { chatId: chat.id, idleChatId: idleChat.id, groupId: group.id, operators };
  }

  return {
    url: parley.url,
    info: { engine: parley.ctx.db.dialect },
    fixtures: {
      seed,
      settle: () => parley.settle(),
      counts: async () => ({
        widgets: parley.io.engine.clientsCount,
        operators: parley.live.online().length,
      }),
    },
    close: async () => {
      await parley.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
