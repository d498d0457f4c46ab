/**
 * B4/B5 load: messages both ways through the whole pipeline. A client message is
 * POSTed over REST and timed until the operator's live channel delivers it; an
 * operator reply is POSTed with the operator's token and timed until the session's
 * widget receives it. Closed loop (each session waits for its last message) or open
 * loop (a fixed schedule; latency counts from the scheduled send time, so a slow
 * server cannot hide its queueing, or from the actual send when that came first).
 */
import fs from 'node:fs';
import type { GenContext } from '../lib/child.js';
import { RawCentrifugo, jsonClient, pool, sleep, widget, type Widget } from '../lib/clients.js';
import { latencySummary, type LatencySummary } from '../lib/stats.js';

export interface E2eParams {
  url: string;
  /** Parley: sessions are started in `chatId` once the operators are online. The reference takes any ids. */
  target: 'parley' | 'reference';
  chatId?: string;
  idleChatId?: string;
  operatorTokens: string[];
  sessions: number;
  idleWidgets: number;
  mode: { kind: 'closed'; durationMs: number; warmupMs: number } | { kind: 'open'; rate: number; durationMs: number; warmupMs: number };
}

export interface E2eResult {
  sent: number;
  acked: number;
  failed: number;
  delivered: number;
  lost: number;
  duplicated: number;
  seconds: number;
  messagesPerSec: number;
  latency: LatencySummary;
  toOperator: LatencySummary;
  toClient: LatencySummary;
  generatorCpu: number;
  lateStarts: number;
  /** Seconds into the run when the backlog passed 5 s of messages and sending stopped. */
  overloadedAt: number | null;
}

