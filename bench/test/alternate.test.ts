/**
 * The trial loop's handling of a slowed server core, and the median it reports: pairs in which the core probe ran slow
 * are measured again and left out, and counted when calm pairs cannot be had. The probe's
 * samples are fed in directly, as each "trial" would have seen them.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { alternate, SLOW_CORE, trialRows } from '../lib/suite.js';
import { recordCoreSample } from '../lib/core-probe.js';

/** A trial that returns `value` and during which the probe took `us` per sample. */
function trial(value: string, us: number) {
  return async () => {
    for (let i = 0; i < 5; i++) {
      recordCoreSample(Date.now(), us);
      await new Promise((r) => setTimeout(r, 2));
    }
    return value;
  };
}

/** Trials from a script: each call takes the next (value, probe µs). */
function script(steps: [string, number][]) {
  let i = 0;
  return () => {
    const [value, us] = steps[i++]!;
    return trial(value, us)();
  };
}

test('a pair run on a slowed core is measured again and left out', async () => {
  const parley = script([['p1', 1000], ['p2', 1600], ['p3', 1010], ['p4', 990]]);
  const peer = script([['q1', 1000], ['q2', 1000], ['q3', 1020], ['q4', 1000]]);
  const r = await alternate({ trials: 3, smoke: false }, parley, peer);
  assert.deepEqual(r.parley, ['p1', 'p3', 'p4']);
  assert.deepEqual(r.peer, ['q1', 'q3', 'q4']);
  // Left out of the ratio, not of the record or of the correctness checks.
  assert.deepEqual(r.all, { parley: ['p1', 'p2', 'p3', 'p4'], peer: ['q1', 'q2', 'q3', 'q4'] });
  assert.deepEqual(trialRows(r, (who, t) => ({ who, t })).filter((x) => 'leftOut' in x), [{ who: 'parley', t: 'p2', leftOut: true }, { who: 'peer', t: 'q2', leftOut: true }]);
  assert.ok(r.notes.some((n) => /during 1 of 4 pairs: they were measured again and left out/.test(n)), r.notes.join('\n'));
  assert.ok(r.notes.some((n) => /, 1\.6\d*\/1\.0\d* \(slowed\), /.test(n)), r.notes.join('\n'));
});

test('a slowed peer trial disturbs its pair as well', async () => {
  const r = await alternate({ trials: 2, smoke: false }, script([['p1', 1000], ['p2', 1000], ['p3', 1000]]), script([['q1', 1000 * SLOW_CORE + 100], ['q2', 1000], ['q3', 1000]]));
  assert.deepEqual(r.parley, ['p2', 'p3']);
  assert.deepEqual(r.peer, ['q2', 'q3']);
});

test('when calm pairs cannot be had, every pair counts and the notes say so', async () => {
  const r = await alternate({ trials: 2, smoke: false }, script([['p1', 1000], ['p2', 2000], ['p3', 2000], ['p4', 2000]]), script([['q1', 1000], ['q2', 1000], ['q3', 1000], ['q4', 1000]]));
  // Two extra pairs at most (as many as the trials asked for), then all four count.
  assert.deepEqual(r.parley, ['p1', 'p2', 'p3', 'p4']);
  assert.ok(r.notes.some((n) => /during 3 of 4 pairs, also when measured again: every pair counts/.test(n)), r.notes.join('\n'));
});

test('smoke runs and core-independent measures are never repeated', async () => {
  const smoke = await alternate({ trials: 1, smoke: true }, script([['p1', 1000]]), script([['q1', 3000]]));
  assert.deepEqual(smoke.parley, ['p1']);
  const memory = await alternate({ trials: 2, smoke: false }, script([['p1', 1000], ['p2', 3000]]), script([['q1', 1000], ['q2', 1000]]), { coreBound: false });
  assert.deepEqual(memory.parley, ['p1', 'p2']);
  assert.deepEqual(memory.notes, []);
});

test('the median of an even count is the mean of the two middle values', async () => {
  const { median, summarize } = await import('../lib/stats.js');
  assert.equal(median([0.77, 0.79, 0.7997, 0.82, 0.84, 1.33]), (0.7997 + 0.82) / 2);
  assert.equal(median([3, 1, 2]), 2);
  assert.deepEqual(summarize([1, 4, 2, 3]), { median: 2.5, min: 1, max: 4 });
});
