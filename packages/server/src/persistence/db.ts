/**
 * Database construction for both engines and start-up migrations.
 * SQLite (better-sqlite3, WAL) is the embedded default; PostgreSQL (pg) when DATABASE_URL says so.
 */
import fs from 'node:fs';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import pg from 'pg';
import { Kysely, Migrator, PostgresDialect, SqliteDialect, sql, type Migration, type MigrationProvider, type SqliteDatabase, type SqliteStatement } from 'kysely';
import type { Config } from '../config.js';
import type { Database } from './schema.js';
import * as m001 from './migrations/001_initial.js';
import * as m002 from './migrations/002_operators.js';
import * as m003 from './migrations/003_write_path.js';
import { statementNames, type DirectRunner } from './prepared.js';
import { startCheckpointer, type Checkpointer } from './checkpointer.js';

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
  /** SQLite: runs a statement on the one connection, synchronously (see prepared.ts). */
  readonly direct: DirectRunner | null;
  /** Runs a trivial query; used by the health check. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

const migrations: Record<string, { up: (db: Kysely<unknown>, d: Dialect) => Promise<void> }> = {
  '001_initial': m001,
  '002_operators': m002,
  '003_write_path': m003,
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

/**
 * A pg pool whose connections run the prepared queries' SQL as named statements:
 * PostgreSQL parses and plans each once per connection instead of on every call.
 */
class NamedStatementPool extends pg.Pool {
  private readonly wrapped = new WeakSet<pg.PoolClient>();

  override connect(): Promise<pg.PoolClient>;
  override connect(callback: (err: Error | undefined, client: pg.PoolClient | undefined, done: (release?: unknown) => void) => void): void;
  override connect(callback?: (err: Error | undefined, client: pg.PoolClient | undefined, done: (release?: unknown) => void) => void): Promise<pg.PoolClient> | void {
    if (callback) return super.connect((err, client, done) => callback(err, client && this.named(client), done));
    return super.connect().then((client) => this.named(client));
  }

  private named(client: pg.PoolClient): pg.PoolClient {
    if (this.wrapped.has(client)) return client;
    this.wrapped.add(client);
    const query = client.query.bind(client) as QueryFn;
    (client as unknown as { query: QueryFn }).query = (text, ...rest) => {
      const name = typeof text === 'string' && rest.length === 1 ? statementNames.get(text) : undefined;
      return name === undefined ? query(text, ...rest) : query({ name, text, values: rest[0] });
    };
    return client;
  }
}

/** Opens the configured database. Does not migrate; call {@link migrate}. */
export function openDb(database: Config['database']): Db {
  let kysely: Kysely<Database>;
  let delivery: Kysely<Database>;
  let dialect: Dialect;
  let direct: DirectRunner | null = null;
  let checkpointer: Checkpointer | null = null;
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
    direct = (text, parameters) => {
      const stmt = statements.prepare(text);
      if (stmt.reader) return { rows: stmt.all(parameters as unknown[]) as unknown[] };
      const { changes, lastInsertRowid } = stmt.run(parameters as unknown[]);
      return { rows: [], numAffectedRows: BigInt(changes), insertId: BigInt(lastInsertRowid) };
    };
    delivery = kysely;
    dialect = 'sqlite';
  } else {
    // bigint columns hold epoch milliseconds, which fit in a double: parse them as numbers.
    const types = {
      getTypeParser: (oid: number, format?: 'text' | 'binary') =>
        oid === 20 ? (v: string) => Number(v) : pg.types.getTypeParser(oid, format),
    } as pg.CustomTypesConfig;
    const pool = (max: number) => {
      const p = new NamedStatementPool({ connectionString: database.url, max, types });
      // An idle client's error (e.g. the server restarting) must not crash the process.
      p.on('error', () => undefined);
      return new Kysely<Database>({ dialect: new PostgresDialect({ pool: p }) });
    };
    kysely = pool(10);
    delivery = pool(2);
    dialect = 'postgres';
  }
  return {
    kysely,
    delivery,
    dialect,
    direct,
    async ping() {
      await sql`select 1`.execute(kysely);
    },
    async close() {
      if (delivery !== kysely) await delivery.destroy();
      // The worker's connection first: the last connection to close checkpoints and removes the log.
      await checkpointer?.close();
      await kysely.destroy();
    },
  };
}

/** Applies pending migrations; throws when one fails. */
export async function migrate(db: Db): Promise<void> {
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
  const { error } = await migrator.migrateToLatest();
  if (error) throw error instanceof Error ? error : new Error(String(error));
}
