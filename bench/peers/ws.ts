/** Bare peer for B2/B6: a `ws` server that parses each JSON command; `connect` is answered, an RPC is pushed to every other connection. */
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';

export async function start() {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, path: '/centrifugo/connection/websocket', perMessageDeflate: false });
  const users = new Map<WebSocket, string>();
  wss.on('connection', (ws) => {
    ws.on('message', (raw) => {
      const cmd = JSON.parse(raw.toString());
      if (cmd.connect) {
        users.set(ws, String(users.size + 1));
        ws.send(JSON.stringify({ id: cmd.id, connect: { client: String(cmd.id), version: '0.0.0', subs: {} } }));
      } else if (cmd.rpc) {
        const data = { event: 'typing', data: { sessionId: cmd.rpc.data.sessionId, authorType: 'OPERATOR', authorId: users.get(ws) } };
        for (const [peer, user] of users) if (peer !== ws) peer.send(JSON.stringify({ push: { channel: `operator:${user}`, pub: { data } } }));
        ws.send(JSON.stringify({ id: cmd.id, rpc: {} }));
      }
    });
    ws.on('close', () => users.delete(ws));
  });
  await new Promise<void>((resolve) => wss.once('listening', resolve));
  return { url: `http://127.0.0.1:${(wss.address() as AddressInfo).port}`, close: async () => void wss.close() };
}
