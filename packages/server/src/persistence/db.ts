/**
 * Database construction for both engines and start-up migrations.
 * SQLite (better-sqlite3, WAL) is the embedded default; PostgreSQL (pg) when DATABASE_URL says so.
 */
import fs from 'node:fs';
import type { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import pg from 'pg';
import {
  Kysely, Migrator, PostgresDialect, SqliteDialect, sql, type CompiledQuery, type DatabaseConnection, type Driver, type Migration, type MigrationProvider,
  type QueryResult, type SqliteDatabase, type SqliteStatement, type TransactionSettings,
} from 'kysely';
import type { Config } from '../config.js';
import type { Database } from './schema.js';
import * as m001 from './migrations/001_initial.js';
import * as m002 from './migrations/002_operators.js';
import * as m003 from './migrations/003_write_path.js';
import * as m004 from './migrations/004_audience.js';
import * as m005 from './migrations/005_statistics.js';
import * as m006 from './migrations/006_delivery_cursor.js';
import { statementNames, type DirectRunner } from './prepared.js';
import { startCheckpointer, type Checkpointer } from './checkpointer.js';
import { DeliveryCursor } from './deliveryCursor.js';

export type Dialect = 'sqlite' | 'postgres';

export interface Db {
  readonly kysely: Kysely<Database>;
  readonly dialect: Dialect;
  /**
   * Reads made while delivering committed events (who receives a publication).
   * On PostgreSQL a pool of its own, so live delivery never queues behind the
   * request transactions waiting for the main pool; on SQLite the same connection.
   */
  readonly delivery: Kysely<Database>;
  /**
   * Where the unit of work runs its transactions. On PostgreSQL a pool of its own whose
   * connections wait between transactions with the next one already begun (see
   * {@link TransactionPool}); on SQLite the same connection.
   */
  readonly transactions: Kysely<Database>;
  /** SQLite: runs a statement on the one connection, synchronously (see prepared.ts). */
  readonly direct: DirectRunner | null;
  /** SQLite: which stored messages are not yet delivered (see deliveryCursor.ts); null on PostgreSQL. */
  readonly cursor: DeliveryCursor | null;
  /**
   * SQLite: has `listener` called with the id of every operator row a statement of this
   * process updates or deletes, while that statement runs (inside its transaction, whether
   * that commits or not). Null on PostgreSQL. Throws before {@link migrate} has run.
   */
  readonly watchOperators: ((listener: (id: number) => void) => void) | null;
  /** Runs a trivial query; used by the health check. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

const migrations: Record<string, { up: (db: Kysely<unknown>, d: Dialect) => Promise<void> }> = {
  '001_initial': m001,
  '002_operators': m002,
  '003_write_path': m003,
  '004_audience': m004,
  '005_statistics': m005,
  '006_delivery_cursor': m006,
};

/**
 * better-sqlite3 behind a prepared-statement cache: Kysely prepares every query it
 * runs, and preparing costs more than running. Statements are reused only when idle
 * (better-sqlite3 is synchronous; Kysely streams nothing here).
 */
function cachedStatements(conn: SQLite.Database, max = 500): SqliteDatabase {
  const cache = new Map<string, SqliteStatement>();
  return {
    close: () => conn.close(),
    prepare(text: string): SqliteStatement {
      let stmt = cache.get(text);
      if (stmt) {
        cache.delete(text);
      } else {
        stmt = conn.prepare(text) as unknown as SqliteStatement;
        if (cache.size >= max) cache.delete(cache.keys().next().value!);
      }
      cache.set(text, stmt);
      return stmt;
    },
  };
}

type QueryFn = (text: unknown, ...rest: unknown[]) => Promise<unknown>;
type Queryable = { query: QueryFn };

/**
 * Runs a named statement. Given a config object (`{ name, text, values }`), pg copies it
 * property by property (`getOwnPropertyDescriptors`) before reading it, which cost about 8 µs
 * of the server core per message in B5 (docs/performance.md, "Bursts in B5 on PostgreSQL"). A query
 * object built from the text and values, with its name set, is submitted as it is.
 */
function namedQuery(query: QueryFn, name: string, text: string, values: unknown[]): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const q = new pg.Query(text, values, (err: Error | undefined, res: unknown) => (err ? reject(err) : resolve(res)));
    (q as unknown as { name: string }).name = name;
    void query(q);
  });
}

/**
 * A pg pool whose connections run the prepared queries' SQL as named statements:
 * PostgreSQL parses and plans each once per connection instead of on every call.
 */
class NamedStatementPool extends pg.Pool {
  private readonly wrapped = new WeakSet<pg.PoolClient>();

