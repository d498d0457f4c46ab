import { sql, type Kysely } from 'kysely';

/**
 * Fewer pages written per message.
 * - `sessions_open_activity` goes: every message moved the session's entry in it, and
 *   the expiry sweep cannot use it anyway (each session has its own ttl, so the
 *   sweep filters every open session; `sessions_queue` leads with `status`).
 * - SQLite: the outbox's key loses AUTOINCREMENT, which wrote `sqlite_sequence`
 *   on every insert. Outbox ids only order the rows that are still pending, so a
 *   key reused after the table empties is harmless.
 */
export async function up(db: Kysely<unknown>, dialect: 'sqlite' | 'postgres'): Promise<void> {
  await db.schema.dropIndex('sessions_open_activity').execute();
  if (dialect !== 'sqlite') return;
  await sql`create table outbox_next (id integer primary key, type text not null, payload text not null, created_at integer not null)`.execute(db);
  await sql`insert into outbox_next (id, type, payload, created_at) select id, type, payload, created_at from outbox`.execute(db);
  await sql`drop table outbox`.execute(db);
  await sql`alter table outbox_next rename to outbox`.execute(db);
}
