/**
 * B6: memory per idle connection, 5,000 widgets (vs a bare socket.io server) and
 * 5,000 operators (vs a bare `ws` server): garbage-collected RSS and heap before and
 * after connecting, divided by the number of connections.
 * B7: capacity, 15,000 widgets + 500 operators held for 5 minutes, from four
 * generator processes on their own 127.0.0.x source addresses.
 * B8: a reconnect storm under traffic; every acknowledged message must arrive or be
 * recovered exactly once.
 */
import type { ConnectionsParams, ConnectionsResult } from '../gen/connections.js';
import type { StormResult } from '../gen/storm.js';
import type { ChildStats } from '../lib/child.js';
import { generate } from '../lib/proc.js';
import { alternate, server, type Bench, type BenchResult, type Check, type Options } from '../lib/suite.js';
import { round, summarize } from '../lib/stats.js';
import type { Seeded } from '../targets/parley.js';

type Trial = ConnectionsResult & { samples: Record<string, ChildStats>; rssPerConn: number; heapPerConn: number };

async function measure(kind: 'widgets' | 'operators', who: 'parley' | 'peer', n: number): Promise<Trial> {
  const module = who === 'parley' ? 'targets/parley.ts' : kind === 'widgets' ? 'peers/socketio.ts' : 'peers/ws.ts';
  const { child, url } = await server(who, module);
  try {
    let params: ConnectionsParams = { url, widgets: kind === 'widgets' ? n : 0, operatorTokens: [], holdMs: 200 };
    if (who === 'parley') {
      const seeded = await child.call<Seeded>('seed', { operators: kind === 'operators' ? n : 0, sessionLimit: 10 });
      params = { ...params, idleChatId: seeded.idleChatId, operatorTokens: seeded.operators.map((o) => o.token) };
    } else if (kind === 'operators') params.operatorTokens = Array.from({ length: n }, () => 'x');
    const r = await generate<ConnectionsResult>('connections', 'gen/connections.ts', params as unknown as Record<string, unknown>, child);
    const before = r.samples.before!;
    const after = r.samples.connected!;
    return { ...r, rssPerConn: (after.rss - before.rss) / n, heapPerConn: (after.heapUsed - before.heapUsed) / n };
  } finally {
    await child.stop();
  }
}

const kb = (b: number) => `${round(b / 1024, 1)} KB`;

export const b6: Bench = {
  id: 'B6',
  title: 'Memory per idle connection',
  async run(opts): Promise<BenchResult> {
    const n = opts.smoke ? 100 : 5000;
    const checks: Check[] = [];
    const trials: Record<string, unknown>[] = [];
    for (const kind of ['widgets', 'operators'] as const) {
      const r = await alternate(opts, () => measure(kind, 'parley', n), () => measure(kind, 'peer', n), { coreBound: false });
      const ratios = summarize(r.parley.map((t, i) => t.rssPerConn / r.peer[i]!.rssPerConn));
      const failed = [...r.parley, ...r.peer].reduce((s, t) => s + t.failed, 0);
      checks.push({
        what: `${n} ${kind}: RSS per connection, Parley ÷ ${kind === 'widgets' ? 'bare socket.io' : 'bare ws'}`,
        target: '≤ 1.5×', value: `${round(ratios.median)}× (${round(ratios.min)}–${round(ratios.max)})`, met: ratios.median <= 1.5 && failed === 0,
      });
      for (const [who, list] of [['parley', r.parley], ['peer', r.peer]] as const) {
        for (const t of list) trials.push({ system: `${who} ${kind}`, connections: n, rssPerConnection: kb(t.rssPerConn), heapPerConnection: kb(t.heapPerConn), failed: t.failed, errors: t.errors });
      }
    }
    return { id: 'B6', title: this.title, checks, trials, notes: [] };
  },
};

