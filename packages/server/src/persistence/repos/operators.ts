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

/** SQLite: how many operator rows {@link operatorReader} keeps at most. */
const KEPT_OPERATORS = 4096;
/** SQLite: how long a kept operator row is used before it is read again (changes made outside the process). */
const KEPT_OPERATOR_MS = 10_000;

/**
 * SQLite: operator rows kept in the process, each dropped as the database changes it. A read
 * outside a transaction costs more here than the rest of authenticating a request: taking and
 * releasing the WAL read lock is two system calls, and the read about 17 µs of the core per operator request
 * in B4 (docs/performance.md, "The operator row of each request").
 * - Every UPDATE or DELETE of an operator row drops that row, as the statement runs
 *   ({@link Db.watchOperators}), whichever code runs it, before its transaction commits.
 * - A read that a change overtook (it began before the change and ended after) is not kept.
 *   Reads run outside transactions, so what one returns was committed: once a block or a
 *   logout has committed, the next request reads it.
 * - Rows are frozen: callers share them.
 * - A row is read again after {@link KEPT_OPERATOR_MS}, so that a change made by another
 *   process (the sqlite3 shell) takes effect within that time.
 */
function keptOperators(db: Db, now: () => number): (id: number) => Promise<OperatorRow | undefined> {
  const kept = new Map<number, { row: OperatorRow; at: number }>();
  let changes = 0;
  db.watchOperators!((id) => {
    changes++;
    kept.delete(id);
  });
  return async (id) => {
    const hit = kept.get(id);
    const at = now();
    if (hit && at - hit.at < KEPT_OPERATOR_MS) return hit.row;
    const before = changes;
    const row = await findOperator(db.kysely, id);
    if (!row || changes !== before) return row;
    if (kept.size >= KEPT_OPERATORS) kept.delete(kept.keys().next().value!);
    kept.delete(id);
    kept.set(id, { row: Object.freeze(row), at });
    return row;
  };
}

/**
 * Reads operator rows by id for request authentication, each request seeing every change
 * committed before it arrived. On PostgreSQL the reads asked for in one turn of the event loop
 * share one query (`id in (…)`), sent after the last of them was asked for. On SQLite rows are
 * kept in the process and dropped as they change ({@link keptOperators}).
 */
export function operatorReader(db: Db, now: () => number = Date.now): (id: number) => Promise<OperatorRow | undefined> {
  if (db.dialect === 'sqlite') return keptOperators(db, now);
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
