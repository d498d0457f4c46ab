/**
 * The seeded demo: a chat served by the demo scenario bot, created once on an
 * empty database, and the banner that tells a new user where everything is.
 */
import type { Parley } from './container.js';
import { listChats } from './persistence/repos/directory.js';
import { saveBot, saveChat } from './commands/admin.js';
import { demoScenario } from './bot/scenario/index.js';

export interface DemoInfo {
  chatId: string;
  botId: string;
}

export async function seedDemo(p: Parley): Promise<DemoInfo> {
  const existing = (await listChats(p.ctx.db.kysely, p.companyId))[0];
  if (existing?.bot_id) return { chatId: existing.id, botId: existing.bot_id };
  const bot = await saveBot(p.ctx, p.companyId, { name: 'Parley Demo Bot', type: 'scenario', scenario: demoScenario });
  const chat = await saveChat(p.ctx, p.companyId, {
    name: 'Demo chat',
    botId: bot.id,
    operatorsBusyMessage: 'Все операторы заняты, пожалуйста, подождите. / All operators are busy, please wait.',
  });
  return { chatId: chat.id, botId: bot.id };
}

export function banner(p: Parley, demo: DemoInfo): string {
  const base = p.ctx.config.publicUrl;
  const token = p.ctx.config.adminTokenGenerated ? `${p.ctx.config.adminToken}  (generated; set ADMIN_TOKEN to fix it)` : '(the ADMIN_TOKEN you set)';
  return [
    '',
    '  Parley is running',
    `  database        ${p.ctx.db.dialect}${p.ctx.config.database.kind === 'sqlite' ? ` (${p.ctx.config.database.file})` : ''}`,
    `  API             ${base}/api/v1`,
    `  API docs        ${base}/docs`,
    `  health          ${base}/healthz`,
    `  client socket   ${base}/operator/socket.io/?key=<sessionId>`,
    `  demo chat id    ${demo.chatId}`,
    `  demo bot id     ${demo.botId}`,
    `  admin token     ${token}`,
    '',
    '  Try it:',
    `    curl -s -X POST ${base}/api/v1/chats/${demo.chatId}/sessions -H 'content-type: application/json' -d '{"clientName":"Ann"}'`,
    '',
  ].join('\n');
}