export const b7: Bench = {
  id: 'B7',
  title: 'Capacity: 15,000 widgets + 500 operators held for 5 minutes',
  async run(opts: Options): Promise<BenchResult> {
    const size = opts.smoke ? { widgetsPerGen: 100, operators: 20, holdMs: 2000 } : { widgetsPerGen: 5000, operators: 500, holdMs: 300_000 };
    const { child, url } = await server('parley', 'targets/parley.ts');
    try {
      const seeded = await child.call<Seeded>('seed', { operators: size.operators, sessionLimit: 10 });
      const specs: ConnectionsParams[] = [
        ...[2, 3, 4].map((k) => ({ url, widgets: size.widgetsPerGen, idleChatId: seeded.idleChatId, operatorTokens: [], localAddress: `127.0.0.${k}`, holdMs: size.holdMs })),
        { url, widgets: 0, operatorTokens: seeded.operators.map((o) => o.token), localAddress: '127.0.0.5', holdMs: size.holdMs },
      ];
      // Every generator waits at each sample until all have reached it.
      const barriers = new Map<string, { arrived: number; release: Promise<void>; open: () => void }>();
      const stats: Record<string, ChildStats> = {};
      const barrier = async (name: string) => {
        let b = barriers.get(name);
        if (!b) {
          let open = () => {};
          const release = new Promise<void>((r) => (open = r));
          b = { arrived: 0, release, open };
          barriers.set(name, b);
        }
        if (++b.arrived === specs.length) {
          stats[name] = await child.stats(name === 'connected');
          b.open();
        }
        await b.release;
      };
      const results = await Promise.all(specs.map((p) => generate<ConnectionsResult>('connections', 'gen/connections.ts', p as unknown as Record<string, unknown>, child, barrier)));
      const held = stats.held!;
      const widgets = results.reduce((s, r) => s + r.widgets, 0);
      const operators = results.reduce((s, r) => s + r.operators, 0);
      const failed = results.reduce((s, r) => s + r.failed, 0);
      const drops = results.reduce((s, r) => s + r.drops, 0);
      const cpu = held.cpuUs / 1000 / held.wallMs;
      const rssMb = held.rss / 2 ** 20;
      const counts = await child.call<{ widgets: number; operators: number }>('counts');
      return {
        id: 'B7', title: this.title, notes: [`server counted ${counts.widgets} Engine.IO clients and ${counts.operators} operators online at the end.`],
        checks: [
          { what: `${widgets} widgets + ${operators} operators: failed connects / drops`, target: '0 / 0', value: `${failed} / ${drops}`, met: failed === 0 && drops === 0 && widgets === 3 * size.widgetsPerGen && operators === size.operators, integrity: true },
          { what: `idle CPU over ${round(held.wallMs / 1000, 0)} s`, target: '≤ 0.25 core', value: `${round(cpu, 3)} core`, met: cpu <= 0.25 },
          { what: 'RSS while holding', target: '≤ 600 MB', value: `${Math.round(rssMb)} MB`, met: rssMb <= 600 },
        ],
        trials: results.map((r, i) => ({ generator: specs[i]!.localAddress, widgets: r.widgets, operators: r.operators, failed: r.failed, drops: r.drops, connectSeconds: round(r.connectSeconds, 1), errors: r.errors })),
      };
    } finally {
      await child.stop();
    }
  },
};

export const b8: Bench = {
  id: 'B8',
  title: 'Reconnect storm: 5,000 widgets and 100 operators drop and come back under 200 msg/s',
  async run(opts: Options): Promise<BenchResult> {
    const size = opts.smoke
      ? { widgets: 100, operators: 5, rate: 50, beforeMs: 500, windowMs: 2000, afterMs: 1000 }
      : { widgets: 5000, operators: 100, rate: 200, beforeMs: 5000, windowMs: 10_000, afterMs: 10_000 };
    const { child, url } = await server('parley', 'targets/parley.ts');
    try {
      const seeded = await child.call<Seeded>('seed', { operators: size.operators, sessionLimit: Math.ceil((size.widgets / size.operators) * 1.2) });
      const r = await generate<StormResult>('storm', 'gen/storm.ts', {
        url, chatId: seeded.chatId, operatorTokens: seeded.operators.map((o) => o.token), widgets: size.widgets,
        rate: size.rate, beforeMs: size.beforeMs, windowMs: size.windowMs, afterMs: size.afterMs,
      }, child);
      return {
        id: 'B8', title: this.title, notes: [],
        checks: [
          { what: 'everyone back after the drop', target: '≤ 30 s, 0 failures', value: `${round(r.allBackSeconds, 1)} s, ${r.reconnectFailures} failures`, met: r.allBackSeconds <= 30 && r.reconnectFailures === 0, integrity: true },
          { what: `${r.acked} acknowledged messages: missing / delivered twice`, target: '0 / 0', value: `${r.missing} / ${r.duplicated}`, met: r.missing === 0 && r.duplicated === 0 && r.acked > 0, integrity: true },
          { what: 'operators whose channel was not recovered', target: '0', value: String(r.unrecoveredOperators), met: r.unrecoveredOperators === 0, integrity: true },
        ],
        trials: [{ ...r, failedRequests: r.failed }],
      };
    } finally {
      await child.stop();
    }
  },
};
