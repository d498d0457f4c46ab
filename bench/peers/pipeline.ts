/** B4 reference pipeline: node:http + the same database + socket.io. A POST stores the row, then emits to the operators or to the session's widgets. */
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import SQLite from 'better-sqlite3';
import { Server } from 'socket.io';

export async function start(p: { database: string }) {
  const db = new SQLite(p.database);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.exec('CREATE TABLE IF NOT EXISTS messages (id TEXT PRIMARY KEY, session_id TEXT NOT NULL, author TEXT NOT NULL, body TEXT NOT NULL, created_at INTEGER NOT NULL)');
  const insert = db.prepare('INSERT INTO messages (id, session_id, author, body, created_at) VALUES (?, ?, ?, ?, ?)');
  const http = createServer((req, res) => {
    const m = /^\/api\/v1\/sessions\/([^/]+)\/messages$/.exec(req.url ?? '');
    if (req.method !== 'POST' || !m) return void res.writeHead(404).end();
    let raw = '';
    req.on('data', (c: Buffer) => (raw += c));
    req.on('end', () => {
      const { body } = JSON.parse(raw) as { body: string };
      const author = req.headers.authorization ? 'OPERATOR' : 'CLIENT';
      const message = { id: randomUUID(), sessionId: m[1]!, author, body, createdAt: Date.now() };
      insert.run(message.id, message.sessionId, author, body, message.createdAt);
      if (author === 'CLIENT') io.to('operators').emit('chatMessageCreated', message);
      else io.to(message.sessionId).emit('chatMessageCreatedEmit', message);
      res.writeHead(201, { 'content-type': 'application/json' }).end(JSON.stringify({ id: message.id, createdAt: message.createdAt }));
    });
  });
  const io = new Server(http, { path: '/operator/socket.io', serveClient: false });
  io.on('connection', (socket) => void socket.join(String(socket.handshake.query.key)));
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(http.address() as AddressInfo).port}`, close: async () => void io.close() };
}
