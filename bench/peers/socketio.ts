/** Bare peer for B1/B6: a socket.io server (Engine.IO 3 and 4) whose clients join their key's room; `typing` is re-emitted to the room. */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Server } from 'socket.io';

export async function start() {
  const http = createServer();
  const io = new Server(http, { path: '/operator/socket.io', allowEIO3: true, serveClient: false });
  io.on('connection', (socket) => {
    const room = String(socket.handshake.query.key);
    void socket.join(room);
    socket.on('typing', () => socket.to(room).emit('showTypingIndicatorEmit', { authorType: 'OPERATOR' }));
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(http.address() as AddressInfo).port}`,
    close: async () => void io.close(),
  };
}
