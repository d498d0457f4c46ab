/**
 * Entry point of every benchmark child process (a server under test, a peer, or a
 * load generator). The parent starts it pinned to one core and talks over IPC:
 *
 *   {id, op: 'start'}            server modules: start(params) → {url, ...info}
 *   {id, op: 'run'}              generator modules: run(params, ctx) → result
 *   {id, op: 'call', name, args} a fixture the started module exposes
 *   {id, op: 'stats', reset?}    CPU µs, RSS, heap, event-loop delay since the last reset
 *   {id, op: 'gc'}               full GC (the child runs with --expose-gc)
 */
import fs from 'node:fs';
import { Session } from 'node:inspector/promises';
import path from 'node:path';
import { PerformanceObserver, constants, monitorEventLoopDelay } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';

export interface Started {
  url: string;
  info?: Record<string, unknown>;
  fixtures?: Record<string, (args: any) => unknown>;
  close?: () => Promise<void>;
}

export interface ChildStats {
  cpuUs: number;
  /** CPU µs by thread name (Linux: /proc/self/task), over the same window. */
  threads?: Record<string, number>;
  wallMs: number;
  rss: number;
  heapUsed: number;
  eld: { p50: number; p99: number; max: number; mean: number };
}

const modulePath = process.argv[2]!;
/** Parameters arrive with the `start` or `run` request (thousands of tokens do not fit in the environment). */
let params: Record<string, unknown> = {};
const eld = monitorEventLoopDelay({ resolution: 1 });
eld.enable();
let cpuMark = process.cpuUsage();
let wallMark = performance.now();
let started: Started | null = null;

/** CPU ticks (user + system; USER_HZ, 100 a second on Linux) of each thread so far, by thread id, with its name. */
function threadTicks(): Map<string, { name: string; ticks: number }> {
  const out = new Map<string, { name: string; ticks: number }>();
  try {
    for (const tid of fs.readdirSync('/proc/self/task')) {
      const stat = fs.readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
      const close = stat.lastIndexOf(')');
      const fields = stat.slice(close + 2).split(' ');
      out.set(tid, { name: tid === String(process.pid) ? 'main' : stat.slice(stat.indexOf('(') + 1, close), ticks: Number(fields[11]) + Number(fields[12]) });
    }
  } catch { /* not Linux */ }
  return out;
}
let threadMark = threadTicks();

function stats(reset: boolean): ChildStats {
  const ticksNow = threadTicks();
  const threads: Record<string, number> = {};
  for (const [tid, t] of ticksNow) threads[t.name] = (threads[t.name] ?? 0) + (t.ticks - (threadMark.get(tid)?.ticks ?? 0)) * 10_000;
  const cpu = process.cpuUsage(cpuMark);
  const mem = process.memoryUsage();
  const out: ChildStats = {
    cpuUs: cpu.user + cpu.system,
    threads,
    wallMs: performance.now() - wallMark,
    rss: mem.rss,
    heapUsed: mem.heapUsed,
    eld: { p50: eld.percentile(50) / 1e6, p99: eld.percentile(99) / 1e6, max: eld.max / 1e6, mean: eld.mean / 1e6 },
  };
  if (reset) {
    threadMark = ticksNow;
    cpuMark = process.cpuUsage();
    wallMark = performance.now();
    eld.reset();
  }
  return out;
}

/**
 * BENCH_HEAP_SAMPLE=<dir> (server modules): a sampling heap profile, over the measured window
 * (from one reset of the stats to the next, like BENCH_WINDOW_PROFILE), of the objects that
 * outlive a scavenge (live at the window's end, or collected by a mark-compact); where an
 * allocation site shows here, its objects were promoted to the old generation.
 * BENCH_HEAP_SAMPLE_ALL=1: every allocation instead, those a scavenge collects included.
 */
const heapSampleDir = process.env.BENCH_HEAP_SAMPLE;
let heapSession: Session | null = null;
async function startHeapSample(): Promise<void> {
  if (!heapSampleDir) return;
  heapSession = new Session();
  heapSession.connect();
  await heapSession.post('HeapProfiler.startSampling', { samplingInterval: 16_384, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: process.env.BENCH_HEAP_SAMPLE_ALL === '1' } as never);
}
async function writeHeapSample(): Promise<void> {
  if (!heapSession || !heapSampleDir) return;
  const { profile } = (await heapSession.post('HeapProfiler.stopSampling')) as { profile: unknown };
  fs.mkdirSync(heapSampleDir, { recursive: true });
  fs.writeFileSync(path.join(heapSampleDir, `heap-${process.pid}-${Date.now()}.heapprofile`), JSON.stringify(profile));
  heapSession.disconnect();
  heapSession = null;
}

/**
 * BENCH_WINDOW_PROFILE=<dir>: a CPU profile of the measured window only, without start-up
 * and seeding: in server modules from the generator's start mark to its end mark, in other
 * modules their whole `run` (the in-process benchmarks measure all of it).
 */
