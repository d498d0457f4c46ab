/**
 * The seeded demo: a chat served by the demo scenario bot, a support group with an
 * admin and two operators, created once on an empty database. Their passwords are
 * random, kept in DATA_DIR/demo-credentials.json (mode 0600) and printed in the banner.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Parley } from './container.js';
import { listChats } from './persistence/repos/directory.js';
import { findOperatorByEmail, insertGroup, insertOperator, setChatGroups, setGroupMembers } from './persistence/repos/operators.js';
import { saveBot, saveChat } from './commands/admin.js';
import { hashPassword } from './auth/password.js';
import { demoScenario } from './bot/scenario/index.js';

export interface DemoAccount {
  role: 'ADMIN' | 'OPERATOR';
  name: string;
  email: string;
  password: string;
}

export interface DemoInfo {
  chatId: string;
  botId: string;
  accounts: DemoAccount[];
}

const DEMO_CHAT = 'Demo chat';

const ACCOUNTS: Omit<DemoAccount, 'password'>[] = [
  { role: 'ADMIN', name: 'Demo Admin', email: 'admin@parley.demo' },
  { role: 'OPERATOR', name: 'Анна Оператор', email: 'anna@parley.demo' },
  { role: 'OPERATOR', name: 'Boris Operator', email: 'boris@parley.demo' },
];

/**
 * Creates what is missing of the demo and makes sure the credentials file matches
 * the accounts: run it on every `npm start`, on any database.
 */
export async function seedDemo(p: Parley): Promise<DemoInfo> {
  const { ctx, companyId } = p;
  const file = path.join(ctx.config.dataDir, 'demo-credentials.json');
  const saved = fs.existsSync(file) ? (JSON.parse(fs.readFileSync(file, 'utf8')) as DemoAccount[]) : [];
  const chats = await listChats(ctx.db.kysely, companyId);
  let chat = chats.find((c) => c.name === DEMO_CHAT && c.bot_id);
  if (!chat) {
    const bot = await saveBot(ctx, companyId, { name: 'Parley Demo Bot', type: 'scenario', scenario: demoScenario });
    chat = await saveChat(ctx, companyId, {
      name: DEMO_CHAT,
      botId: bot.id,
      operatorsBusyMessage: 'Все операторы заняты, пожалуйста, подождите. / All operators are busy, please wait.',
    });
  }
  const chatId = chat.id;
  const now = ctx.clock.now();
  const accounts: DemoAccount[] = [];
  await ctx.uow.run(async (tx) => {
    const ids: number[] = [];
    for (const a of ACCOUNTS) {
      const known = saved.find((s) => s.email === a.email);
      const existing = await findOperatorByEmail(tx.db, a.email);
      // Keep a password we can still show; otherwise set a new one.
      const password = existing && known ? known.password : randomBytes(9).toString('base64url');
      if (existing) {
        if (!known) await tx.db.updateTable('operators').set({ password_hash: await hashPassword(password), updated_at: now }).where('id', '=', existing.id).execute();
        ids.push(existing.id);
      } else {
        ids.push(await insertOperator(tx.db, {
          company_id: companyId, email: a.email, password_hash: await hashPassword(password), name: a.name, role: a.role,
          avatar_file_id: null, status: 'OFFLINE', blocked: 0, token_version: 0, last_assigned_at: null, created_at: now, updated_at: now,
        }));
      }
      accounts.push({ ...a, password });
    }
    const served = await tx.db.selectFrom('chat_groups').select('group_id').where('chat_id', '=', chatId).executeTakeFirst();
    if (!served) {
      const group = await insertGroup(tx.db, {
        company_id: companyId, name: 'Support', timer_first_answer: 60, timer_next_answers: 120, session_limit: 5, created_at: now, updated_at: now,
      });
      await setGroupMembers(tx.db, group, ids);
      await setChatGroups(tx.db, chatId, [group]);
    }
  });
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, JSON.stringify(accounts, null, 2), { mode: 0o600 });
  return { chatId, botId: chat.bot_id!, accounts };
}

export function banner(p: Parley, demo: DemoInfo): string {
  const base = p.ctx.config.publicUrl;
  const token = p.ctx.config.adminTokenGenerated ? `${p.ctx.config.adminToken}  (generated; set ADMIN_TOKEN to fix it)` : '(the ADMIN_TOKEN you set)';
  return [
    '',
    '  Parley is running',
    `  database        ${p.ctx.db.dialect}${p.ctx.config.database.kind === 'sqlite' ? ` (${p.ctx.config.database.file})` : ''}`,
    `  demo page       ${base}/            (the chat widget, talking to the demo bot)`,
    `  console         ${base}/console/    (sign in with an account below)`,
    `  API             ${base}/api/v1`,
    `  API docs        ${base}/docs`,
    `  health          ${base}/healthz`,
    `  client socket   ${base}/operator/socket.io/?key=<sessionId>`,
    `  operator socket ${base.replace(/^http/, 'ws')}/centrifugo/connection/websocket`,
    `  demo chat id    ${demo.chatId}`,
    `  demo bot id     ${demo.botId}`,
    `  admin token     ${token}`,
    '  accounts        (group "Support" serves the demo chat)',
    ...demo.accounts.map((a) => `    ${a.role.padEnd(8)} ${a.email.padEnd(20)} password ${a.password}   ${a.name}`),
    '',
    '  Try it:',
    `    curl -s -X POST ${base}/api/v1/chats/${demo.chatId}/sessions -H 'content-type: application/json' -d '{"clientName":"Ann"}'`,
    '',
  ].join('\n');
}
