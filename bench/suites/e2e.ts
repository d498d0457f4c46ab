/**
 * B4: end-to-end capacity, closed loop over 50 sessions, against a reference
 * pipeline (node:http + the same SQLite database + socket.io).
 * B5: the latency SLO, open loop at 1,000 msg/s over 200 sessions with 2,000 idle
 * widgets and 50 operators connected, on SQLite and on PostgreSQL.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { E2eParams, E2eResult } from '../gen/e2e.js';
import { generate } from '../lib/proc.js';
import { coreTime, calmCoreTime } from '../lib/core-probe.js';
import { alternate, fmt, positiveEnv, ratioCheck, server, SATURATED, SLOW_CORE, trialRows, type Bench, type BenchResult, type Check, type Options } from '../lib/suite.js';
import { summarize, round } from '../lib/stats.js';
import type { Seeded } from '../targets/parley.js';
import type { ChildStats } from '../lib/child.js';

type Trial = E2eResult & { server?: ChildStats; postgresCpuUs?: number | null; coreProbeUs?: number | null };

async function parleyRun(opts: Options, params: { operators: number; sessionLimit: number; sessions: number; idleWidgets: number; mode: E2eParams['mode'] }, pgUrl?: string): Promise<Trial> {
  const { child, url } = await server('parley', 'targets/parley.ts', pgUrl ? { pgUrl } : {});
  try {
    const seeded = await child.call<Seeded>('seed', { operators: params.operators, sessionLimit: params.sessionLimit });
    const from = Date.now();
    const t = await generate<E2eResult>('e2e', 'gen/e2e.ts', {
      url, target: 'parley', chatId: seeded.chatId, idleChatId: seeded.idleChatId, operatorTokens: seeded.operators.map((o) => o.token),
      sessions: params.sessions, idleWidgets: params.idleWidgets, mode: params.mode,
    } satisfies E2eParams, child);
    const coreProbeUs = coreTime(from, Date.now());
    // PostgreSQL's CPU only where Parley ran on it.
    return pgUrl ? { ...t, coreProbeUs } : { ...t, postgresCpuUs: null, coreProbeUs };
  } finally {
    await child.stop();
  }
}

async function referenceRun(params: { sessions: number; mode: E2eParams['mode'] }): Promise<Trial> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'parley-b4-'));
  const { child, url } = await server('reference', 'peers/pipeline.ts', { database: path.join(dir, 'ref.sqlite') });
  try {
    return await generate<E2eResult>('e2e', 'gen/e2e.ts', { url, target: 'reference', operatorTokens: [], sessions: params.sessions, idleWidgets: 0, mode: params.mode } satisfies E2eParams, child);
  } finally {
    await child.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const row = (system: string, t: Trial) => ({
  system, messagesPerSec: Math.round(t.messagesPerSec), serverCpuUsPerMessage: t.server ? round(t.server.cpuUs / t.delivered) : null, p50: round(t.latency.p50), p95: round(t.latency.p95), p99: round(t.latency.p99), max: round(t.latency.max),
  sent: t.sent, failed: t.failed, lost: t.lost, duplicated: t.duplicated, generatorCpu: round(t.generatorCpu),
  serverCpu: t.server ? round(t.server.cpuUs / 1000 / t.server.wallMs) : null, serverEldP99Ms: t.server ? round(t.server.eld.p99) : null,
  serverEldMaxMs: t.server ? round(t.server.eld.max) : null, rssMb: t.server ? Math.round(t.server.rss / 2 ** 20) : null, lateStarts: t.lateStarts, overloadedAt: t.overloadedAt,
  // PostgreSQL's processes over the same window (they share the server's core), when it took part.
  postgresCpu: t.postgresCpuUs && t.server ? round(t.postgresCpuUs / 1000 / t.server.wallMs) : null,
  postgresCpuUsPerMessage: t.postgresCpuUs ? round(t.postgresCpuUs / t.delivered) : null,
  coreProbeUs: t.coreProbeUs ?? null,
  serverThreadsCpu: t.server?.threads ? Object.fromEntries(Object.entries(t.server.threads).filter(([, us]) => us > 0).map(([n, us]) => [n, round(us / 1000 / t.server!.wallMs)])) : null,
});

function integrity(what: string, trials: Trial[]): Check {
  const lost = trials.reduce((n, t) => n + t.lost, 0);
  const dup = trials.reduce((n, t) => n + t.duplicated, 0);
  const failed = trials.reduce((n, t) => n + t.failed, 0);
  return { what: `${what}: lost / duplicated / failed requests`, target: '0 / 0 / 0', value: `${lost} / ${dup} / ${failed}`, met: lost + dup + failed === 0, integrity: true };
}

export const b4: Bench = {
  id: 'B4',
  title: 'End-to-end capacity: REST POST → commit → operator publication and client emit',
  async run(opts): Promise<BenchResult> {
    const sessions = opts.smoke ? 5 : 50;
    const mode: E2eParams['mode'] = opts.smoke ? { kind: 'closed', warmupMs: 300, durationMs: 1000 } : { kind: 'closed', warmupMs: 2000, durationMs: 10_000 };
    const r = await alternate(opts, () => parleyRun(opts, { operators: 1, sessionLimit: 1000, sessions, idleWidgets: 0, mode }), () => referenceRun({ sessions, mode }));
    const notes: string[] = [...r.notes];
    const gen = Math.max(...[...r.parley, ...r.peer].map((t) => t.generatorCpu));
    const cpuPerMessage = (t: Trial) => (t.server ? t.server.cpuUs / t.delivered : NaN);
    // A saturated generator caps the throughput it measures: compare the servers' CPU per message instead.
    const capacity = gen >= SATURATED
      ? ratioCheck('Parley vs reference (server CPU per message)', r.parley.map((t, i) => cpuPerMessage(r.peer[i]!) / cpuPerMessage(t)), 0.7)
      : ratioCheck('Parley vs reference (messages/s)', r.parley.map((t, i) => t.messagesPerSec / r.peer[i]!.messagesPerSec), 0.7);
    if (gen >= SATURATED) notes.push(`the load generator reached ${fmt(gen * 100)}% of its core, so the capacity ratio compares server CPU µs per message (reference ÷ Parley).`);
    const p99 = summarize(r.parley.map((t, i) => t.latency.p99 / r.peer[i]!.latency.p99));
    return {
      id: 'B4', title: this.title, notes,
      checks: [
        capacity,
        { what: 'p99 latency, Parley ÷ reference', target: '≤ 2×', value: `${round(p99.median)}× (${round(p99.min)}–${round(p99.max)})`, met: p99.median <= 2 },
        integrity('Parley', r.all.parley),
      ],
      trials: trialRows(r, (who, t) => row(who === 'parley' ? 'parley' : 'reference', t)),
    };
  },
};

/** Latency checks over `t`; the integrity check over `t` and any window left out (`left`). */
function sloChecks(label: string, t: Trial[], p99Target: number, left: Trial[] = []): Check[] {
  const overloaded = t.find((x) => x.overloadedAt !== null);
  // Latencies count only over a whole measured window (an empty summary arrives as null over IPC).
  const measured = !overloaded && t.every((x) => x.delivered > 0);
  const worst = (f: (x: Trial) => number) => Math.max(...t.map(f));
  const latency = (what: string, target: number, f: (x: Trial) => number): Check => ({
    what: `${label}: ${what}`, target: `≤ ${target} ms`,
    value: measured ? `${round(worst(f))} ms` : 'not measured (overloaded)', met: measured && worst(f) <= target,
  });
  const checks: Check[] = [
    { what: `${label}: keeps up with the offered rate`, target: 'whole run', value: overloaded ? `backlog over 5 s after ${round(overloaded.overloadedAt!, 1)} s` : 'yes', met: !overloaded },
    latency('p50', 5, (x) => x.latency.p50),
    latency('p99', p99Target, (x) => x.latency.p99),
  ];
  if (p99Target === 20) checks.push(latency('max', 100, (x) => x.latency.max));
  checks.push(integrity(label, [...t, ...left]));
  return checks;
}

