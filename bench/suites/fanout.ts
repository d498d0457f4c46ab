/**
 * B1: Socket.IO fan-out to 100 widget connections of one session (4.x clients, then
 * 2.x/Engine.IO 3 clients), against a bare socket.io server that re-emits.
 * B2: Centrifugo-protocol fan-out to 100 operators, against a bare `ws` server that
 * parses the JSON command and pushes the frame.
 * The trigger in Parley is an operator's `typing` RPC: Parley checks the session and
 * the operator in the database, then fans the event out to the session's widgets
 * (B1) or to the operators who follow it (B2: the company's admins).
 */
import type { FanoutParams, FanoutResult } from '../gen/fanout.js';
import { generate } from '../lib/proc.js';
import { SATURATED, alternate, fmt, ratioCheck, server, trialRows, type Bench, type BenchResult, type Check, type Options } from '../lib/suite.js';
import type { Seeded } from '../targets/parley.js';
import type { Protocol } from '../lib/clients.js';
import type { ChildStats } from '../lib/child.js';

type Trial = FanoutResult & { server?: ChildStats; cpuUsPerDelivery: number };

const R = 100;

function timing(opts: Options) {
  return opts.smoke ? { warmupMs: 300, durationMs: 700, window: 4 } : { warmupMs: 1500, durationMs: 5000, window: 8 };
}

async function measure(url: string, child: Awaited<ReturnType<typeof server>>['child'], params: Omit<FanoutParams, 'url' | 'warmupMs' | 'durationMs' | 'window'>, opts: Options): Promise<Trial> {
  try {
    const r = await generate<FanoutResult>('fanout', 'gen/fanout.ts', { url, ...params, ...timing(opts) }, child);
    return { ...r, cpuUsPerDelivery: (r.server?.cpuUs ?? NaN) / r.deliveries };
  } finally {
    await child.stop();
  }
}

async function parleyB1(opts: Options, protocol: Protocol): Promise<Trial> {
  const { child, url } = await server('parley', 'targets/parley.ts');
  const seeded = await child.call<Seeded>('seed', { operators: 1, sessionLimit: 10, role: 'ADMIN' });
  const session = await (await fetch(`${url}/api/v1/chats/${seeded.idleChatId}/sessions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })).json() as { id: string };
  return measure(url, child, {
    receivers: { kind: 'widget', protocol, key: session.id, count: opts.smoke ? 10 : R },
    sender: { kind: 'centrifugo', token: seeded.operators[0]!.token, sessionId: session.id },
  }, opts);
}

async function peerB1(opts: Options, protocol: Protocol): Promise<Trial> {
  const { child, url } = await server('peer socket.io', 'peers/socketio.ts');
  return measure(url, child, { receivers: { kind: 'widget', protocol, key: 'room', count: opts.smoke ? 10 : R }, sender: { kind: 'socketio', key: 'room' } }, opts);
}

async function parleyB2(opts: Options): Promise<Trial> {
  const { child, url } = await server('parley', 'targets/parley.ts');
  const n = opts.smoke ? 10 : R;
  const seeded = await child.call<Seeded>('seed', { operators: n + 1, sessionLimit: 10, role: 'ADMIN' });
  const session = await (await fetch(`${url}/api/v1/chats/${seeded.idleChatId}/sessions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })).json() as { id: string };
  const [sender, ...receivers] = seeded.operators;
  return measure(url, child, {
    receivers: { kind: 'operator', tokens: receivers.map((o) => o.token) },
    sender: { kind: 'centrifugo', token: sender!.token, sessionId: session.id },
  }, opts);
}

async function peerB2(opts: Options): Promise<Trial> {
  const { child, url } = await server('peer ws', 'peers/ws.ts');
  const n = opts.smoke ? 10 : R;
  return measure(url, child, {
    receivers: { kind: 'operator', tokens: Array.from({ length: n }, () => 'x') },
    sender: { kind: 'centrifugo', token: 'x', sessionId: 's' },
  }, opts);
}

