/** B3 peer: a raw prepared INSERT of the same message row with `pg`, 10 concurrent writers on a pool of 10. */
import { randomUUID } from 'node:crypto';
import pg from 'pg';

export async function run(p: { database: string; messages: number; warmup: number; writers: number; sessions: string[] }) {
  const pool = new pg.Pool({ connectionString: p.database, max: p.writers });
  const text = `INSERT INTO messages (id, session_id, seq, author_type, author_id, author_name, type, body, answers, actions, attachments,
    reply_to_message_id, created_at, updated_at, read_at) VALUES ($1, $2, $3, 'CLIENT', $4, 'Client', 'REGULAR', $5, '[]', '[]', '[]', NULL, $6, NULL, NULL)`;
  const write = (from: number, total: number) => Promise.all(p.sessions.map(async (sessionId, w) => {
    for (let i = from; i < from + Math.floor(total / p.writers); i++) {
      await pool.query({ name: 'insert-message', text, values: [randomUUID(), sessionId, 1_000_000 + i, 'client-1', `writer ${w} message ${i}`, Date.now()] });
    }
  }));
  await write(0, p.warmup);
  const perWriter = Math.floor(p.messages / p.writers);
  const t0 = performance.now();
  await write(p.warmup, p.messages);
  const seconds = (performance.now() - t0) / 1000;
  await pool.end();
  return { messages: perWriter * p.writers, seconds, perSec: (perWriter * p.writers) / seconds };
}
