/**
 * `npm run bench`: Parley against bare peers, side by side in one run.
 *
 *   npm run bench                     every benchmark, full size
 *   npm run bench -- B1 B3            some of them
 *   npm run bench -- --smoke          tiny versions (what CI runs: proves the suite works, measures nothing)
 *   npm run bench -- --out file.json  where to write the results (default bench/results/<date>.json,
 *                                     or <date>-B1-B3.json and the like for a partial run)
 *
 * The server side (Parley or a peer, and PostgreSQL) runs on core 0, load
 * generators on core 1. See docs/performance.md for the method and the findings.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
// @ts-expect-error plain ESM helper shared with the test runner
import { startPostgres } from '../scripts/pg.mjs';
import { benchDir, pin, SERVER_CORE, watchPostgres } from './lib/proc.js';
import { startCoreProbe, stopCoreProbe } from './lib/core-probe.js';
import { v8FlagsFor } from '../packages/server/src/runtime.js';
import { positiveEnv, type Bench, type BenchResult, type Options } from './lib/suite.js';
import { b1, b2 } from './suites/fanout.js';
import { b3 } from './suites/persist.js';
import { b4, b5 } from './suites/e2e.js';
import { b6, b7, b8 } from './suites/connections.js';

const all: Bench[] = [b1, b2, b3, b4, b5, b6, b7, b8];

const argv = process.argv.slice(2);
const smoke = argv.includes('--smoke');
const outIdx = argv.indexOf('--out');
const wanted = argv.filter((a, i) => /^B\d+$/i.test(a) && argv[i - 1] !== '--out').map((a) => a.toUpperCase());
// BENCH_ENGINES=sqlite or =postgres: measure B3 and B5 on one engine only.
const engines = (process.env.BENCH_ENGINES ?? 'sqlite,postgres').split(',').filter((e): e is 'sqlite' | 'postgres' => e === 'sqlite' || e === 'postgres');
const out = outIdx >= 0 ? path.resolve(argv[outIdx + 1]!) : path.join(benchDir, 'results', `${defaultName()}.json`);

/**
 * `<date>` for a full run; a smoke run, some benchmarks, one engine, or sizes, profilers or
 * options set in the environment add what they were (`<date>-B3-B5-postgres`, `…-custom`), so
 * such a run never replaces the day's full results.
 */
function defaultName(): string {
  const parts = [new Date().toISOString().slice(0, 10)];
  if (smoke) parts.push('smoke');
  parts.push(...wanted);
  if (engines.length === 1) parts.push(engines[0]!);
  // Trial counts, rates or windows other than the benchmark's own, or a profiler, flags or
  // server options that change what is measured.
  const custom = ['BENCH_TRIALS', 'BENCH_B5_RATE', 'BENCH_B5_SECONDS', 'BENCH_PROFILE', 'BENCH_WINDOW_PROFILE', 'BENCH_HEAP_SAMPLE',
    'BENCH_SERVER_FLAGS', 'BENCH_PG_OPTIONS', 'BENCH_PG_SOCKET', 'BENCH_LATENCY_TRACE', 'BENCH_COMMIT_GATHER_MS'];
  // Set but empty counts as unset, as the settings themselves read it.
  if (custom.some((name) => (process.env[name] ?? '') !== '')) parts.push('custom');
  return parts.join('-');
}
const selected = wanted.length ? all.filter((b) => wanted.includes(b.id)) : all;

function machine() {
  const cpus = os.cpus();
  let kernel = os.release();
  try {
    kernel = execFileSync('uname', ['-sr'], { encoding: 'utf8' }).trim();
  } catch { /* keep os.release() */ }
  return {
    cpu: cpus[0]?.model.trim() ?? 'unknown', cores: cpus.length, memoryGb: Math.round(os.totalmem() / 2 ** 30),
    node: process.version, kernel, fileLimit: Number(execFileSync('sh', ['-c', 'ulimit -n'], { encoding: 'utf8' }).trim()),
    /** The V8 flags of Parley's processes: those its entry point starts with on one CPU (packages/server/src/runtime.ts). */
    parleyFlags: v8FlagsFor(1),
  };
}

const log = (line: string) => console.log(line);
// BENCH_PG_OPTIONS='-c name=value …': more PostgreSQL server options, for investigations.
const pg = engines.includes('postgres') ? await startPostgres({ durable: true, options: process.env.BENCH_PG_OPTIONS }) : null;
if (pg) {
  pin(pg.pid, SERVER_CORE);
  watchPostgres(pg.pid);
}
else if (engines.includes('postgres')) log('PostgreSQL binaries not found: the PostgreSQL measurements are skipped.');
const opts: Options = { smoke, trials: smoke ? 1 : Math.round(positiveEnv('BENCH_TRIALS', 3)), pgUrl: (process.env.BENCH_PG_SOCKET === '1' ? pg?.socketUrl : pg?.url) ?? null, engines, log };

const results: BenchResult[] = [];
const failures: string[] = [];
const started = Date.now();
startCoreProbe();
try {
  for (const bench of selected) {
    log(`\n== ${bench.id}: ${bench.title}${smoke ? ' (smoke)' : ''}`);
    const t0 = Date.now();
    try {
      const r = await bench.run(opts);
      results.push(r);
      for (const c of r.checks) log(`   ${c.met ? 'met   ' : 'MISSED'} ${c.what}: ${c.value} (target ${c.target})`);
      for (const n of r.notes) log(`   note: ${n}`);
    } catch (err) {
      failures.push(`${bench.id}: ${err instanceof Error ? err.stack : String(err)}`);
      log(`   FAILED: ${err instanceof Error ? err.message : String(err)}`);
    }
    log(`   (${((Date.now() - t0) / 1000).toFixed(0)} s)`);
  }
} finally {
  stopCoreProbe();
  pg?.stop();
}

const report = { date: new Date().toISOString(), smoke, machine: machine(), seconds: Math.round((Date.now() - started) / 1000), results, failures };
fs.mkdirSync(path.dirname(out), { recursive: true });
fs.writeFileSync(out, `${JSON.stringify(report, null, 2)}\n`);

const m = report.machine;
console.log(`\n### Benchmarks${smoke ? ' (smoke run: sizes too small to mean anything)' : ''}\n`);
const flags = m.parleyFlags.length ? ` (Parley with ${m.parleyFlags.join(' ')}, as its entry point starts on one CPU)` : '';
console.log(`${m.cpu}, ${m.cores} cores, ${m.memoryGb} GB, ${m.kernel}, Node ${m.node}; server on core ${SERVER_CORE}${flags}, load on the other.\n`);
console.log('| id | measure | Parley | target | met |');
console.log('|---|---|---|---|---|');
for (const r of results) for (const c of r.checks) console.log(`| ${r.id} | ${c.what} | ${c.value} | ${c.target} | ${c.met ? 'yes' : '**no**'} |`);
for (const f of failures) console.log(`\nFAILED ${f}`);
console.log(`\nresults: ${path.relative(process.cwd(), out)}`);
process.exit(failures.length ? 1 : 0);