/** Throughput ratio, or server CPU per delivery when the generator was saturated. */
function compare(what: string, parley: Trial[], peer: Trial[], min: number, notes: string[]): Check {
  const saturated = [...parley, ...peer].some((t) => t.generatorCpu >= SATURATED);
  if (saturated) {
    notes.push(`${what}: the load generator saturated its core (${fmt(Math.max(...[...parley, ...peer].map((t) => t.generatorCpu * 100)))}%), so the ratio compares server CPU µs per delivery (peer ÷ Parley).`);
    return ratioCheck(`${what} (server CPU per delivery)`, parley.map((p, i) => peer[i]!.cpuUsPerDelivery / p.cpuUsPerDelivery), min);
  }
  return ratioCheck(`${what} (deliveries/s)`, parley.map((p, i) => p.deliveriesPerSec / peer[i]!.deliveriesPerSec), min);
}

function lossCheck(what: string, trials: Trial[]): Check {
  const lost = trials.reduce((n, t) => n + t.lost, 0);
  return { what: `${what}: deliveries lost`, target: '0', value: String(lost), met: lost === 0, integrity: true };
}

const row = (system: string, t: Trial) => ({
  system, deliveriesPerSec: Math.round(t.deliveriesPerSec), serverCpuUsPerDelivery: Number(t.cpuUsPerDelivery.toFixed(2)),
  generatorCpu: Number(t.generatorCpu.toFixed(2)), serverEldP99Ms: t.server?.eld.p99, lost: t.lost,
});

export const b1: Bench = {
  id: 'B1',
  title: 'Socket.IO fan-out to 100 widgets in one session',
  async run(opts): Promise<BenchResult> {
    const notes: string[] = [];
    const v4 = await alternate(opts, () => parleyB1(opts, 'v4'), () => peerB1(opts, 'v4'));
    const v2 = await alternate(opts, () => parleyB1(opts, 'v2'), () => peerB1(opts, 'v2'));
    notes.push(...v4.notes.map((n) => `EIO4: ${n}`), ...v2.notes.map((n) => `EIO3: ${n}`));
    // EIO3 against EIO4 pairs Parley's trials of the two runs in order (they may count different numbers of calm pairs).
    const paired = Math.min(v2.parley.length, v4.parley.length);
    const checks = [
      compare('EIO4 clients vs bare socket.io', v4.parley, v4.peer, 0.8, notes),
      compare('EIO3 clients vs bare socket.io', v2.parley, v2.peer, 0.8, notes),
    ];
    const eio3 = v2.parley.some((t) => t.generatorCpu >= SATURATED) || v4.parley.some((t) => t.generatorCpu >= SATURATED)
      ? ratioCheck('Parley EIO3 vs Parley EIO4 (server CPU per delivery)', v2.parley.slice(0, paired).map((t, i) => v4.parley[i]!.cpuUsPerDelivery / t.cpuUsPerDelivery), 0.9)
      : ratioCheck('Parley EIO3 vs Parley EIO4 (deliveries/s)', v2.parley.slice(0, paired).map((t, i) => t.deliveriesPerSec / v4.parley[i]!.deliveriesPerSec), 0.9);
    checks.push(eio3, lossCheck('Parley', [...v4.all.parley, ...v2.all.parley]));
    return {
      id: 'B1', title: this.title, checks, notes,
      trials: [
        ...trialRows(v4, (who, t) => row(`${who} v4`, t)),
        ...trialRows(v2, (who, t) => row(`${who} v2`, t)),
      ],
    };
  },
};

export const b2: Bench = {
  id: 'B2',
  title: 'Centrifugo-protocol fan-out to 100 operators',
  async run(opts): Promise<BenchResult> {
    const notes: string[] = [];
    const r = await alternate(opts, () => parleyB2(opts), () => peerB2(opts));
    notes.push(...r.notes);
    return {
      id: 'B2', title: this.title, notes,
      checks: [compare('Parley vs bare ws', r.parley, r.peer, 0.8, notes), lossCheck('Parley', r.all.parley)],
      trials: trialRows(r, (who, t) => row(who, t)),
    };
  },
};
