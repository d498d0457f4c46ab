/** SQL for the slowly changing entities: companies, chats, bots, clients, files. */
import type { Insertable, Updateable } from 'kysely';
import type { Executor } from '../tx.js';
import { prepared } from '../prepared.js';
import type { BotRow, BotsTable, ChatRow, ChatsTable, ClientRow, ClientsTable, FileRow } from '../schema.js';

export async function insertCompany(db: Executor, name: string, now: number): Promise<number> {
  const row = await db.insertInto('companies').values({ name, created_at: now }).returning('id').executeTakeFirstOrThrow();
  return row.id;
}

export async function findChat(db: Executor, id: string): Promise<ChatRow | undefined> {
  return db.selectFrom('chats').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function listChats(db: Executor, companyId: number): Promise<ChatRow[]> {
  return db.selectFrom('chats').selectAll().where('company_id', '=', companyId).orderBy('created_at').execute();
}

export async function insertChat(db: Executor, row: Insertable<ChatsTable>): Promise<void> {
  await db.insertInto('chats').values(row).execute();
}

export async function updateChat(db: Executor, id: string, patch: Updateable<ChatsTable>): Promise<void> {
  await db.updateTable('chats').set(patch).where('id', '=', id).execute();
}

export async function findBot(db: Executor, id: string): Promise<BotRow | undefined> {
  return db.selectFrom('bots').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function listBots(db: Executor, companyId: number): Promise<BotRow[]> {
  return db.selectFrom('bots').selectAll().where('company_id', '=', companyId).orderBy('created_at').execute();
}

export async function insertBot(db: Executor, row: Insertable<BotsTable>): Promise<void> {
  await db.insertInto('bots').values(row).execute();
}

export async function updateBot(db: Executor, id: string, patch: Updateable<BotsTable>): Promise<void> {
  await db.updateTable('bots').set(patch).where('id', '=', id).execute();
}

export async function deleteBot(db: Executor, id: string): Promise<void> {
  await db.deleteFrom('bots').where('id', '=', id).execute();
}

export async function chatsUsingBot(db: Executor, botId: string): Promise<number> {
  const row = await db
    .selectFrom('chats')
    .select((eb) => eb.fn.countAll<number | string>().as('n'))
    .where('bot_id', '=', botId)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

const clientById = prepared((db, id: string) => db.selectFrom('clients').selectAll().where('id', '=', id));

export function findClient(db: Executor, id: string): Promise<ClientRow | undefined> {
  return clientById.first(db, id);
}

export async function findClientByExternalId(db: Executor, companyId: number, externalId: string): Promise<ClientRow | undefined> {
  return db
    .selectFrom('clients')
    .selectAll()
    .where('company_id', '=', companyId)
    .where('external_id', '=', externalId)
    .executeTakeFirst();
}

export async function insertClient(db: Executor, row: Insertable<ClientsTable>): Promise<void> {
  await db.insertInto('clients').values(row).execute();
}

export async function updateClient(db: Executor, id: string, patch: Updateable<ClientsTable>): Promise<void> {
  await db.updateTable('clients').set(patch).where('id', '=', id).execute();
}

export async function findFiles(db: Executor, companyId: number, ids: readonly string[]): Promise<FileRow[]> {
  if (ids.length === 0) return [];
  return db.selectFrom('files').selectAll().where('company_id', '=', companyId).where('id', 'in', ids).execute();
}