const windowProfileDir = process.env.BENCH_WINDOW_PROFILE;
let windowSession: Session | null = null;
/** Starts a profile when none runs, else stops and writes it; called at each reset of the stats. */
async function toggleWindowProfile(always = false): Promise<void> {
  if (!windowProfileDir || (!started && !always)) return;
  if (windowSession) {
    const { profile } = (await windowSession.post('Profiler.stop')) as { profile: unknown };
    fs.mkdirSync(windowProfileDir, { recursive: true });
    fs.writeFileSync(path.join(windowProfileDir, `window-${process.pid}-${Date.now()}.cpuprofile`), JSON.stringify(profile));
    windowSession.disconnect();
    windowSession = null;
  } else {
    windowSession = new Session();
    windowSession.connect();
    await windowSession.post('Profiler.setSamplingInterval', { interval: 500 });
    await windowSession.post('Profiler.enable');
    await windowSession.post('Profiler.start');
  }
}

/**
 * BENCH_LATENCY_TRACE=<file>: each process's garbage-collection pauses (wall-clock time, kind,
 * ms) in `<file>.gc-<module>-<pid>`, beside the generator's latency trace.
 */
if (process.env.BENCH_LATENCY_TRACE) {
  const kinds: Record<number, string> = {
    [constants.NODE_PERFORMANCE_GC_MINOR]: 'minor', [constants.NODE_PERFORMANCE_GC_MAJOR]: 'major',
    [constants.NODE_PERFORMANCE_GC_INCREMENTAL]: 'incremental', [constants.NODE_PERFORMANCE_GC_WEAKCB]: 'weakcb',
  };
  const lines: string[] = [];
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      const kind = (e as PerformanceEntry & { detail?: { kind?: number } }).detail?.kind ?? 0;
      lines.push(`${new Date(performance.timeOrigin + e.startTime).toISOString()} ${kinds[kind] ?? kind} ${e.duration.toFixed(2)}`);
    }
  }).observe({ entryTypes: ['gc'] });
  process.on('exit', () => fs.writeFileSync(`${process.env.BENCH_LATENCY_TRACE}.gc-${path.basename(modulePath, '.ts')}-${process.pid}`, lines.join('\n') + '\n'));
}

const mod = (await import(pathToFileURL(modulePath).href)) as {
  start?: (p: typeof params) => Promise<Started>;
  run?: (p: typeof params, ctx: GenContext) => Promise<unknown>;
};

/** Generators mark the start and end of their measured window; the parent samples the server then. */
const ctx = {
  stats,
  log: (s: string) => process.send?.({ log: s }),
  mark: (name: string) => process.send?.({ mark: name }),
  /** Asks the parent to garbage-collect the server and sample it; resolves when done. */
  sample: (name: string): Promise<void> => new Promise((resolve) => {
    const id = ++sampleId;
    sampled.set(id, resolve);
    process.send?.({ sample: name, sampleId: id });
  }),
};
let sampleId = 0;
const sampled = new Map<number, () => void>();
process.on('message', (m: { sampled?: number }) => {
  if (m.sampled === undefined) return;
  sampled.get(m.sampled)?.();
  sampled.delete(m.sampled);
});
export type GenContext = typeof ctx;

process.on('message', (msg: { id: number; op: string; sampled?: number; params?: Record<string, unknown>; name?: string; args?: unknown; reset?: boolean }) => {
  if (msg.sampled !== undefined) return;
  if (msg.params) params = msg.params;
  const reply = (value: unknown) => process.send?.({ id: msg.id, ok: true, value });
  const fail = (err: unknown) => process.send?.({ id: msg.id, ok: false, error: err instanceof Error ? `${err.message}\n${err.stack}` : String(err) });
  void (async () => {
    switch (msg.op) {
      case 'start':
        started = await mod.start!(params);
        return { url: started.url, info: started.info ?? {} };
      case 'run': {
        // In-process benchmarks (B3) have no marks: their whole run is the window.
        await toggleWindowProfile(true);
        try {
          return await mod.run!(params, ctx);
        } finally {
          await toggleWindowProfile(true);
        }
      }
      case 'call': {
        const fn = started?.fixtures?.[msg.name!];
        if (!fn) throw new Error(`no fixture ${msg.name}`);
        return fn(msg.args);
      }
      case 'stats': {
        const out = stats(msg.reset ?? false);
        // The measured windows are the spans between resets (a generator's start and end marks).
        if (msg.reset) {
          await toggleWindowProfile();
          await (heapSession ? writeHeapSample() : startHeapSample());
        }
        return out;
      }
      case 'gc':
        for (let i = 0; i < 3; i++) (globalThis as { gc?: () => void }).gc?.();
        await new Promise((r) => setTimeout(r, 50));
        return stats(false);
      case 'close':
        await writeHeapSample();
        await started?.close?.();
        // Exit normally (so that --cpu-prof writes its profile) once the reply is out.
        setTimeout(() => process.exit(0), 100);
        return null;
      default:
        throw new Error(`unknown op ${msg.op}`);
    }
  })().then(reply, fail);
});
process.on('disconnect', () => process.exit(0));
process.send?.({ ready: true });