export async function run(p: E2eParams, ctx: GenContext): Promise<E2eResult> {
  const api = jsonClient(p.url, { maxSockets: 256 });
  const waiting = new Map<string, (at: number) => void>();
  const seen = new Map<string, number>();
  let duplicated = 0;
  /** `path`: where it arrived ('op' channel or 'w'idget); only the expected path counts. */
  const arrived = (path: 'op' | 'w', tag: string) => {
    if ((path === 'op') !== tag.startsWith('c')) return;
    const at = performance.now();
    const n = (seen.get(tag) ?? 0) + 1;
    seen.set(tag, n);
    if (n > 1) duplicated++;
    waiting.get(tag)?.(at);
    waiting.delete(tag);
  };

  // Operators first, so that Parley routes the new sessions to them.
  const operators: { token: string; close: () => void }[] = [];
  if (p.target === 'parley') {
    await pool(p.operatorTokens, 20, async (token) => {
      const c = await RawCentrifugo.connect(p.url, token);
      c.onPush = (push) => {
        if (push.data?.event === 'chatMessageCreated') arrived('op', push.data.data.body);
      };
      operators.push({ token, close: () => c.close() });
    });
  } else {
    const w = await widget(p.url, 'operators');
    w.on('chatMessageCreated', (m: { body: string }) => arrived('op', m.body));
    operators.push({ token: '', close: () => w.close() });
  }

  const start = async (chatId: string) => {
    const res = await api('POST', `/api/v1/chats/${chatId}/sessions`, {});
    if (res.status !== 201) throw new Error(`session start: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body.id as string;
  };
  const ids = p.target === 'parley'
    ? await pool(Array.from({ length: p.sessions }), 8, () => start(p.chatId!))
    : Array.from({ length: p.sessions }, (_, i) => `s${i}`);
  // Which operator holds each session (Parley routes them; the reference has one).
  const holder = new Map<string, string>();
  if (p.target === 'parley') {
    // Routing runs after the start is committed: wait until every session has its operator.
    const deadline = Date.now() + 20_000;
    while (holder.size < ids.length && Date.now() < deadline) {
      for (const op of operators) {
        const list = await api('GET', '/api/v1/sessions?view=mine&limit=200', undefined, { authorization: `Bearer ${op.token}` });
        for (const s of list.body.items as { id: string }[]) holder.set(s.id, op.token);
      }
      if (holder.size < ids.length) await sleep(200);
    }
    const missing = ids.filter((id) => !holder.has(id)).length;
    if (missing) throw new Error(`${missing} sessions were not routed to an operator`);
  }
  const widgets: Widget[] = await pool(ids, 25, async (id) => {
    const w = await widget(p.url, id);
    w.on('chatMessageCreatedEmit', (m: { body: string }) => arrived('w', m.body));
    return w;
  });
  const idle = p.idleWidgets > 0 ? await pool(Array.from({ length: p.idleWidgets }), 50, async () => widget(p.url, await start(p.idleChatId!))) : [];
  ctx.log(`ready: ${operators.length} operators, ${widgets.length} widgets, ${idle.length} idle widgets`);

  const lat: number[] = [];
  const toOp: number[] = [];
  const toClient: number[] = [];
  let sent = 0;
  let acked = 0;
  let failed = 0;
  let measuring = false;
  const ackedTags: string[] = [];
  // BENCH_LATENCY_TRACE=<file>: each measured message's scheduled time (ms from the window's
  // start), its acknowledgement and its delivery (ms after the scheduled time), for finding
  // where in a window the slow ones fall.
  const traceFile = process.env.BENCH_LATENCY_TRACE;
  const trace: string[] | null = traceFile ? [] : null;
  let traceStart = 0;
  /** Sends message `i` (even: client → operator, odd: operator → client); resolves when delivered. */
  const send = async (i: number, scheduledAt: number): Promise<void> => {
    const session = ids[i % ids.length]!;
    const fromClient = Math.floor(i / ids.length) % 2 === 0;
    const tag = `${fromClient ? 'c' : 'o'}${i}`;
    const delivered = new Promise<number>((resolve) => waiting.set(tag, resolve));
    sent++;
    const headers: Record<string, string> = fromClient ? {} : { authorization: `Bearer ${holder.get(session) ?? 'operator'}` };
    const res = await api('POST', `/api/v1/sessions/${session}/messages`, { body: tag }, headers).catch(() => ({ status: 0, body: null }));
    if (res.status !== 201) {
      failed++;
      waiting.delete(tag);
      return;
    }
    acked++;
    const ackAt = performance.now();
    const record = measuring;
    if (record) ackedTags.push(tag);
    const at = await delivered;
    if (record) {
      lat.push(at - scheduledAt);
      (fromClient ? toOp : toClient).push(at - scheduledAt);
      trace?.push(`${(scheduledAt - traceStart).toFixed(1)} ${(ackAt - scheduledAt).toFixed(2)} ${(at - scheduledAt).toFixed(2)} ${fromClient ? 'c' : 'o'}`);
    }
  };

  let lateStarts = 0;
  let overloadedAt: number | null = null;
  let count = 0;
  const c0 = { cpu: process.cpuUsage(), t: 0 };
  let seconds = 0;
  const inflight = new Set<Promise<void>>();
  const track = (pr: Promise<void>) => {
    inflight.add(pr);
    void pr.finally(() => inflight.delete(pr));
  };
  const begin = () => {
    measuring = true;
    traceStart = performance.now();
    ctx.mark('start');
    c0.cpu = process.cpuUsage();
    c0.t = performance.now();
    count = 0;
  };
  const end = () => {
    seconds = (performance.now() - c0.t) / 1000;
    ctx.mark('end');
    measuring = false;
  };
  let cpu = { user: 0, system: 0 };

  if (p.mode.kind === 'closed') {
    const m = p.mode;
    let running = true;
    const loops = ids.map(async (_, k) => {
      for (let round = 0; running; round++) {
        const i = k + ids.length * round;
        await send(i, performance.now());
        if (measuring) count++;
      }
    });
    await sleep(m.warmupMs);
    begin();
    await sleep(m.durationMs);
    cpu = process.cpuUsage(c0.cpu);
    end();
    running = false;
    await Promise.race([Promise.all(loops), sleep(15_000)]);
  } else {
    const m = p.mode;
    const interval = 1000 / m.rate;
    const total = Math.round((m.rate * (m.warmupMs + m.durationMs)) / 1000);
    const warm = Math.round((m.rate * m.warmupMs) / 1000);
    const t0 = performance.now() + 50;
    for (let i = 0; i < total; i++) {
      // Bounded: with more than 5 s of messages outstanding the server is overloaded; stop there.
      if (inflight.size > m.rate * 5) {
        overloadedAt = (performance.now() - t0) / 1000;
        break;
      }
      const due = t0 + i * interval;
      const wait = due - performance.now();
      if (wait > 1) await sleep(wait);
      else if (wait < -5) lateStarts++;
      if (i === warm) begin();
      // A wait under 1 ms is not slept (timers are not that fine), so a message may leave up to
      // 1 ms before its time: its latency then counts from when it left. One that leaves late
      // counts from its scheduled time, so the delay counts too. The earlier of the two, then.
      track(send(i, Math.min(due, performance.now())).then(() => {
        if (measuring) count++;
      }));
    }
    if (!measuring) begin();
    cpu = process.cpuUsage(c0.cpu);
    end();
    await Promise.race([Promise.all(inflight), sleep(10_000)]);
  }
  if (traceFile && trace) fs.writeFileSync(traceFile, `# window start ${new Date(performance.timeOrigin + traceStart).toISOString()}\n${trace.join('\n')}\n`);
  // Anything acknowledged in the window and not delivered by now is lost.
  const lost = ackedTags.filter((t) => !seen.has(t)).length;
  for (const w of [...widgets, ...idle]) w.close();
  for (const o of operators) o.close();
  return {
    sent, acked, failed, delivered: lat.length, lost, duplicated, seconds,
    messagesPerSec: count / seconds,
    latency: latencySummary(lat), toOperator: latencySummary(toOp), toClient: latencySummary(toClient),
    generatorCpu: (cpu.user + cpu.system) / 1e6 / seconds, lateStarts, overloadedAt,
  };
}