/**
 * B5 has no peer to share a slowed core with (see `alternate`): a window whose core probe took over
 * SLOW_CORE× the run's calmest 10 s is measured once more, and the calmer window counts. Both are
 * in the results; the notes give each window's probe ratio and the one left out's latencies.
 */
async function calmWindow(opts: Options, label: string, run: () => Promise<Trial>, notes: string[]): Promise<{ counted: Trial; left: Trial[] }> {
  const ratio = (t: Trial) => {
    const calm = calmCoreTime();
    return t.coreProbeUs != null && calm !== null ? t.coreProbeUs / calm : null;
  };
  const first = await run();
  const r1 = ratio(first);
  if (opts.smoke || r1 === null || r1 <= SLOW_CORE) {
    if (r1 !== null) notes.push(`${label}: the server core's probe took ${round(r1)}× its calmest 10 s of this run (slowed is over ${SLOW_CORE}×).`);
    return { counted: first, left: [] };
  }
  const second = await run();
  // Both against the calmest 10 s known now.
  const [a, b] = [ratio(first)!, ratio(second)];
  const keepSecond = b !== null && b < a;
  const [counted, left] = keepSecond ? [second, first] : [first, second];
  const l = left.latency;
  notes.push(`${label}: the server core ran slowed in the first window (probe ${round(a)}× its calmest 10 s); measured again (${b === null ? 'unknown' : `${round(b)}×`}), the ${keepSecond ? 'second' : 'first'} window counts. The other gave p50 / p99 / max ${round(l.p50)} / ${round(l.p99)} / ${round(l.max)} ms.`);
  return { counted, left: [left] };
}

