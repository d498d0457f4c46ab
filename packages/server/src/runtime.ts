/**
 * Node/V8 settings Parley chooses for the machine it runs on, applied by the entry point.
 *
 * On one CPU, V8's parallel and concurrent garbage-collector threads do not run beside the
 * event loop: they share its only core. A full collection then stops the event loop for the
 * main thread's part plus every helper's, interleaved by the scheduler: 100–170 ms stalls
 * in B5 on one core, against 20–35 ms of pause that V8 itself reports. With
 * `--single-threaded-gc` the main thread does all of the collector's work in its own
 * increments and the stalls went (docs/performance.md, "Spread literals, history strings, and
 * garbage collection on one core").
 * As the JVM picks its serial collector on one CPU, so does Parley.
 *
 * With the collector's work all on the main thread, how often a full collection runs decides
 * how much of the one core it takes. V8 sizes the old generation's next limit from the heap
 * alive after a collection times a factor it picks from the collector's and the program's
 * speeds; under load on one core it picked a factor near its minimum, and B5 made a full
 * collection every 3–8 s, each a burst of slow messages. `--heap-growing-percent=100` fixes the
 * factor at 2: in most 60-second windows one to four full collections instead of 7–18, and a
 * lower p99 (on SQLite 19–20 → 7.5–8.5 ms), for 40–100 MB more RSS under load
 * (docs/performance.md, "Full collections on one core: the heap's growing factor").
 *
 * V8 reads these flags when the heap is set up, so they are given on the command line, never
 * set at run time (that aborts V8 at the next collection).
 */
import { spawn } from 'node:child_process';
import os from 'node:os';

/** The V8 flags for a process that may run on `cpus` CPUs. */
export function v8FlagsFor(cpus: number): string[] {
  return cpus <= 1 ? ['--single-threaded-gc', '--heap-growing-percent=100'] : [];
}

/** A Node/V8 flag's name, as V8 reads it: `--no-x_y=1` and `--x-y` are both `--x-y`. */
const flagName = (arg: string) => `--${arg.split('=')[0]!.replace(/^--(no-)?/, '').replace(/_/g, '-')}`;

/** Set in the environment of a process Parley started with its flags, so that it does not do so again. */
const RELAUNCHED = 'PARLEY_V8_FLAGS_APPLIED';

/**
 * When this process lacks the flags for its CPUs (PARLEY_V8_FLAGS=off: never), runs the same
 * command again as a child with them, passing signals on and exiting as it exits, and returns
 * true: the caller then does nothing more. Otherwise returns false.
 */
export function relaunchWithV8Flags(): boolean {
  if (process.env[RELAUNCHED]) {
    watchParent();
    return false;
  }
  if (process.env.PARLEY_V8_FLAGS === 'off') return false;
  // A flag the command line already sets, to any value or negated, is left as given.
  const given = new Set(process.execArgv.map(flagName));
  const missing = v8FlagsFor(os.availableParallelism()).filter((f) => !given.has(flagName(f)));
  if (missing.length === 0) return false;
  const child = spawn(process.execPath, [...process.execArgv, ...missing, ...process.argv.slice(1)], {
    stdio: 'inherit',
    env: { ...process.env, [RELAUNCHED]: '1' },
  });
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => child.kill(signal));
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 128 + (os.constants.signals[signal] ?? 0) : 1)));
  child.on('error', (err) => {
    console.error(err);
    process.exit(1);
  });
  return true;
}

/**
 * In the relaunched process: when the process that started it is gone without passing a
 * signal on (killed with SIGKILL), stop as on SIGTERM instead of serving on as an orphan.
 */
function watchParent(): void {
  const parent = process.ppid;
  const timer = setInterval(() => {
    if (process.ppid === parent) return;
    clearInterval(timer);
    process.kill(process.pid, 'SIGTERM');
  }, 1000);
  timer.unref();
}
