/**
 * Prepared queries: a Kysely query built and compiled once per dialect, then run
 * with new parameter values. Building a query (operation-node trees, freezing,
 * the compiler's visitor) costs more than running a simple statement, so the
 * statements of the message path are written once here instead of per call.
 *
 * The builder receives placeholder objects in place of its arguments; after
 * compiling, each SQL parameter that is a placeholder is bound to the argument
 * it stands for. A placeholder that does not end up as exactly one SQL parameter
 * (an array expanded by `in`, a value inlined as a literal) is refused when the
 * query is first compiled.
 */
import type { CompiledQuery, Compilable, Kysely, QueryResult } from 'kysely';
import type { Executor } from './tx.js';
import type { Database } from './schema.js';

/**
 * The SQL of every prepared query, with a statement name: on PostgreSQL these run
 * as named statements, parsed and planned once per connection (see db.ts).
 */
export const statementNames = new Map<string, string>();

class Placeholder {
  constructor(readonly index: number) {}
}

interface Plan {
  sql: string;
  query: CompiledQuery['query'];
  queryId: CompiledQuery['queryId'];
  /** For each SQL parameter: the argument index, or the constant itself. */
  bind: ({ arg: number } | { value: unknown })[];
}

type Args = readonly unknown[];

export interface PreparedQuery<A extends Args, R> {
  /** All rows. */
  all(db: Executor, ...args: A): Promise<R[]>;
  /** The first row, if any. */
  first(db: Executor, ...args: A): Promise<R | undefined>;
  /** Rows inserted, updated or deleted. */
  run(db: Executor, ...args: A): Promise<number>;
  /** SQLite: the rowid of the row inserted. */
  insert(db: Executor, ...args: A): Promise<number>;
}

/**
 * Runs a compiled statement on the connection of an open transaction of the unit of work,
 * without the executor's connection hand-off around each statement. The transaction's
 * connection is its own until it ends, so nothing changes but that: same statement, same
 * connection, same transaction.
 * - SQLite: the statement runs synchronously.
 * - PostgreSQL: the statement is handed to the connection at once, even while others of the
 *   transaction are in flight (Kysely's executor would wait for them), so statements of
 *   units run together leave together, in the order they were called (see tx.ts).
 */
export type DirectRunner = (query: CompiledQuery) => QueryResult<unknown> | Promise<QueryResult<unknown>>;
export const directRunners = new WeakMap<Executor, DirectRunner>();

/** Dialect identity of an executor: its adapter's class (a transaction shares it with its database). */
const dialectOf = (db: Executor): unknown => db.getExecutor().adapter.constructor;

export function prepared<A extends Args, R>(build: (db: Kysely<Database>, ...args: A) => Compilable<R>, arity = build.length - 1): PreparedQuery<A, R> {
  const plans = new Map<unknown, Plan>();
  const plan = (db: Executor): Plan => {
    const key = dialectOf(db);
    let p = plans.get(key);
    if (!p) {
      const holders = Array.from({ length: arity }, (_, i) => new Placeholder(i));
      const compiled = build(db, ...(holders as unknown as A)).compile();
      const seen = new Set<number>();
      const bind = compiled.parameters.map((value) => {
        if (!(value instanceof Placeholder)) return { value };
        seen.add(value.index);
        return { arg: value.index };
      });
      if (seen.size !== arity) throw new Error(`prepared query: an argument is not a plain SQL parameter in ${compiled.sql}`);
      p = { sql: compiled.sql, query: compiled.query, queryId: compiled.queryId, bind };
      plans.set(key, p);
      if (!statementNames.has(p.sql)) statementNames.set(p.sql, `parley_${statementNames.size + 1}`);
    }
    return p;
  };
  const exec = (db: Executor, args: A): Promise<QueryResult<R>> => {
    const p = plan(db);
    const parameters = p.bind.map((b) => ('arg' in b ? args[b.arg] : b.value));
    const query: CompiledQuery<R> = { sql: p.sql, query: p.query, queryId: p.queryId, parameters };
    const direct = directRunners.get(db);
    if (direct) {
      try {
        return Promise.resolve(direct(query) as QueryResult<R> | Promise<QueryResult<R>>);
      } catch (err) {
        return Promise.reject(err);
      }
    }
    return db.executeQuery(query);
  };
  return {
    all: async (db, ...args) => (await exec(db, args)).rows,
    first: async (db, ...args) => (await exec(db, args)).rows[0],
    run: async (db, ...args) => Number((await exec(db, args)).numAffectedRows ?? 0n),
    insert: async (db, ...args) => Number((await exec(db, args)).insertId ?? 0n),
  };
}

/**
 * Prepared queries whose shape depends on how many values they take (an `in` list, a
 * multi-row `INSERT`): one per length, made on first use, up to `max`. Longer lists get
 * none (undefined), and the caller builds its statement per call.
 */
export function preparedBySize<Q>(max: number, make: (n: number) => Q): (n: number) => Q | undefined {
  const bySize = new Map<number, Q>();
  return (n) => {
    if (n < 1 || n > max) return undefined;
    let q = bySize.get(n);
    if (!q) bySize.set(n, (q = make(n)));
    return q;
  };
}

/**
 * A prepared INSERT of whole rows of a table: `insert.run(db, row)` binds the
 * row's values, column by column, to a statement compiled once.
 */
export function preparedInsert<T extends keyof Database & string>(table: T, columns: readonly (keyof Database[T] & string)[]) {
  const q = prepared(
    (db, ...values: unknown[]) => db.insertInto(table).values(Object.fromEntries(columns.map((c, i) => [c, values[i]])) as never),
    columns.length,
  );
  return {
    run: (db: Executor, row: { [K in (typeof columns)[number]]: unknown }) => q.run(db, ...columns.map((c) => row[c])),
    /** SQLite: inserts the row and returns its rowid. */
    insert: (db: Executor, row: { [K in (typeof columns)[number]]: unknown }) => q.insert(db, ...columns.map((c) => row[c])),
  };
}
