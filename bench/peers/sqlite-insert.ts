/** B3 peer: a raw prepared INSERT of the same message row with better-sqlite3 (WAL, same pragmas as Parley), one writer. */
import { randomUUID } from 'node:crypto';
import SQLite from 'better-sqlite3';

export async function run(p: { database: string; messages: number; warmup: number; sessions: string[] }) {
  const db = new SQLite(p.database);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
  const insert = db.prepare(`INSERT INTO messages (id, session_id, seq, author_type, author_id, author_name, type, body, answers, actions, attachments,
    reply_to_message_id, created_at, updated_at, read_at) VALUES (?, ?, ?, 'CLIENT', ?, 'Client', 'REGULAR', ?, '[]', '[]', '[]', NULL, ?, NULL, NULL)`);
  const sessionId = p.sessions[0]!;
  const write = (from: number, count: number) => {
    for (let i = from; i < from + count; i++) insert.run(randomUUID(), sessionId, 1_000_000 + i, 'client-1', `writer 0 message ${i}`, Date.now());
  };
  write(0, p.warmup);
  const t0 = performance.now();
  write(p.warmup, p.messages);
  const seconds = (performance.now() - t0) / 1000;
  db.close();
  return { messages: p.messages, seconds, perSec: p.messages / seconds };
}