  override connect(): Promise<pg.PoolClient>;
  override connect(callback: (err: Error | undefined, client: pg.PoolClient | undefined, done: (release?: unknown) => void) => void): void;
  override connect(callback?: (err: Error | undefined, client: pg.PoolClient | undefined, done: (release?: unknown) => void) => void): Promise<pg.PoolClient> | void {
    if (callback) return super.connect((err, client, done) => callback(err, client && this.wrap(client), done));
    return super.connect().then((client) => this.wrap(client));
  }

  private wrap(client: pg.PoolClient): pg.PoolClient {
    if (this.wrapped.has(client)) return client;
    this.wrapped.add(client);
    const query = client.query.bind(client) as QueryFn;
    const named: QueryFn = (text, ...rest) => {
      const name = typeof text === 'string' && rest.length === 1 ? statementNames.get(text) : undefined;
      return name === undefined ? query(text, ...rest) : namedQuery(query, name, text as string, rest[0] as unknown[]);
    };
    (client as unknown as Queryable).query = this.around(client, named);
    return client;
  }

  /** What a connection of this pool does with a query, given the named-statement runner. */
  protected around(_client: pg.PoolClient, named: QueryFn): QueryFn {
    return named;
  }
}

/**
 * How often at most a unit-of-work connection ends its transaction block so that its backend
 * reports table statistics; PostgreSQL itself reports at most once a second per backend.
 */
const STATISTICS_REPORT_MS = 1_000;

/** The answer to a `begin` that needs no round trip: the connection is in a transaction already. */
const begun = { command: 'BEGIN', rowCount: null, rows: [], fields: [], oid: 0 };
/** The answer to a COMMIT that completed when what followed it in the same query failed. */
const committedAnswer = { command: 'COMMIT', rowCount: null, rows: [], fields: [], oid: 0 };

/**
 * The unit of work's connections (PostgreSQL). Each ends a transaction and begins the next in
 * one round trip (`commit; begin`, `rollback; begin`, one simple query), so the BEGIN of the
 * next transaction on that connection costs nothing: the connection waits between uses in an
 * empty transaction block, which holds no snapshot and no lock (statements take their own
 * snapshot under READ COMMITTED) and is rolled back when the connection closes. Once a second
 * at most the COMMIT goes alone, so that the backend reports its table statistics. The pool hands
 * these connections only to the unit of work, so no statement outside a transaction ever runs
 * on one. Its clients run in pg's pipeline mode, so a query sent while another is in flight
 * goes out at once: the unit of work sends the statements of units run together, and its outbox
 * INSERT and the COMMIT, back to back.
 */
class TransactionPool extends NamedStatementPool {
  protected override around(client: pg.PoolClient, named: QueryFn): QueryFn {
    const status = () => (client as unknown as { getTransactionStatus(): string | null }).getTransactionStatus();
    // What is sent in one turn of the event loop (the outbox INSERT and the COMMIT behind it)
    // leaves in one write.
    const { connection } = client as unknown as { connection: EventEmitter & { stream: Socket } };
    const { stream } = connection;
    let corked = false;
    const uncork = () => {
      corked = false;
      stream.uncork();
    };
    // When the last COMMIT sent alone was answered (see `case 'commit'`).
    let reportedAt = Date.now();
    return (text, ...rest) => {
      if (!corked) {
        corked = true;
        stream.cork();
        process.nextTick(uncork);
      }
      switch (text) {
        // 'T': in a transaction block with no statement yet (the unit of work begins only on a fresh
        // or ended transaction). Any other state ('I' on a new connection or after a refused COMMIT)
        // begins for real; a failed one ('E') is rolled back first.
        case 'begin':
          if (status() === 'T') return Promise.resolve(begun);
          return status() === 'E' ? named('rollback; begin') : named(text, ...rest);
        case 'commit': {
          // A backend reports its table statistics (what autovacuum and automatic ANALYZE go by)
          // only when it waits outside a transaction block, which these connections never did:
          // the tables they write looked untouched. So, once a second at most, the COMMIT goes
          // alone; the backend reports as it waits, and the connection's next transaction
          // begins with a BEGIN of its own (the 'I' state above).
          const alone = Date.now() - reportedAt >= STATISTICS_REPORT_MS;
          // An error after the COMMIT's own completion (a BEGIN that fails, the backend terminated
          // between the two) must not read as a refused COMMIT: the transaction is committed.
          let committed = false;
          const onComplete = (msg: { text: string }) => {
            if (msg.text === 'COMMIT') committed = true;
          };
          connection.on('commandComplete', onComplete);
          return named(alone ? 'commit' : 'commit; begin').then((results) => {
            connection.off('commandComplete', onComplete);
            // PostgreSQL reports before it answers, so the next report is a full interval later.
            if (alone) reportedAt = Date.now();
            const commit = alone ? results as pg.QueryResult : (results as pg.QueryResult[])[0]!;
            // PostgreSQL answers COMMIT in a failed transaction with ROLLBACK and no error: a
            // statement of it failed, which its own caller is told; here it is a refused commit.
            if (commit.command !== 'COMMIT') throw new pg.DatabaseError('the transaction was rolled back: a statement in it failed', 0, 'error');
            return commit;
          }, (err: unknown) => {
            connection.off('commandComplete', onComplete);
            if (committed) return committedAnswer;
            throw err;
          });
        }
        case 'rollback':
          return named('rollback; begin').then((results) => (results as pg.QueryResult[])[0]);
        default:
          return named(text, ...rest);
      }
    };
  }
}

