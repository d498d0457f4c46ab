/** What every benchmark reports, and the shared trial loop. */
import { Child, SERVER_CORE } from './proc.js';
import { summarize, round } from './stats.js';
import { coreTime } from './core-probe.js';

export interface Options {
  smoke: boolean;
  /** Parley/peer alternations (at least 3 outside smoke runs). */
  trials: number;
  /** PostgreSQL URL of the throwaway cluster, when one is running. */
  pgUrl: string | null;
  /** Engines B3 and B5 measure (`BENCH_ENGINES=sqlite,postgres`, the default). */
  engines: readonly ('sqlite' | 'postgres')[];
  log: (line: string) => void;
}

export interface Check {
  what: string;
  target: string;
  value: string;
  met: boolean;
  /** A correctness check (nothing lost, duplicated or refused), as opposed to a speed target. */
  integrity?: boolean;
}

export interface BenchResult {
  id: string;
  title: string;
  /** Raw measurements per trial. */
  trials: Record<string, unknown>[];
  checks: Check[];
  notes: string[];
}

export interface Bench {
  id: string;
  title: string;
  run(opts: Options): Promise<BenchResult>;
}

/** Starts Parley (or a peer) on the server core. */
export async function server(name: string, module: string, params: Record<string, unknown> = {}): Promise<{ child: Child; url: string; info: Record<string, any> }> {
  const child = await Child.spawn(name, module, SERVER_CORE, params);
  const { url, info } = await child.start();
  return { child, url, info };
}

/** A positive number from the environment (`fallback` when unset); anything else stops the run with the variable's name. */
export function positiveEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`${name} must be a positive number, got "${raw}"`);
  return n;
}

/** A trial whose core probe took this much longer than the run's calmest trial ran on a slowed core. */
export const SLOW_CORE = 1.25;

/**
 * Runs Parley and the peer alternately, `opts.trials` pairs, starting with Parley. Each trial's
 * core speed is read from the core probe (see core-probe.ts): a pair in which either trial ran on
 * a slowed core (its probe over {@link SLOW_CORE}× the calmest trial's) is measured again, up to
 * `opts.trials` extra pairs, and left out when enough calm pairs were measured; otherwise every
 * pair counts and the notes say so. `all` holds every trial, for the correctness checks (nothing
 * lost), which a slowed core does not excuse. `coreBound: false` for measures the core's speed does
 * not move (memory).
 */
export async function alternate<T>(
  opts: Pick<Options, 'trials' | 'smoke'>, parley: () => Promise<T>, peer: () => Promise<T>, { coreBound = true } = {},
): Promise<{ parley: T[]; peer: T[]; notes: string[]; all: { parley: T[]; peer: T[] } }> {
  const pairs: { parley: T; peer: T; core: [number | null, number | null] }[] = [];
  const timed = async (f: () => Promise<T>): Promise<[T, number | null]> => {
    const from = Date.now();
    const value = await f();
    return [value, coreTime(from, Date.now())];
  };
  const extraAllowed = coreBound && !opts.smoke ? opts.trials : 0;
  const slow = (t: number | null, calm: number) => coreBound && t !== null && t > calm * SLOW_CORE;
  for (;;) {
    const [p, pc] = await timed(parley);
    const [q, qc] = await timed(peer);
    pairs.push({ parley: p, peer: q, core: [pc, qc] });
    if (pairs.length < opts.trials) continue;
    const times = pairs.flatMap((x) => x.core).filter((t): t is number => t !== null);
    const calm = times.length ? Math.min(...times) : 0;
    const calmPairs = pairs.filter((x) => !x.core.some((t) => slow(t, calm)));
    const done = calmPairs.length >= opts.trials || pairs.length >= opts.trials + extraAllowed;
    if (!done) continue;
    const notes: string[] = [];
    // Every trial, left out or not: what was lost or refused counts wherever it happened.
    const all = { parley: pairs.map((x) => x.parley), peer: pairs.map((x) => x.peer) };
    const disturbed = pairs.length - calmPairs.length;
    if (coreBound && times.length) {
      const shown = pairs.map((x) => x.core.map((t) => (t === null ? '?' : round(t / calm))).join('/') + (x.core.some((t) => slow(t, calm)) ? ' (slowed)' : ''));
      notes.push(`server core's probe time per pair, Parley/peer, ÷ the calmest trial's: ${shown.join(', ')}.`);
    }
    if (disturbed > 0 && calmPairs.length >= opts.trials) {
      notes.push(`the server core ran slowed (probe over ${SLOW_CORE}× its calmest) during ${disturbed} of ${pairs.length} pairs: they were measured again and left out.`);
      return { parley: calmPairs.map((x) => x.parley), peer: calmPairs.map((x) => x.peer), notes, all };
    }
    if (disturbed > 0) notes.push(`the server core ran slowed during ${disturbed} of ${pairs.length} pairs, also when measured again: every pair counts.`);
    return { ...all, notes, all };
  }
}

/** Every trial of an alternation as result rows, in order, those left out marked `leftOut: true`. */
export function trialRows<T, R extends object>(
  r: { parley: T[]; peer: T[]; all: { parley: T[]; peer: T[] } }, row: (who: 'parley' | 'peer', t: T) => R,
): (R & { leftOut?: true })[] {
  const kept = new Set<T>([...r.parley, ...r.peer]);
  const mark = (who: 'parley' | 'peer', t: T) => (kept.has(t) ? row(who, t) : { ...row(who, t), leftOut: true as const });
  return [...r.all.parley.map((t) => mark('parley', t)), ...r.all.peer.map((t) => mark('peer', t))];
}

/** Ratio check over paired trials: median and spread of parley[i]/peer[i]. */
export function ratioCheck(what: string, ratios: number[], min: number): Check {
  const s = summarize(ratios);
  // A median just under the target is shown with a third digit, so that the value does not read as met.
  // (cut, not rounded: 0.7997 shows as 0.799).
  const median = s.median < min && round(s.median) >= min ? Math.floor(s.median * 1000) / 1000 : round(s.median);
  return {
    what,
    target: `≥ ${min}×`,
    value: `${median}× (${round(s.min)}–${round(s.max)})`,
    met: s.median >= min,
  };
}

export function fmt(n: number, digits = 0): string {
  return Number.isFinite(n) ? n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits }) : String(n);
}

/** A generator is saturated when it used ≥ 80% of its core over the window. */
export const SATURATED = 0.8;
