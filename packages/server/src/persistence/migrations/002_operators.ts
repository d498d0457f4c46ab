import { sql, type ColumnDefinitionBuilder, type Kysely } from 'kysely';

/** Operators, groups and the operator side of sessions. */
export async function up(db: Kysely<unknown>, dialect: 'sqlite' | 'postgres'): Promise<void> {
  const bigint = dialect === 'postgres' ? 'bigint' : 'integer';
  const serial = dialect === 'postgres' ? sql`serial` : sql`integer`;
  const pk = (c: ColumnDefinitionBuilder) => (dialect === 'sqlite' ? c.primaryKey().autoIncrement() : c.primaryKey());

  await db.schema
    .createTable('operators')
    .addColumn('id', serial, pk)
    .addColumn('company_id', 'integer', (c) => c.notNull().references('companies.id'))
    .addColumn('email', 'text', (c) => c.notNull())
    .addColumn('password_hash', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('role', 'text', (c) => c.notNull())
    .addColumn('avatar_file_id', 'text')
    .addColumn('status', 'text', (c) => c.notNull().defaultTo('OFFLINE'))
    .addColumn('blocked', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('token_version', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('last_assigned_at', bigint)
    .addColumn('created_at', bigint, (c) => c.notNull())
    .addColumn('updated_at', bigint, (c) => c.notNull())
    .execute();
  await db.schema.createIndex('operators_email').on('operators').column('email').unique().execute();
  await db.schema.createIndex('operators_company').on('operators').column('company_id').execute();

  await db.schema
    .createTable('operator_groups')
    .addColumn('id', serial, pk)
    .addColumn('company_id', 'integer', (c) => c.notNull().references('companies.id'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('timer_first_answer', 'integer', (c) => c.notNull())
    .addColumn('timer_next_answers', 'integer', (c) => c.notNull())
    .addColumn('session_limit', 'integer', (c) => c.notNull())
    .addColumn('created_at', bigint, (c) => c.notNull())
    .addColumn('updated_at', bigint, (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('group_operators')
    .addColumn('group_id', 'integer', (c) => c.notNull().references('operator_groups.id').onDelete('cascade'))
    .addColumn('operator_id', 'integer', (c) => c.notNull().references('operators.id').onDelete('cascade'))
    .addPrimaryKeyConstraint('group_operators_pk', ['group_id', 'operator_id'])
    .execute();

  await db.schema
    .createTable('chat_groups')
    .addColumn('chat_id', 'text', (c) => c.notNull().references('chats.id').onDelete('cascade'))
    .addColumn('group_id', 'integer', (c) => c.notNull().references('operator_groups.id').onDelete('cascade'))
    .addPrimaryKeyConstraint('chat_groups_pk', ['chat_id', 'group_id'])
    .execute();

  await db.schema
    .createTable('session_operators')
    .addColumn('session_id', 'text', (c) => c.notNull().references('sessions.id'))
    .addColumn('operator_id', 'integer', (c) => c.notNull().references('operators.id'))
    .addColumn('role', 'text', (c) => c.notNull())
    .addColumn('assigned_at', bigint, (c) => c.notNull())
    .addPrimaryKeyConstraint('session_operators_pk', ['session_id', 'operator_id'])
    .execute();

  await db.schema
    .createTable('refresh_tokens')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('operator_id', 'integer', (c) => c.notNull().references('operators.id'))
    .addColumn('token_version', 'integer', (c) => c.notNull())
    .addColumn('expires_at', bigint, (c) => c.notNull())
    .addColumn('created_at', bigint, (c) => c.notNull())
    .execute();

  await db.schema.alterTable('sessions').addColumn('group_id', 'integer').execute();
  await db.schema.alterTable('sessions').addColumn('help_at', bigint).execute();
  await db.schema.alterTable('sessions').addColumn('previous_operator_id', 'integer').execute();
  await db.schema.alterTable('sessions').addColumn('last_client_message_at', bigint).execute();
  await db.schema.alterTable('sessions').addColumn('last_operator_message_at', bigint).execute();
  /** Time of the oldest client message no operator has answered yet; drives idle re-routing and SL timers. */
  await db.schema.alterTable('sessions').addColumn('awaiting_answer_since', bigint).execute();
  await db.schema.createIndex('sessions_operator').on('sessions').columns(['operator_id', 'status']).execute();
  await db.schema.createIndex('sessions_queue').on('sessions').columns(['status', 'bot_status', 'help_at']).execute();
}