/**
 * A connection of the unit of work's pool (PostgreSQL) as Kysely sees it, counting the
 * statements handed to it. Read before and after a synchronous call, the count tells whether
 * that call put a statement on the connection. BEGIN, COMMIT and ROLLBACK are not counted.
 */
export class TransactionConnection implements DatabaseConnection {
  statements = 0;
  constructor(readonly inner: DatabaseConnection) {}

  executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
    this.statements++;
    return this.inner.executeQuery(query);
  }

  streamQuery<R>(query: CompiledQuery, chunkSize?: number): AsyncIterableIterator<QueryResult<R>> {
    this.statements++;
    return this.inner.streamQuery(query, chunkSize);
  }
}

/** Kysely's PostgreSQL driver, handing out {@link TransactionConnection}s. */
class TransactionDriver implements Driver {
  private readonly counted = new WeakMap<DatabaseConnection, TransactionConnection>();
  constructor(private readonly inner: Driver) {}

  init(): Promise<void> {
    return this.inner.init();
  }

  async acquireConnection(): Promise<DatabaseConnection> {
    const conn = await this.inner.acquireConnection();
    let counted = this.counted.get(conn);
    if (!counted) this.counted.set(conn, (counted = new TransactionConnection(conn)));
    return counted;
  }

  beginTransaction(conn: DatabaseConnection, settings: TransactionSettings): Promise<void> {
    return this.inner.beginTransaction(innerOf(conn), settings);
  }

  commitTransaction(conn: DatabaseConnection): Promise<void> {
    return this.inner.commitTransaction(innerOf(conn));
  }

  rollbackTransaction(conn: DatabaseConnection): Promise<void> {
    return this.inner.rollbackTransaction(innerOf(conn));
  }

  releaseConnection(conn: DatabaseConnection): Promise<void> {
    return this.inner.releaseConnection(innerOf(conn));
  }

  destroy(): Promise<void> {
    return this.inner.destroy();
  }
}
const innerOf = (conn: DatabaseConnection) => (conn instanceof TransactionConnection ? conn.inner : conn);

class TransactionDialect extends PostgresDialect {
  override createDriver(): Driver {
    return new TransactionDriver(super.createDriver());
  }
}

/**
 * SQLite: the database reports changes to operator rows to the process. Temporary triggers (this
 * connection's own, never stored in the file) call a function of the process for each row an
 * UPDATE or DELETE touches, whichever code runs it. {@link migrate} creates them once it has
 * migrated to the latest schema, while no transaction is open: created inside a transaction, they
 * would go with its rollback.
 */
function operatorWatch(conn: SQLite.Database): { install: () => void; watch: NonNullable<Db['watchOperators']> } {
  const listeners: ((id: number) => void)[] = [];
  let installed = false;
  conn.function('parley_operator_changed', (id: unknown) => {
    for (const l of listeners) l(Number(id));
    return null;
  });
  return {
    install() {
      if (conn.inTransaction) throw new Error('operator triggers: a transaction is open');
      conn.exec(`
        create temp trigger if not exists parley_operator_updated after update on main.operators
          begin select parley_operator_changed(old.id); end;
        create temp trigger if not exists parley_operator_deleted after delete on main.operators
          begin select parley_operator_changed(old.id); end;`);
      installed = true;
    },
    watch(listener) {
      if (!installed) throw new Error('operator changes are watched once the schema is migrated');
      listeners.push(listener);
    },
  };
}

/** SQLite: what {@link migrate} installs on the connection after the last migration. */
const afterMigration = new WeakMap<Db, () => void>();

