import { sql, type Kysely } from 'kysely';

/** Integer identity column that works on both engines. */
function serial(db: Kysely<unknown>, dialect: 'sqlite' | 'postgres') {
  return dialect === 'postgres' ? sql`serial` : sql`integer`;
}

export async function up(db: Kysely<unknown>, dialect: 'sqlite' | 'postgres'): Promise<void> {
  const bigint = dialect === 'postgres' ? 'bigint' : 'integer';
  await db.schema
    .createTable('companies')
    .addColumn('id', serial(db, dialect), (c) => (dialect === 'sqlite' ? c.primaryKey().autoIncrement() : c.primaryKey()))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('created_at', bigint, (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('bots')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('company_id', 'integer', (c) => c.notNull().references('companies.id'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('config', 'text', (c) => c.notNull())
    .addColumn('created_at', bigint, (c) => c.notNull())
    .addColumn('updated_at', bigint, (c) => c.notNull())
    .execute();
  await db.schema.createIndex('bots_company').on('bots').column('company_id').execute();

  await db.schema
    .createTable('chats')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('company_id', 'integer', (c) => c.notNull().references('companies.id'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('bot_id', 'text', (c) => c.references('bots.id'))
    .addColumn('session_ttl', 'integer', (c) => c.notNull())
    .addColumn('operators_busy_message', 'text', (c) => c.notNull())
    .addColumn('allowable_operator_idle_time', 'integer', (c) => c.notNull())
    .addColumn('timer_first_answer', 'integer', (c) => c.notNull())
    .addColumn('timer_next_answers', 'integer', (c) => c.notNull())
    .addColumn('answer_on_first_client_message', 'integer', (c) => c.notNull())
    .addColumn('settings', 'text', (c) => c.notNull())
    .addColumn('created_at', bigint, (c) => c.notNull())
    .addColumn('updated_at', bigint, (c) => c.notNull())
    .execute();
  await db.schema.createIndex('chats_company').on('chats').column('company_id').execute();

  await db.schema
    .createTable('clients')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('company_id', 'integer', (c) => c.notNull().references('companies.id'))
    .addColumn('external_id', 'text')
    .addColumn('name', 'text')
    .addColumn('first_name', 'text')
    .addColumn('middle_name', 'text')
    .addColumn('last_name', 'text')
    .addColumn('name_for_operator', 'text')
    .addColumn('phone', 'text')
    .addColumn('email', 'text')
    .addColumn('device_id', 'text')
    .addColumn('timezone', 'integer')
    .addColumn('metadata', 'text', (c) => c.notNull())
    .addColumn('created_at', bigint, (c) => c.notNull())
    .addColumn('updated_at', bigint, (c) => c.notNull())
    .execute();
  await db.schema.createIndex('clients_external').on('clients').columns(['company_id', 'external_id']).unique().execute();

  await db.schema
    .createTable('sessions')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('company_id', 'integer', (c) => c.notNull().references('companies.id'))
    .addColumn('chat_id', 'text', (c) => c.notNull().references('chats.id'))
    .addColumn('client_id', 'text', (c) => c.notNull().references('clients.id'))
    .addColumn('name', 'text')
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('bot_status', 'text', (c) => c.notNull())
    .addColumn('bot_id', 'text')
    .addColumn('bot_state', 'text', (c) => c.notNull())
    .addColumn('bot_processed_seq', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('operator_id', 'integer')
    .addColumn('operator_assigned_at', bigint)
    .addColumn('channel', 'text', (c) => c.notNull())
    .addColumn('messenger_type', 'text')
    .addColumn('referer', 'text')
    .addColumn('client_ip', 'text')
    .addColumn('ttl', 'integer', (c) => c.notNull())
    .addColumn('marked_as_spam', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('last_seq', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('started_at', bigint, (c) => c.notNull())
    .addColumn('last_message_at', bigint)
    .addColumn('last_activity_at', bigint, (c) => c.notNull())
    .addColumn('handed_off_at', bigint)
    .addColumn('client_online_at', bigint)
    .addColumn('client_offline_at', bigint)
    .addColumn('closed_at', bigint)
    .addColumn('closed_by', 'text')
    .addColumn('result', 'text')
    .execute();
  await db.schema.createIndex('sessions_client').on('sessions').columns(['client_id', 'chat_id', 'status']).execute();
  await db.schema.createIndex('sessions_open_activity').on('sessions').columns(['status', 'last_activity_at']).execute();
  await db.schema.createIndex('sessions_company').on('sessions').columns(['company_id', 'started_at']).execute();

  await db.schema
    .createTable('messages')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('session_id', 'text', (c) => c.notNull().references('sessions.id'))
    .addColumn('seq', 'integer', (c) => c.notNull())
    .addColumn('author_type', 'text', (c) => c.notNull())
    .addColumn('author_id', 'text', (c) => c.notNull())
    .addColumn('author_name', 'text', (c) => c.notNull())
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('body', 'text', (c) => c.notNull())
    .addColumn('answers', 'text', (c) => c.notNull())
    .addColumn('actions', 'text', (c) => c.notNull())
    .addColumn('attachments', 'text', (c) => c.notNull())
    .addColumn('reply_to_message_id', 'text')
    .addColumn('created_at', bigint, (c) => c.notNull())
    .addColumn('updated_at', bigint)
    .addColumn('read_at', bigint)
    .execute();
  await db.schema.createIndex('messages_session_seq').on('messages').columns(['session_id', 'seq']).unique().execute();

  await db.schema
    .createTable('idempotency_keys')
    .addColumn('session_id', 'text', (c) => c.notNull())
    .addColumn('key', 'text', (c) => c.notNull())
    .addColumn('request_hash', 'text', (c) => c.notNull())
    .addColumn('message_id', 'text', (c) => c.notNull())
    .addColumn('created_at', bigint, (c) => c.notNull())
    .addPrimaryKeyConstraint('idempotency_keys_pk', ['session_id', 'key'])
    .execute();

  await db.schema
    .createTable('files')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('company_id', 'integer', (c) => c.notNull().references('companies.id'))
    .addColumn('owner_id', 'text')
    .addColumn('is_private', 'integer', (c) => c.notNull())
    .addColumn('content_type', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('size', 'integer', (c) => c.notNull())
    .addColumn('storage_path', 'text', (c) => c.notNull())
    .addColumn('created_at', bigint, (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('outbox')
    .addColumn('id', serial(db, dialect), (c) => (dialect === 'sqlite' ? c.primaryKey().autoIncrement() : c.primaryKey()))
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('payload', 'text', (c) => c.notNull())
    .addColumn('created_at', bigint, (c) => c.notNull())
    .execute();
}