export const b5: Bench = {
  id: 'B5',
  title: 'Latency SLO: open loop 1,000 msg/s, 200 sessions, 2,000 idle widgets, 50 operators',
  async run(opts): Promise<BenchResult> {
    const size = opts.smoke
      ? { operators: 5, sessionLimit: 10, sessions: 20, idleWidgets: 20, mode: { kind: 'open', rate: 100, warmupMs: 300, durationMs: 1000 } as const }
      : { operators: 50, sessionLimit: 10, sessions: 200, idleWidgets: 2000, mode: { kind: 'open', rate: positiveEnv('BENCH_B5_RATE', 1000), warmupMs: 5000, durationMs: positiveEnv('BENCH_B5_SECONDS', 60) * 1000 } as const };
    const checks: Check[] = [];
    const trials: ReturnType<typeof row>[] = [];
    const notes: string[] = [];
    if (!opts.smoke && size.mode.rate !== 1000) notes.push(`A working run at ${size.mode.rate} msg/s (BENCH_B5_RATE), not the benchmark's 1,000.`);
    if (opts.engines.includes('sqlite')) {
      const sqlite = await calmWindow(opts, 'SQLite', () => parleyRun(opts, size), notes);
      checks.push(...sloChecks('SQLite', [sqlite.counted], 20, sqlite.left));
      trials.push(row('parley sqlite', sqlite.counted), ...sqlite.left.map((t) => ({ ...row('parley sqlite', t), leftOut: true })));
    }
    if (opts.engines.includes('postgres')) {
      if (opts.pgUrl) {
        const pg = await calmWindow(opts, 'PostgreSQL', () => parleyRun(opts, size, opts.pgUrl!), notes);
        checks.push(...sloChecks('PostgreSQL', [pg.counted], 40, pg.left));
        trials.push(row('parley postgres', pg.counted), ...pg.left.map((t) => ({ ...row('parley postgres', t), leftOut: true })));
      } else notes.push('PostgreSQL not available: only SQLite measured.');
    }
    for (const t of trials) if ((t.lateStarts ?? 0) > 0 && !('leftOut' in t)) notes.push(`${t.system}: the generator started ${t.lateStarts} sends more than 5 ms late (their latency includes the delay).`);
    return { id: 'B5', title: this.title, checks, trials, notes };
  },
};
