/** What every benchmark reports, and the shared trial loop. */
import { Child, SERVER_CORE } from './proc.js';
import { summarize, round } from './stats.js';

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

/** Runs Parley and the peer alternately, `trials` times each, starting with Parley. */
export async function alternate<T>(trials: number, parley: () => Promise<T>, peer: () => Promise<T>): Promise<{ parley: T[]; peer: T[] }> {
  const out = { parley: [] as T[], peer: [] as T[] };
  for (let i = 0; i < trials; i++) {
    out.parley.push(await parley());
    out.peer.push(await peer());
  }
  return out;
}

/** Ratio check over paired trials: median and spread of parley[i]/peer[i]. */
export function ratioCheck(what: string, ratios: number[], min: number): Check {
  const s = summarize(ratios);
  // A median just under the target is shown with a third digit, so that the value does not read as met.
  const median = s.median < min && round(s.median) >= min ? round(s.median, 3) : round(s.median);
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
