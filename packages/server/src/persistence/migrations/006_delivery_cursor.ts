import { sql, type Kysely } from 'kysely';

/**
 * SQLite: a transaction whose only durable events are `message.created` writes no outbox row;
 * its message rows are the record (see deliveryCursor.ts).
 * - `delivery_cursor`, one row: every message at or below its `message_rowid` has been
 *   delivered, or is named by an outbox row. It starts at the newest message: everything
 *   stored before this migration was recorded in the outbox, as before.
 * - `outbox.after_message`: the newest message rowid when the row was written, which places
 *   the row among the messages recovered from the table (null: rows written before).
 * PostgreSQL keeps an outbox row per transaction; the column exists there too, always null,
 * so that both engines share one schema for the outbox.
 */
export async function up(db: Kysely<unknown>, dialect: 'sqlite' | 'postgres'): Promise<void> {
  await sql`alter table outbox add column after_message bigint`.execute(db);
  if (dialect !== 'sqlite') return;
  await sql`create table delivery_cursor (id integer primary key check (id = 1), message_rowid integer not null)`.execute(db);
  await sql`insert into delivery_cursor (id, message_rowid) values (1, coalesce((select max(rowid) from messages), 0))`.execute(db);
}
