import { sql, type Kysely } from 'kysely';

/**
 * PostgreSQL: statistics on messages only for the columns that queries filter, join or sort
 * on (`id`, `session_id`, `seq`, `author_type`, `read_at`). Automatic ANALYZE samples up to
 * 30,000 rows of the table and, for every column with statistics, sorts the sample's values;
 * on a busy server it runs about once a minute, beside the requests. The bodies, names and
 * JSON columns were most of that work and no plan uses their statistics. On 60,000 messages
 * an ANALYZE cost 161 ms with short bodies and 242 ms with longer ones, and 67 and 109 ms
 * with only these columns (docs/performance.md, "Bursts in B5 on PostgreSQL"). SQLite
 * analyzes only when asked.
 */
const UNFILTERED_MESSAGE_COLUMNS = [
  'author_id', 'author_name', 'type', 'body', 'answers', 'actions', 'attachments', 'reply_to_message_id', 'created_at', 'updated_at',
] as const;

export async function up(db: Kysely<unknown>, dialect: 'sqlite' | 'postgres'): Promise<void> {
  if (dialect !== 'postgres') return;
  for (const column of UNFILTERED_MESSAGE_COLUMNS) {
    await sql`alter table messages alter column ${sql.ref(column)} set statistics 0`.execute(db);
  }
}
