/**
 * The server core's speed, sampled through a run. This virtual machine's cores slow down
 * by half and more for tens of seconds at a time, one core independently of the other
 * (docs/performance.md, "Measuring on a noisy machine"); a trial that falls into such a
 * stretch measures the machine, not the code.
 *
 * A small process pinned to the server core does the same fixed work (about 1.5 ms of
 * objects, JSON and a Map, like a server's) four times a second and reports the CPU time it
 * took. Beside a busy server it costs that server under 1% of the core, the same for
 * Parley and its peer.
 *
 * Run directly (`node --import tsx core-probe.ts`) it is the probe; imported, it is the
 * parent's side.
 */
import { fork, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import { pin, SERVER_CORE } from './proc.js';

const PERIOD_MS = 250;

function work(): number {
  const m = new Map<string, { n: number }>();
  let acc = 0;
  for (let i = 0; i < 1000; i++) {
    const s = JSON.stringify({ id: `k${i}`, n: i, body: `message body ${i}`, tags: [i, i + 1] });
    const o = JSON.parse(s) as { id: string; n: number };
    m.set(o.id, o);
    acc += s.length + (m.get(`k${i >> 1}`)?.n ?? 0);
  }
  return acc;
}

if (process.argv[1] === import.meta.filename && process.send) {
  for (let i = 0; i < 20; i++) work(); // optimised before the first sample
  const sample = () => {
    const before = process.cpuUsage();
    work();
    const used = process.cpuUsage(before);
    // The run may have ended (or failed) between two samples: a send on a closed channel would
    // throw in this child; it stops quietly instead.
    if (!process.connected) process.exit(0);
    process.send!({ t: Date.now(), us: used.user + used.system }, undefined, {}, (err) => {
      if (err) process.exit(0);
    });
  };
  setInterval(sample, PERIOD_MS);
  process.on('disconnect', () => process.exit(0));
}

const samples: { t: number; us: number }[] = [];
let probe: ChildProcess | null = null;

/** Starts sampling the server core (once per run). */
export function startCoreProbe(): void {
  probe = fork(import.meta.filename, [], { execArgv: ['--import', 'tsx', '--single-threaded-gc'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  pin(probe.pid!, SERVER_CORE);
  probe.on('message', (m: { t: number; us: number }) => recordCoreSample(m.t, m.us));
}

/** One probe sample: when it ended (Date.now()) and the CPU µs its work took. */
export function recordCoreSample(t: number, us: number): void {
  samples.push({ t, us });
}

export function stopCoreProbe(): void {
  // With BENCH_LATENCY_TRACE, the samples beside the latency trace: when the core was slow.
  const trace = process.env.BENCH_LATENCY_TRACE;
  if (trace) fs.writeFileSync(`${trace}.probe`, samples.map((s) => `${new Date(s.t).toISOString()} ${s.us}`).join('\n') + '\n');
  probe?.disconnect();
  probe = null;
}

/** The probe's median CPU µs per sample between two times (Date.now()); null with fewer than 4 samples. */
export function coreTime(from: number, to: number): number | null {
  const inside = samples.filter((s) => s.t >= from && s.t <= to).map((s) => s.us).sort((a, b) => a - b);
  return inside.length < 4 ? null : inside[Math.floor(inside.length / 2)]!;
}

/** The median of the run's calmest 10 seconds of samples so far (its fastest core); null before there are 10 seconds of them. */
export function calmCoreTime(): number | null {
  const n = (10_000 / PERIOD_MS) | 0;
  let best: number | null = null;
  for (let i = 0; i + n <= samples.length; i += n / 4) {
    const m = samples.slice(i, i + n).map((s) => s.us).sort((a, b) => a - b)[n >> 1]!;
    if (best === null || m < best) best = m;
  }
  return best;
}
