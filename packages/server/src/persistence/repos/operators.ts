/** SQL for operators and groups. */
import type { Insertable } from 'kysely';
import type { Executor } from '../tx.js';
import { prepared } from '../prepared.js';
import type { GroupRow, OperatorGroupsTable, OperatorRow, OperatorsTable } from '../schema.js';

export async function insertOperator(db: Executor, row: Insertable<OperatorsTable>): Promise<number> {
  const r = await db.insertInto('operators').values(row).returning('id').executeTakeFirstOrThrow();
  return r.id;
}

const operatorById = prepared((db, id: number) => db.selectFrom('operators').selectAll().where('id', '=', id));

export function findOperator(db: Executor, id: number): Promise<OperatorRow | undefined> {
  return operatorById.first(db, id);
}

export async function findOperatorByEmail(db: Executor, email: string): Promise<OperatorRow | undefined> {
  return db.selectFrom('operators').selectAll().where('email', '=', email.trim().toLowerCase()).executeTakeFirst();
}

export async function findOperators(db: Executor, companyId: number, ids: readonly number[]): Promise<OperatorRow[]> {
  if (ids.length === 0) return [];
  return db.selectFrom('operators').selectAll().where('company_id', '=', companyId).where('id', 'in', ids).execute();
}

export async function insertGroup(db: Executor, row: Insertable<OperatorGroupsTable>): Promise<number> {
  const r = await db.insertInto('operator_groups').values(row).returning('id').executeTakeFirstOrThrow();
  return r.id;
}

export async function findGroup(db: Executor, id: number): Promise<GroupRow | undefined> {
  return db.selectFrom('operator_groups').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function setGroupMembers(db: Executor, groupId: number, operatorIds: readonly number[]): Promise<void> {
  await db.deleteFrom('group_operators').where('group_id', '=', groupId).execute();
  if (operatorIds.length > 0) {
    await db.insertInto('group_operators').values(operatorIds.map((operator_id) => ({ group_id: groupId, operator_id }))).execute();
  }
}

export async function setChatGroups(db: Executor, chatId: string, groupIds: readonly number[]): Promise<void> {
  await db.deleteFrom('chat_groups').where('chat_id', '=', chatId).execute();
  if (groupIds.length > 0) {
    await db.insertInto('chat_groups').values(groupIds.map((group_id) => ({ chat_id: chatId, group_id }))).execute();
  }
}
