/**
 * B8 load: a reconnect storm under traffic. Operators and widgets are connected,
 * messages flow both ways at a fixed rate, then every connection is dropped and
 * reconnected at a random moment within the storm window while the traffic goes on.
 * Widgets resync over REST (`after=<last id seen>`) on reconnect, as the widget does;
 * operators recover their channel's publications in the Centrifugo connect. At the
 * end every acknowledged message is looked up at its recipient.
 */
import type { GenContext } from '../lib/child.js';
import { RawCentrifugo, jsonClient, pool, sleep, widget, type Widget } from '../lib/clients.js';

export interface StormParams {
  url: string;
  chatId: string;
  operatorTokens: string[];
  widgets: number;
  rate: number;
  /** Steady traffic before the storm, the storm window, and traffic after it. */
  beforeMs: number;
  windowMs: number;
  afterMs: number;
}

export interface StormResult {
  acked: number;
  failed: number;
  missing: number;
  duplicated: number;
  recoveredPublications: number;
  resyncedMessages: number;
  reconnectFailures: number;
  /** Why reconnects failed: the error's message, counted. */
  reconnectErrors: Record<string, number>;
  allBackSeconds: number;
  unrecoveredOperators: number;
  generatorCpu: number;
}

export async function run(p: StormParams, ctx: GenContext): Promise<StormResult> {
  const api = jsonClient(p.url, { maxSockets: 128 });
  /** Per message tag: deliveries over live channels (pushes, emits, recovered publications). */
  const live = new Map<string, number>();
  const resynced = new Set<string>();
  let recoveredPublications = 0;
  const count = (tag: string) => live.set(tag, (live.get(tag) ?? 0) + 1);

  const operators = await pool(p.operatorTokens, 20, async (token) => {
    const c = await RawCentrifugo.connect(p.url, token);
    c.onPush = (push, recovered) => {
      if (push.data?.event !== 'chatMessageCreated') return;
      const tag: string = push.data.data.body;
      if (!tag.startsWith('c')) return;
      if (recovered) recoveredPublications++;
      count(tag);
    };
    return { token, c };
  });
  const ids = await pool(Array.from({ length: p.widgets }), 8, async () => {
    const res = await api('POST', `/api/v1/chats/${p.chatId}/sessions`, {});
    if (res.status !== 201) throw new Error(`session start: ${res.status}`);
    return res.body.id as string;
  });
  const holder = new Map<string, string>();
  const deadline = Date.now() + 60_000;
  while (holder.size < ids.length && Date.now() < deadline) {
    for (const op of operators) {
      const list = await api('GET', '/api/v1/sessions?view=mine&limit=200', undefined, { authorization: `Bearer ${op.token}` });
      for (const s of list.body.items as { id: string }[]) holder.set(s.id, op.token);
    }
    if (holder.size < ids.length) await sleep(500);
  }
  if (holder.size < ids.length) throw new Error(`${ids.length - holder.size} sessions were not routed`);

  // Widgets: the last message id seen per session, for the resync.
  const lastSeen = new Map<string, string>();
  const widgets: { id: string; w: Widget }[] = await pool(ids, 50, async (id) => {
    const w = await widget(p.url, id);
    w.on('chatMessageCreatedEmit', (m: { id: string; body: string }) => {
      lastSeen.set(id, m.id);
      if (m.body.startsWith('o')) count(m.body);
    });
    return { id, w };
  });
  ctx.log(`ready: ${operators.length} operators, ${widgets.length} widgets`);

  const resync = async (sessionId: string) => {
    for (let after = lastSeen.get(sessionId) ?? null, guard = 0; guard < 20; guard++) {
      const q = after ? `?after=${after}&limit=200` : '?limit=200';
      const res = await api('GET', `/api/v1/sessions/${sessionId}/messages${q}`);
      if (res.status !== 200) throw new Error(`resync: ${res.status}`);
      for (const m of res.body.items as { id: string; body: string }[]) {
        lastSeen.set(sessionId, m.id);
        if (m.body.startsWith('o') && !live.has(m.body)) resynced.add(m.body);
      }
      if (!res.body.nextCursor) return;
      after = res.body.nextCursor;
    }
  };

  // Traffic, open loop: even messages from the client, odd ones from the operator.
  const acked: string[] = [];
  let failed = 0;
  const inflight = new Set<Promise<void>>();
  const total = Math.round((p.rate * (p.beforeMs + p.windowMs + p.afterMs)) / 1000);
  const t0 = performance.now() + 50;
  const send = async (i: number) => {
    const session = ids[(i >> 1) % ids.length]!;
    const fromClient = i % 2 === 0;
    const tag = `${fromClient ? 'c' : 'o'}${i}`;
    const res = await api('POST', `/api/v1/sessions/${session}/messages`, { body: tag }, fromClient ? {} : { authorization: `Bearer ${holder.get(session)}` })
      .catch(() => ({ status: 0 }));
    if (res.status === 201) acked.push(tag);
    else failed++;
  };
  const traffic = (async () => {
    for (let i = 0; i < total; i++) {
      const wait = t0 + (i * 1000) / p.rate - performance.now();
      if (wait > 1) await sleep(wait);
      const pr = send(i);
      inflight.add(pr);
      void pr.finally(() => inflight.delete(pr));
    }
  })();

  await sleep(p.beforeMs);
  const c0 = process.cpuUsage();
  const stormStart = performance.now();
  let reconnectFailures = 0;
  const reconnectErrors: Record<string, number> = {};
  const failedReconnect = (who: string, err: unknown) => {
    reconnectFailures++;
    // socket.io-client wraps the transport's error: its description says what happened underneath.
    const cause = (err as { description?: { message?: string; code?: string } } | null)?.description;
    const detail = cause ? ` (${cause.code ?? cause.message ?? String(cause)})` : '';
    const why = `${who}: ${err instanceof Error ? err.message : String(err)}${detail}`.slice(0, 160);
    reconnectErrors[why] = (reconnectErrors[why] ?? 0) + 1;
  };
  let lastBack = stormStart;
  let unrecoveredOperators = 0;
  const back = () => {
    lastBack = Math.max(lastBack, performance.now());
  };
  const at = () => Math.random() * p.windowMs;
  const storm = [
    ...widgets.map(async ({ id, w }) => {
      const drop = at() * 0.2;
      const again = drop + Math.random() * (p.windowMs - drop);
      await sleep(drop);
      w.socket.disconnect();
      await sleep(again - drop);
      const reconnected = new Promise<void>((resolve, reject) => {
        w.socket.once('connect', () => resolve());
        w.socket.once('connect_error', (err) => reject(err));
      });
      w.socket.connect();
      try {
        await reconnected;
        await resync(id);
        back();
      } catch (err) {
        failedReconnect('widget', err);
      }
    }),
    ...operators.map(async ({ c }) => {
      const drop = at() * 0.2;
      const again = drop + Math.random() * (p.windowMs - drop);
      await sleep(drop);
      c.close();
      await sleep(again - drop);
      try {
        await c.open();
        if (!c.lastRecovered) unrecoveredOperators++;
        back();
      } catch (err) {
        failedReconnect('operator', err);
      }
    }),
  ];
  await Promise.all(storm);
  await traffic;
  await Promise.all(inflight);
  const cpu = process.cpuUsage(c0);
  const cpuSeconds = (performance.now() - stormStart) / 1000;
  await sleep(3000);
  let missing = 0;
  let duplicated = 0;
  for (const tag of acked) {
    const n = live.get(tag) ?? 0;
    if (n === 0 && !resynced.has(tag)) missing++;
    if (n > 1) duplicated++;
  }
  for (const { w } of widgets) w.close();
  for (const { c } of operators) c.close();
  return {
    acked: acked.length, failed, missing, duplicated, recoveredPublications, resyncedMessages: resynced.size,
    reconnectFailures, reconnectErrors, allBackSeconds: (lastBack - stormStart) / 1000, unrecoveredOperators,
    generatorCpu: (cpu.user + cpu.system) / 1e6 / cpuSeconds,
  };
}
