/**
 * Starting benchmark children pinned to a core with `taskset`, and talking to them.
 * The server side (Parley or a peer, and PostgreSQL) runs on core 0, load
 * generators on core 1, so neither steals the other's CPU.
 */
import { fork, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { ChildStats } from './child.js';
import { v8FlagsFor } from '../../packages/server/src/runtime.js';

export const SERVER_CORE = 0;
export const LOAD_CORE = 1;
const childEntry = path.join(import.meta.dirname, 'child.ts');
export const benchDir = path.resolve(import.meta.dirname, '..');

/** Pins a running process (and its threads) to one core; a no-op where taskset is missing. */
export function pin(pid: number, core: number): void {
  spawnSync('taskset', ['-a', '-pc', String(core), String(pid)], { stdio: 'ignore' });
}

let postgresPid: number | null = null;
/** The PostgreSQL cluster the run started: its processes' CPU is reported over each window. */
export function watchPostgres(pid: number): void {
  postgresPid = pid;
}

/** CPU time (µs) used so far by the PostgreSQL server and its backends; null without a cluster. */
export function postgresCpuUs(): number | null {
  if (postgresPid === null) return null;
  const hz = 100; // USER_HZ: the unit of /proc/<pid>/stat's times on Linux
  let ticks = 0;
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue; // gone meanwhile
    }
    // Fields after the command name (which may hold spaces): state, ppid, …, utime (14th), stime,
    // cutime, cstime (CPU of exited children the process has waited for).
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // The server itself counts with its exited backends (cutime, cstime): connections close meanwhile.
    if (Number(entry) === postgresPid) ticks += Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14]);
    else if (Number(f[1]) === postgresPid) ticks += Number(f[11]) + Number(f[12]);
  }
  return (ticks * 1e6) / hz;
}

/** Parley's own processes (bench/targets), as opposed to the peers and the generators. */
export const isParley = (module: string): boolean => module.startsWith('targets/');

export class Child {
  private next = 1;
  private readonly waiting = new Map<number, { resolve: (v: any) => void; reject: (e: Error) => void }>();
  private exited: Promise<number | null>;
  readonly logs: string[] = [];
  /** Called when a generator marks the start or end of its measured window. */
  onMark: (name: string) => void = () => undefined;
  /** Called when a generator asks for a garbage-collected sample of the server. */
  onSample: (name: string) => Promise<void> = async () => undefined;

  private constructor(readonly proc: ChildProcess, readonly name: string, private readonly params: Record<string, unknown>) {
    proc.on('message', (m: { id?: number; ok?: boolean; value?: unknown; error?: string; log?: string; mark?: string; sample?: string; sampleId?: number }) => {
      if (m.mark) this.onMark(m.mark);
      if (m.sample) void this.onSample(m.sample).finally(() => proc.send({ sampled: m.sampleId }));
      if (m.log) {
        this.logs.push(m.log);
        if (process.env.BENCH_VERBOSE) console.error(`[${name}] ${m.log}`);
      }
      if (m.id === undefined) return;
      const w = this.waiting.get(m.id);
      this.waiting.delete(m.id);
      if (m.ok) w?.resolve(m.value);
      else w?.reject(new Error(`${name}: ${m.error}`));
    });
    this.exited = new Promise((resolve) => proc.on('exit', (code) => {
      for (const w of this.waiting.values()) w.reject(new Error(`${name} exited (${code})`));
      this.waiting.clear();
      resolve(code);
    }));
  }

  static async spawn(name: string, module: string, core: number, params: Record<string, unknown> = {}, opts: { heapMb?: number } = {}): Promise<Child> {
    const execArgv = ['--import', 'tsx', '--expose-gc'];
    // Parley on the server core runs as its entry point would start it on one CPU (runtime.ts).
    if (core === SERVER_CORE && isParley(module)) execArgv.push(...v8FlagsFor(1));
    if (opts.heapMb) execArgv.push(`--max-old-space-size=${opts.heapMb}`);
    // BENCH_PROFILE=<dir>: CPU profiles of the server-side children, for docs/performance.md.
    if (process.env.BENCH_PROFILE && core === SERVER_CORE) execArgv.push('--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PROFILE}`);
    // BENCH_SERVER_FLAGS='--trace-gc …': extra Node/V8 flags for the server-side children, for investigations.
    if (process.env.BENCH_SERVER_FLAGS && core === SERVER_CORE) execArgv.push(...process.env.BENCH_SERVER_FLAGS.split(/\s+/).filter(Boolean));
    const proc = fork(childEntry, [path.resolve(benchDir, module)], {
      execArgv,
      env: { ...process.env, NODE_ENV: 'production' },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    pin(proc.pid!, core);
    const child = new Child(proc, name, params);
    await new Promise<void>((resolve, reject) => {
      const onMsg = (m: { ready?: boolean }) => {
        if (m.ready) {
          proc.off('message', onMsg);
          resolve();
        }
      };
      proc.on('message', onMsg);
      proc.once('exit', (code) => reject(new Error(`${name} exited before it was ready (${code})`)));
    });
    return child;
  }

  request<T = unknown>(msg: Record<string, unknown>): Promise<T> {
    const id = this.next++;
    return new Promise<T>((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      this.proc.send({ ...msg, id });
    });
  }

  start(): Promise<{ url: string; info: Record<string, any> }> {
    return this.request({ op: 'start', params: this.params });
  }
  run<T>(): Promise<T> {
    return this.request<T>({ op: 'run', params: this.params });
  }
  call<T = any>(name: string, args?: unknown): Promise<T> {
    return this.request<T>({ op: 'call', name, args });
  }
  stats(reset = false): Promise<ChildStats> {
    return this.request<ChildStats>({ op: 'stats', reset });
  }
  gc(): Promise<ChildStats> {
    return this.request<ChildStats>({ op: 'gc' });
  }

  async stop(): Promise<void> {
    if (this.proc.exitCode !== null) return;
    await Promise.race([this.request({ op: 'close' }).catch(() => undefined), new Promise((r) => setTimeout(r, 5000))]);
    await Promise.race([this.exited, new Promise((r) => setTimeout(r, 3000))]);
    this.proc.kill('SIGKILL');
    await this.exited;
  }
}

/**
 * Runs a generator module on the load core. The server is sampled when the generator
 * marks its window: `server` holds the server's CPU, memory and event-loop delay over it.
 */
export async function generate<T>(name: string, module: string, params: Record<string, unknown>, server?: Child, onSample?: (name: string) => Promise<void>): Promise<T & { server?: ChildStats; postgresCpuUs: number | null; samples: Record<string, ChildStats> }> {
  const gen = await Child.spawn(name, module, LOAD_CORE, params);
  let window: Promise<ChildStats> | undefined;
  let pgAtStart: number | null = null;
  let postgresUs: number | null = null;
  const samples: Record<string, ChildStats> = {};
  gen.onSample = onSample ?? (async (sample) => {
    if (server) samples[sample] = await server.gc();
  });
  gen.onMark = (mark) => {
    if (!server) return;
    if (mark === 'start') {
      void server.stats(true);
      pgAtStart = postgresCpuUs();
    }
    if (mark === 'end') {
      window = server.stats(true);
      const now = postgresCpuUs();
      postgresUs = now !== null && pgAtStart !== null ? now - pgAtStart : null;
    }
  };
  try {
    const result = await gen.run<T>();
    return { ...result, server: window ? await window : undefined, postgresCpuUs: postgresUs, samples };
  } finally {
    await gen.stop();
  }
}
