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
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';

export interface Started {
  url: string;
  info?: Record<string, unknown>;
  fixtures?: Record<string, (args: any) => unknown>;
  close?: () => Promise<void>;
}

export interface ChildStats {
  cpuUs: number;
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

function stats(reset: boolean): ChildStats {
  const cpu = process.cpuUsage(cpuMark);
  const mem = process.memoryUsage();
  const out: ChildStats = {
    cpuUs: cpu.user + cpu.system,
    wallMs: performance.now() - wallMark,
    rss: mem.rss,
    heapUsed: mem.heapUsed,
    eld: { p50: eld.percentile(50) / 1e6, p99: eld.percentile(99) / 1e6, max: eld.max / 1e6, mean: eld.mean / 1e6 },
  };
  if (reset) {
    cpuMark = process.cpuUsage();
    wallMark = performance.now();
    eld.reset();
  }
  return out;
}

/**
 * BENCH_HEAP_SAMPLE=<dir> (server modules): a sampling heap profile of the objects that
 * outlive a scavenge (live at the end, or collected by a mark-compact), written at close;
 * where an allocation site shows here, its objects were promoted to the old generation.
 */
const heapSampleDir = process.env.BENCH_HEAP_SAMPLE;
let heapSession: Session | null = null;
async function startHeapSample(): Promise<void> {
  if (!heapSampleDir) return;
  heapSession = new Session();
  heapSession.connect();
  await heapSession.post('HeapProfiler.startSampling', { samplingInterval: 16_384, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: false } as never);
}
async function writeHeapSample(): Promise<void> {
  if (!heapSession || !heapSampleDir) return;
  const { profile } = (await heapSession.post('HeapProfiler.stopSampling')) as { profile: unknown };
  fs.mkdirSync(heapSampleDir, { recursive: true });
  fs.writeFileSync(path.join(heapSampleDir, `heap-${process.pid}.heapprofile`), JSON.stringify(profile));
  heapSession.disconnect();
  heapSession = null;
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
        await startHeapSample();
        return { url: started.url, info: started.info ?? {} };
      case 'run':
        return mod.run!(params, ctx);
      case 'call': {
        const fn = started?.fixtures?.[msg.name!];
        if (!fn) throw new Error(`no fixture ${msg.name}`);
        return fn(msg.args);
      }
      case 'stats':
        return stats(msg.reset ?? false);
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
