#!/usr/bin/env node
/**
 * Runs the whole test suite once, against SQLite and PostgreSQL alike.
 * PostgreSQL is started from the system's binaries on a temporary data directory
 * and port, and stopped afterwards. With CI=true a missing PostgreSQL is an error;
 * elsewhere the PostgreSQL cases are reported as skipped, with the reason.
 */
import { spawn, spawnSync } from 'node:child_process';
import { startPostgres } from './pg.mjs';
import fs from 'node:fs';
import path from 'node:path';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const ci = process.env.CI === 'true' || process.env.CI === '1';

function testFiles() {
  const out = [];
  for (const pkg of fs.readdirSync(path.join(root, 'packages'))) {
    const dir = path.join(root, 'packages', pkg, 'test');
    if (!fs.existsSync(dir)) continue;
    for (const f of fs.readdirSync(dir)) if (f.endsWith('.test.ts')) out.push(path.join('packages', pkg, 'test', f));
  }
  // The benchmark suite's smoke run: proves every benchmark still works (it measures nothing).
  for (const f of fs.readdirSync(path.join(root, 'bench', 'test'))) if (f.endsWith('.test.ts')) out.push(path.join('bench', 'test', f));
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
