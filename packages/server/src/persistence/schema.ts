/**
 * Table types for Kysely. Portable across SQLite and PostgreSQL: ids of public
 * entities are UUID text, operator/company ids are integers, timestamps are epoch
 * milliseconds (bigint), booleans are 0/1 integers, structured values are JSON text.
 */
import type { ColumnType, Generated, Insertable, Selectable, Updateable } from 'kysely';

type Millis = number;
type Json = string;

export interface CompaniesTable {
  id: Generated<number>;
  name: string;
  created_at: Millis;
}

export interface ChatsTable {
  id: string;
  company_id: number;
  name: string;
  bot_id: string | null;
  session_ttl: number;
  operators_busy_message: string;
  allowable_operator_idle_time: number;
  timer_first_answer: number;
  timer_next_answers: number;
  answer_on_first_client_message: number;
  /** Remaining TWIN chat settings kept verbatim (appearance, references, …). */
  settings: Json;
  created_at: Millis;
  updated_at: Millis;
}

export interface BotsTable {
  id: string;
  company_id: number;
  name: string;
  type: 'scenario' | 'webhook';
  /** Scenario JSON for scenario bots, webhook settings for webhook bots. */
  config: Json;
  created_at: Millis;
  updated_at: Millis;
}

export interface ClientsTable {
  id: string;
  company_id: number;
  external_id: string | null;
  name: string | null;
  first_name: string | null;
  middle_name: string | null;
  last_name: string | null;
  name_for_operator: string | null;
  phone: string | null;
  email: string | null;
  device_id: string | null;
  timezone: number | null;
  metadata: Json;
  created_at: Millis;
  updated_at: Millis;
}

export interface SessionsTable {
  id: string;
  company_id: number;
  chat_id: string;
  client_id: string;
  name: string | null;
  status: 'OPEN' | 'CLOSED';
  bot_status: 'BOT' | 'WAITING' | 'HELP' | 'OPERATOR';
  bot_id: string | null;
  /** Provider-specific bot state (scenario position, variables). */
  bot_state: Json;
  /** Highest client message seq the bot has answered; settles concurrent bot turns. */
  bot_processed_seq: number;
  operator_id: number | null;
  operator_assigned_at: Millis | null;
  channel: string;
  messenger_type: string | null;
  referer: string | null;
  client_ip: string | null;
  ttl: number;
  marked_as_spam: number;
  /** Last allocated message sequence number of the session. */
  last_seq: number;
  started_at: Millis;
  last_message_at: Millis | null;
  last_activity_at: Millis;
  handed_off_at: Millis | null;
  client_online_at: Millis | null;
  client_offline_at: Millis | null;
  closed_at: Millis | null;
  closed_by: 'CLIENT' | 'OPERATOR' | 'BOT' | 'SYSTEM' | null;
  result: string | null;
  group_id: number | null;
  help_at: Millis | null;
  previous_operator_id: number | null;
  last_client_message_at: Millis | null;
  last_operator_message_at: Millis | null;
  awaiting_answer_since: Millis | null;
}

export interface MessagesTable {
  id: string;
  session_id: string;
  /** Per-session sequence, allocated under the session row lock; orders history and cursors. */
  seq: number;
  author_type: 'BOT' | 'OPERATOR' | 'CLIENT';
  author_id: string;
  author_name: string;
  type: 'REGULAR';
  body: string;
  answers: Json;
  actions: Json;
  /** JSON array of file ids. */
  attachments: Json;
  reply_to_message_id: string | null;
  created_at: Millis;
  updated_at: Millis | null;
  read_at: Millis | null;
}

export interface IdempotencyKeysTable {
  session_id: string;
  key: string;
  request_hash: string;
  message_id: string;
  created_at: Millis;
}

export interface FilesTable {
  id: string;
  company_id: number;
  owner_id: string | null;
  is_private: number;
  content_type: string;
  name: string;
  size: number;
  /** Path relative to the data directory. */
  storage_path: string;
  created_at: Millis;
}

export interface OutboxTable {
  id: Generated<number>;
  type: string;
  payload: Json;
  created_at: Millis;
  /** SQLite: the newest message rowid as the row was written (places it among messages recovered from their table); null on PostgreSQL and in older rows. */
  after_message: ColumnType<number | null, number | null | undefined, never>;
}

/** SQLite only: one row; every message at or below `message_rowid` has been delivered or is named by an outbox row. */
export interface DeliveryCursorTable {
  id: number;
  message_rowid: number;
}

export type OperatorStatusValue = 'ACTIVE' | 'PAUSED' | 'OFFLINE';

export interface OperatorsTable {
  id: Generated<number>;
  company_id: number;
  email: string;
  password_hash: string;
  name: string;
  role: 'ADMIN' | 'OPERATOR';
  avatar_file_id: string | null;
  /** OFFLINE when logged out; ACTIVE takes new sessions; PAUSED keeps current ones only. */
  status: OperatorStatusValue;
  blocked: number;
  /** Bumped on block, logout and password change: tokens carrying an older version stop working. */
  token_version: number;
  last_assigned_at: Millis | null;
  created_at: Millis;
  updated_at: Millis;
}

export interface OperatorGroupsTable {
  id: Generated<number>;
  company_id: number;
  name: string;
  timer_first_answer: number;
  timer_next_answers: number;
  /** Concurrent sessions one operator of the group may hold. */
  session_limit: number;
  created_at: Millis;
  updated_at: Millis;
}

export interface GroupOperatorsTable {
  group_id: number;
  operator_id: number;
}

export interface ChatGroupsTable {
  chat_id: string;
  group_id: number;
}

export interface SessionOperatorsTable {
  session_id: string;
  operator_id: number;
  role: 'PRIMARY' | 'CO';
  assigned_at: Millis;
}

export interface RefreshTokensTable {
  id: string;
  operator_id: number;
  token_version: number;
  expires_at: Millis;
  created_at: Millis;
}

export interface Database {
  operators: OperatorsTable;
  operator_groups: OperatorGroupsTable;
  group_operators: GroupOperatorsTable;
  chat_groups: ChatGroupsTable;
  session_operators: SessionOperatorsTable;
  refresh_tokens: RefreshTokensTable;
  companies: CompaniesTable;
  chats: ChatsTable;
  bots: BotsTable;
  clients: ClientsTable;
  sessions: SessionsTable;
  messages: MessagesTable;
  idempotency_keys: IdempotencyKeysTable;
  files: FilesTable;
  outbox: OutboxTable;
  delivery_cursor: DeliveryCursorTable;
}

export type ChatRow = Selectable<ChatsTable>;
export type BotRow = Selectable<BotsTable>;
export type ClientRow = Selectable<ClientsTable>;
export type SessionRow = Selectable<SessionsTable>;
export type MessageRow = Selectable<MessagesTable>;
export type NewMessage = Insertable<MessagesTable>;
export type SessionUpdate = Updateable<SessionsTable>;
export type FileRow = Selectable<FilesTable>;
export type OperatorRow = Selectable<OperatorsTable>;
export type GroupRow = Selectable<OperatorGroupsTable>;
export type { ColumnType };
