/**
 * B6/B7 load: idle connections. Starts the sessions its widgets need (Parley), asks
 * for a server sample, connects every widget and operator, asks for another sample,
 * then holds them, counting failed connects and drops.
 */
import type { GenContext } from '../lib/child.js';
import { RawCentrifugo, jsonClient, pool, sleep, widget } from '../lib/clients.js';

export interface ConnectionsParams {
  url: string;
  /** Parley: start this many sessions in the chat, one widget each. A peer: any keys. */
  widgets: number;
  idleChatId?: string;
  operatorTokens: string[];
  localAddress?: string;
  holdMs: number;
}

export interface ConnectionsResult {
  widgets: number;
  operators: number;
  failed: number;
  drops: number;
  connectSeconds: number;
  generatorCpu: number;
  errors: string[];
}

export async function run(p: ConnectionsParams, ctx: GenContext): Promise<ConnectionsResult> {
  const api = jsonClient(p.url, { maxSockets: 16, localAddress: p.localAddress });
  const keys = p.idleChatId
    ? await pool(Array.from({ length: p.widgets }), 8, async () => {
      const res = await api('POST', `/api/v1/chats/${p.idleChatId}/sessions`, {});
      if (res.status !== 201) throw new Error(`session start: ${res.status}`);
      return res.body.id as string;
    })
    : Array.from({ length: p.widgets }, (_, i) => `w${i}`);
  await ctx.sample('before');
  let failed = 0;
  let drops = 0;
  let holding = false;
  const errors: string[] = [];
  const fail = (err: unknown) => {
    failed++;
    if (errors.length < 5) errors.push(err instanceof Error ? err.message : String(err));
  };
  const t0 = performance.now();
  const closers: (() => void)[] = [];
  await pool(p.operatorTokens, 25, async (token) => {
    try {
      const c = await RawCentrifugo.connect(p.url, token, { localAddress: p.localAddress });
      c.onClose = () => {
        if (holding) drops++;
      };
      closers.push(() => c.close());
    } catch (err) {
      fail(err);
    }
  });
  let widgets = 0;
  await pool(keys, 50, async (key) => {
    try {
      const w = await widget(p.url, key, { localAddress: p.localAddress });
      widgets++;
      w.socket.on('disconnect', () => {
        if (holding) drops++;
      });
      closers.push(() => w.close());
    } catch (err) {
      fail(err);
    }
  });
  const connectSeconds = (performance.now() - t0) / 1000;
  await ctx.sample('connected');
  holding = true;
  const c0 = process.cpuUsage();
  const h0 = performance.now();
  await sleep(p.holdMs);
  const cpu = process.cpuUsage(c0);
  const held = (performance.now() - h0) / 1000;
  holding = false;
  await ctx.sample('held');
  for (const close of closers) close();
  return {
    widgets, operators: closers.length - widgets, failed, drops, connectSeconds,
    generatorCpu: (cpu.user + cpu.system) / 1e6 / Math.max(held, 0.001), errors,
  };
}
