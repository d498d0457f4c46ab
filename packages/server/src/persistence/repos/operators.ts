/** SQL for operators and groups. */
import type { Insertable } from 'kysely';
import type { Executor } from '../tx.js';
import { prepared, preparedBySize } from '../prepared.js';
import type { Db } from '../db.js';
import type { GroupRow, OperatorGroupsTable, OperatorRow, OperatorsTable } from '../schema.js';

export async function insertOperator(db: Executor, row: Insertable<OperatorsTable>): Promise<number> {
  const r = await db.insertInto('operators').values(row).returning('id').executeTakeFirstOrThrow();
  return r.id;
}

const operatorById = prepared((db, id: number) => db.selectFrom('operators').selectAll().where('id', '=', id));

export function findOperator(db: Executor, id: number): Promise<OperatorRow | undefined> {
  return operatorById.first(db, id);
}

const operatorsByIds = preparedBySize(32, (n) =>
  prepared((db, ...ids: number[]) => db.selectFrom('operators').selectAll().where('id', 'in', ids), n));

/**
 * Reads operator rows by id for request authentication. On PostgreSQL the reads asked for in
 * one turn of the event loop share one query (`id in (…)`), sent after the last of them was
 * asked for, so each request still sees every change committed before it arrived. On SQLite,
 * whose reads cost no round trip, each is read at once.
 */
export function operatorReader(db: Db): (id: number) => Promise<OperatorRow | undefined> {
  if (db.dialect === 'sqlite') return (id) => findOperator(db.kysely, id);
  let waiting = new Map<number, { resolve: (row: OperatorRow | undefined) => void; reject: (err: unknown) => void }[]>();
  const read = async (ids: number[]): Promise<OperatorRow[]> => {
    const rows: OperatorRow[] = [];
    for (let i = 0; i < ids.length; i += 32) {
      const part = ids.slice(i, i + 32);
      rows.push(...await operatorsByIds(part.length)!.all(db.kysely, ...part));
    }
    return rows;
  };
  const flush = () => {
    const batch = waiting;
    waiting = new Map();
    read([...batch.keys()]).then((rows) => {
      const byId = new Map(rows.map((r) => [r.id, r]));
      for (const [id, callers] of batch) for (const c of callers) c.resolve(byId.get(id));
    }, (err: unknown) => {
      for (const callers of batch.values()) for (const c of callers) c.reject(err);
    });
  };
  return (id) => new Promise((resolve, reject) => {
    if (waiting.size === 0) setImmediate(flush);
    const callers = waiting.get(id);
    if (callers) callers.push({ resolve, reject });
    else waiting.set(id, [{ resolve, reject }]);
  });
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