/** Opens the configured database. Does not migrate; call {@link migrate}. */
export function openDb(database: Config['database']): Db {
  let kysely: Kysely<Database>;
  let delivery: Kysely<Database>;
  let transactions: Kysely<Database>;
  let dialect: Dialect;
  let direct: DirectRunner | null = null;
  let cursor: DeliveryCursor | null = null;
  let checkpointer: Checkpointer | null = null;
  let watchOperators: Db['watchOperators'] = null;
  let operators: ReturnType<typeof operatorWatch> | null = null;
  if (database.kind === 'sqlite') {
    fs.mkdirSync(path.dirname(database.file), { recursive: true });
    const conn = new SQLite(database.file);
    conn.pragma('journal_mode = WAL');
    conn.pragma('synchronous = NORMAL');
    conn.pragma('foreign_keys = ON');
    conn.pragma('busy_timeout = 5000');
    checkpointer = startCheckpointer(conn, database.file);
    const statements = cachedStatements(conn);
    kysely = new Kysely<Database>({ dialect: new SqliteDialect({ database: statements }) });
    // As Kysely's SQLite driver runs a query: rows for statements that return rows, else the count.
    direct = ({ sql: text, parameters }) => {
      const stmt = statements.prepare(text);
      if (stmt.reader) return { rows: stmt.all(parameters as unknown[]) as unknown[] };
      const { changes, lastInsertRowid } = stmt.run(parameters as unknown[]);
      return { rows: [], numAffectedRows: BigInt(changes), insertId: BigInt(lastInsertRowid) };
    };
    delivery = kysely;
    transactions = kysely;
    cursor = new DeliveryCursor();
    operators = operatorWatch(conn);
    watchOperators = operators.watch;
    dialect = 'sqlite';
  } else {
    // bigint columns hold epoch milliseconds, which fit in a double: parse them as numbers.
    const types = {
      getTypeParser: (oid: number, format?: 'text' | 'binary') =>
        oid === 20 ? (v: string) => Number(v) : pg.types.getTypeParser(oid, format),
    } as pg.CustomTypesConfig;
    const pool = (max: number, Pool = NamedStatementPool) => {
      const transactional = Pool === TransactionPool;
      const p = new Pool({
        connectionString: database.url, max, types, pipeline: transactional,
        // A connection, once open, stays open (pg closes idle ones after 10 s by default).
        // Reopening costs a backend process and the preparation of every named statement
        // again, and it happened at the worst time: a burst after a quiet spell waited for
        // several new connections at once (B5 on PostgreSQL at 20 msg/s: 200–300 ms stalls).
        // TCP keepalive finds connections that died while idle.
        idleTimeoutMillis: 0, keepAlive: true, keepAliveInitialDelayMillis: 60_000,
        application_name: 'parley',
        // The unit of work's connections wait in an empty transaction block between uses
        // (TransactionPool), so a server-wide idle_in_transaction_session_timeout would end
        // them. A URL's own `options` take precedence over this one.
        ...(transactional ? { options: '-c idle_in_transaction_session_timeout=0' } : {}),
      });
      // An idle client's error (e.g. the server restarting) must not crash the process.
      p.on('error', () => undefined);
      // Nor one of a client in use between queries (pg-pool listens only while a client is
      // idle): the failure reaches the query it breaks, or the next one, and the pool drops the
      // client when it comes back.
      p.on('connect', (client) => client.on('error', () => undefined));
      return new Kysely<Database>({ dialect: transactional ? new TransactionDialect({ pool: p }) : new PostgresDialect({ pool: p }) });
    };
    kysely = pool(10);
    delivery = pool(2);
    transactions = pool(8, TransactionPool);
    dialect = 'postgres';
  }
  const db: Db = {
    kysely,
    delivery,
    transactions,
    dialect,
    direct,
    cursor,
    watchOperators,
    async ping() {
      await sql`select 1`.execute(kysely);
    },
    async close() {
      if (delivery !== kysely) await delivery.destroy();
      if (transactions !== kysely) await transactions.destroy();
      // The worker's connection first: the last connection to close checkpoints and removes the log.
      await checkpointer?.close();
      await kysely.destroy();
    },
  };
  if (operators) afterMigration.set(db, operators.install);
  return db;
}

/** Applies pending migrations (up to `to`, a migration's name, when given); throws when one fails. */
export async function migrate(db: Db, to?: string): Promise<void> {
  const provider: MigrationProvider = {
    async getMigrations() {
      const out: Record<string, Migration> = {};
      for (const [name, mod] of Object.entries(migrations)) {
        out[name] = { up: (k) => mod.up(k, db.dialect) };
      }
      return out;
    },
  };
  const migrator = new Migrator({ db: db.kysely, provider });
  const { error } = to === undefined ? await migrator.migrateToLatest() : await migrator.migrateTo(to);
  if (error) throw error instanceof Error ? error : new Error(String(error));
  // Once the schema is whole: a migration to an earlier point (tests) may predate the tables.
  if (to === undefined) afterMigration.get(db)?.();
}
