/**
 * B1/B2 load: R receivers (socket.io widgets in one room, or Centrifugo-protocol
 * operators) and one sender whose every trigger fans out to all of them. Closed loop
 * with a window of triggers in flight; a trigger is complete when every receiver
 * has seen it (each connection delivers in order, so counting suffices).
 */
import type { GenContext } from '../lib/child.js';
import { RawCentrifugo, pool, sleep, widget, type Protocol } from '../lib/clients.js';

export interface FanoutParams {
  url: string;
  receivers: { kind: 'widget'; protocol: Protocol; key: string; count: number } | { kind: 'operator'; tokens: string[] };
  sender: { kind: 'centrifugo'; token: string; sessionId: string } | { kind: 'socketio'; key: string };
  warmupMs: number;
  durationMs: number;
  window: number;
}

export interface FanoutResult {
  receivers: number;
  triggers: number;
  deliveries: number;
  seconds: number;
  deliveriesPerSec: number;
  generatorCpu: number;
  lost: number;
}

export async function run(p: FanoutParams, ctx: GenContext): Promise<FanoutResult> {
  const arrivals = new Map<number, number>();
  let receiverCount = 0;
  let completed = 0;
  let delivered = 0;
  let sent = 0;
  let sending = true;
  let pump = () => {};
  const onDelivery = (counter: { n: number }) => {
    delivered++;
    const k = ++counter.n;
    const seen = (arrivals.get(k) ?? 0) + 1;
    if (seen === receiverCount) {
      arrivals.delete(k);
      completed++;
      pump();
    } else arrivals.set(k, seen);
  };

  const closers: (() => void)[] = [];
  if (p.receivers.kind === 'widget') {
    const r = p.receivers;
    await pool(Array.from({ length: r.count }), 25, async () => {
      const w = await widget(p.url, r.key, { protocol: r.protocol });
      const counter = { n: 0 };
      w.on('showTypingIndicatorEmit', () => onDelivery(counter));
      closers.push(() => w.close());
    });
  } else {
    await pool(p.receivers.tokens, 25, async (token) => {
      const c = await RawCentrifugo.connect(p.url, token);
      const counter = { n: 0 };
      c.onPush = (push) => {
        if (push.data?.event === 'typing') onDelivery(counter);
      };
      closers.push(() => c.close());
    });
  }
  receiverCount = closers.length;

  let trigger: () => void;
  if (p.sender.kind === 'centrifugo') {
    const s = p.sender;
    const c = await RawCentrifugo.connect(p.url, s.token);
    trigger = () => void c.rpc('typing', { sessionId: s.sessionId }).then((reply) => {
      if (reply.error) throw new Error(`typing refused: ${JSON.stringify(reply.error)}`);
    });
    closers.push(() => c.close());
  } else {
    const w = await widget(p.url, p.sender.key);
    trigger = () => void w.socket.emit('typing', {});
    closers.push(() => w.close());
  }

  pump = () => {
    while (sending && sent - completed < p.window) {
      sent++;
      trigger();
    }
  };
  pump();
  await sleep(p.warmupMs);
  ctx.mark('start');
  const d0 = delivered;
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  await sleep(p.durationMs);
  const deliveries = delivered - d0;
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(c0);
  ctx.mark('end');
  sending = false;
  const deadline = Date.now() + 10_000;
  while (completed < sent && Date.now() < deadline) await sleep(20);
  for (const close of closers) close();
  return {
    receivers: receiverCount,
    triggers: sent,
    deliveries,
    seconds,
    deliveriesPerSec: deliveries / seconds,
    generatorCpu: (cpu.user + cpu.system) / 1e6 / seconds,
    lost: sent * receiverCount - delivered,
  };
}
