/**
 * The benchmark suite's smoke run (`npm run bench -- --smoke`): every benchmark runs
 * at a tiny size through the same code as the full run, so the suite cannot rot.
 * Speed targets are not asserted here (timings never go into tests); correctness
 * checks are: nothing lost, duplicated or refused, everyone reconnected.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';

const root = path.resolve(import.meta.dirname, '..', '..');

test('npm run bench -- --smoke runs every benchmark and loses nothing', { timeout: 600_000 }, () => {
  const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'parley-bench-smoke-')), 'smoke.json');
  const run = spawnSync(process.execPath, ['--import', 'tsx', 'bench/run.ts', '--smoke', '--out', out], { cwd: root, encoding: 'utf8', timeout: 580_000 });
  assert.equal(run.status, 0, `bench exited with ${run.status}:\n${run.stdout}\n${run.stderr}`);
  const report = JSON.parse(fs.readFileSync(out, 'utf8')) as {
    smoke: boolean; failures: string[];
    results: { id: string; checks: { what: string; met: boolean; integrity?: boolean; value: string }[]; trials: unknown[] }[];
  };
  assert.equal(report.smoke, true);
  assert.deepEqual(report.failures, []);
  assert.deepEqual(report.results.map((r) => r.id), ['B1', 'B2', 'B3', 'B4', 'B5', 'B6', 'B7', 'B8']);
  for (const r of report.results) {
    assert.ok(r.checks.length > 0 && r.trials.length > 0, `${r.id} measured something`);
  }
  const integrity = report.results.flatMap((r) => r.checks.filter((c) => c.integrity).map((c) => ({ id: r.id, ...c })));
  // B1, B2, B4, B5 (both engines), B7 and B8 each check what was delivered.
  assert.ok(integrity.length >= 8, `integrity checks: ${integrity.length}`);
  for (const c of integrity) assert.ok(c.met, `${c.id} ${c.what}: ${c.value}`);
  assert.match(run.stdout, /\| id \| measure \| Parley \| target \| met \|/);
});
