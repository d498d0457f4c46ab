#!/usr/bin/env node
/**
 * Runs the whole test suite once, against SQLite and PostgreSQL alike.
 * PostgreSQL is started from the system's binaries on a temporary data directory
 * and port, and stopped afterwards. With CI=true a missing PostgreSQL is an error;
 * elsewhere the PostgreSQL cases are reported as skipped, with the reason.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const ci = process.env.CI === 'true' || process.env.CI === '1';

function findPgBin(name) {
  const dirs = (process.env.PATH ?? '').split(':');
  const versions = fs.existsSync('/usr/lib/postgresql') ? fs.readdirSync('/usr/lib/postgresql').sort((a, b) => Number(b) - Number(a)) : [];
  for (const v of versions) dirs.push(`/usr/lib/postgresql/${v}/bin`);
  for (const d of dirs) {
    const p = path.join(d, name);
    if (d && fs.existsSync(p)) return p;
  }
  return null;
}

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
    srv.on('error', reject);
  });
}

/** Starts a throwaway PostgreSQL cluster; returns {url, stop} or null when no binaries exist. */
async function startPostgres() {
  const initdb = findPgBin('initdb');
  const pgCtl = findPgBin('pg_ctl');
  if (!initdb || !pgCtl) return null;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'parley-pg-'));
  const port = await freePort();
  // PostgreSQL refuses to run as root: run it as the postgres system user then.
  const asRoot = process.getuid?.() === 0;
  if (asRoot) execFileSync('chown', ['-R', 'postgres', dir]);
  const run = (cmd, args) => {
    const argv = asRoot ? ['-u', 'postgres', '--', cmd, ...args] : args;
    const res = spawnSync(asRoot ? 'runuser' : cmd, argv, { cwd: dir, encoding: 'utf8' });
    if (res.status !== 0) throw new Error(`${cmd} failed: ${res.stderr || res.stdout}`);
  };
  run(initdb, ['-D', path.join(dir, 'data'), '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync']);
  run(pgCtl, ['-D', path.join(dir, 'data'), '-l', path.join(dir, 'log'), '-w', '-o',
    `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=300 -c synchronous_commit=off`, 'start']);
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    stop: () => {
      try {
        run(pgCtl, ['-D', path.join(dir, 'data'), '-m', 'immediate', '-w', 'stop']);
      } catch { /* already gone */ }
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

function testFiles() {
  const out = [];
  for (const pkg of fs.readdirSync(path.join(root, 'packages'))) {
    const dir = path.join(root, 'packages', pkg, 'test');
    if (!fs.existsSync(dir)) continue;
    for (const f of fs.readdirSync(dir)) if (f.endsWith('.test.ts')) out.push(path.join('packages', pkg, 'test', f));
  }
  return out.sort();
}

// The browser tests need the built console and widget (PARLEY_TEST_NO_BUILD=1 reuses the last build).
const build = process.env.PARLEY_TEST_NO_BUILD ? { status: 0 } : spawnSync('npm', ['run', 'build', '--silent'], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
if (build.status !== 0) {
  console.error('npm run build failed');
  process.exit(1);
}

const pgServer = await startPostgres();
const env = { ...process.env };
if (pgServer) {
  env.PARLEY_TEST_PG_URL = pgServer.url;
} else if (ci) {
  console.error('PostgreSQL binaries (initdb, pg_ctl) not found; CI must run the PostgreSQL suite. Install the postgresql package.');
  process.exit(1);
} else {
  console.warn('\n!! PostgreSQL binaries not found: the PostgreSQL cases will be reported as skipped. Install postgresql to run them.\n');
}

const args = ['--import', 'tsx', '--test', '--test-concurrency=2', ...process.argv.slice(2), ...testFiles()];
const child = spawn(process.execPath, args, { cwd: root, env, stdio: 'inherit' });
const code = await new Promise((resolve) => child.on('exit', (c, sig) => resolve(c ?? (sig ? 1 : 0))));
pgServer?.stop();
process.exit(code);
