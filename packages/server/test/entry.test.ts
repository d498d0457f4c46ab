/**
 * The entry point (main.ts) on one CPU starts itself again with the V8 flags of runtime.ts,
 * serves from that process, and passes signals on: a SIGTERM to the process that was
 * started stops both, and the exit code is the server's.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { v8FlagsFor } from '../src/runtime.js';

const root = path.resolve(import.meta.dirname, '..', '..', '..');
const hasTaskset = spawnSync('taskset', ['-c', '0', 'true']).status === 0;
const skip = hasTaskset ? false : 'taskset is not available';

test('the V8 flags: single-threaded garbage collection and a growing factor of 2 on one CPU, none on more', () => {
  assert.deepEqual(v8FlagsFor(1), ['--single-threaded-gc', '--heap-growing-percent=100']);
  assert.deepEqual(v8FlagsFor(2), []);
  assert.deepEqual(v8FlagsFor(16), []);
});

interface Started {
  proc: ChildProcess;
  /** The pid and URL of the process that logged "Parley is listening". */
  server: { pid: number; url: string };
  exit: Promise<number | null>;
}

/** Starts main.ts on the given CPUs and waits until a process of it listens. */
async function startMain(cpus: string, env: Record<string, string> = {}, nodeFlags: string[] = []): Promise<Started> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'parley-entry-'));
  const proc = spawn('taskset', ['-c', cpus, process.execPath, ...nodeFlags, '--import', 'tsx', path.join(root, 'packages/server/src/main.ts')], {
    cwd: root,
    env: { ...process.env, ...env, DATA_DIR: dir, HOST: '127.0.0.1', PORT: '0', LOG_LEVEL: 'info', ADMIN_TOKEN: 'entry-test-admin-token-0123456789', DATABASE_URL: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exit = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)));
  let out = '';
  const server = await new Promise<{ pid: number; url: string }>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no "listening" line within 30 s:\n${out}`)), 30_000);
    proc.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    proc.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      for (const line of out.split('\n')) {
        if (!line.includes('Parley is listening')) continue;
        const entry = JSON.parse(line) as { pid: number; url: string };
        clearTimeout(timer);
        resolve({ pid: entry.pid, url: entry.url });
      }
    });
    void exit.then((code) => reject(new Error(`main.ts exited (${code}) before listening:\n${out}`)));
  });
  return { proc, server, exit };
}

const argsOf = (pid: number) => fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
const parentOf = (pid: number) => Number(fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')[1]);
const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

test('on one CPU, main.ts serves from a child started with the V8 flags; SIGTERM stops both with code 0', { skip, timeout: 60_000 }, async () => {
  const { proc, server, exit } = await startMain('0');
  assert.notEqual(server.pid, proc.pid, 'the server is another process');
  assert.equal(parentOf(server.pid), proc.pid, 'started by the process that was run');
  for (const flag of ['--single-threaded-gc', '--heap-growing-percent=100']) {
    assert.ok(argsOf(server.pid).includes(flag), `${flag}: ${argsOf(server.pid).join(' ')}`);
    assert.ok(!argsOf(proc.pid!).includes(flag));
  }
  const res = await fetch(`${server.url}/healthz`);
  assert.equal(res.status, 200);
  proc.kill('SIGTERM');
  assert.equal(await exit, 0);
  for (let i = 0; i < 50 && alive(server.pid); i++) await new Promise((r) => setTimeout(r, 100));
  assert.equal(alive(server.pid), false, 'the server process stopped too');
});

test('on one CPU, a V8 flag given on the command line keeps its value; the missing one is added', { skip, timeout: 60_000 }, async () => {
  const { proc, server, exit } = await startMain('0', {}, ['--heap-growing-percent=50']);
  assert.notEqual(server.pid, proc.pid, 'started again for --single-threaded-gc');
  const args = argsOf(server.pid);
  assert.ok(args.includes('--single-threaded-gc'), args.join(' '));
  assert.deepEqual(args.filter((a) => a.startsWith('--heap-growing-percent')), ['--heap-growing-percent=50']);
  proc.kill('SIGTERM');
  assert.equal(await exit, 0);
});

test('on one CPU, when the process that was started is killed (SIGKILL), the server stops by itself', { skip, timeout: 60_000 }, async () => {
  const { proc, server, exit } = await startMain('0');
  assert.notEqual(server.pid, proc.pid);
  proc.kill('SIGKILL');
  await exit;
  for (let i = 0; i < 100 && alive(server.pid); i++) await new Promise((r) => setTimeout(r, 100));
  assert.equal(alive(server.pid), false, 'the orphaned server stopped');
});

test('PARLEY_V8_FLAGS=off, the flags already on the command line, or more than one CPU: main.ts serves from its own process', { skip, timeout: 60_000 }, async () => {
  const cases: [string, Record<string, string>, string[]][] = [
    ['0', { PARLEY_V8_FLAGS: 'off' }, []],
    // Every flag already set on the command line, negated or in V8's spelling: nothing to add.
    ['0', {}, ['--no-single-threaded-gc', '--heap_growing_percent=50']],
  ];
  if (os.availableParallelism() > 1) cases.push(['0,1', {}, []]);
  for (const [cpus, env, flags] of cases) {
    const { proc, server, exit } = await startMain(cpus, env, flags);
    assert.equal(server.pid, proc.pid, `cpus ${cpus} ${JSON.stringify(env)} ${flags.join(' ')}`);
    assert.ok(!argsOf(server.pid).includes('--single-threaded-gc'));
    proc.kill('SIGTERM');
    assert.equal(await exit, 0);
  }
});

test('on one CPU, an invalid PARLEY_V8_FLAGS stops the start with code 2 and names the variable', { skip, timeout: 60_000 }, () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'parley-entry-'));
  const r = spawnSync('taskset', ['-c', '0', process.execPath, '--import', 'tsx', path.join(root, 'packages/server/src/main.ts')], {
    cwd: root, encoding: 'utf8', timeout: 30_000,
    env: { ...process.env, DATA_DIR: dir, PORT: '0', ADMIN_TOKEN: 'entry-test-admin-token-0123456789', DATABASE_URL: '', PARLEY_V8_FLAGS: 'false' },
  });
  assert.equal(r.status, 2, r.stderr);
  assert.match(r.stderr, /PARLEY_V8_FLAGS must be on or off \(got "false"\)/);
});
