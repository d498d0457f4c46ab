/**
 * A throwaway PostgreSQL cluster from the system's binaries, on a temporary data
 * directory and a free port (used by the test suite and the benchmarks).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

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

/**
 * Starts a throwaway PostgreSQL cluster; returns {url, stop} or null when no binaries exist.
 * `opts.durable`: fsync and synchronous commit on; `opts.options`: more server options (`-c name=value …`).
 */
export async function startPostgres(opts = {}) {
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
  const durability = opts.durable ? '' : ' -c fsync=off -c synchronous_commit=off';
  const extra = opts.options ? ` ${opts.options}` : '';
  run(pgCtl, ['-D', path.join(dir, 'data'), '-l', path.join(dir, 'log'), '-w', '-o',
    `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c max_connections=300${durability}${extra}`, 'start']);
  const pidFile = path.join(dir, 'data', 'postmaster.pid');
  const pid = Number(fs.readFileSync(pidFile, 'utf8').split('\n')[0]);
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    /** The same cluster over its Unix socket. */
    socketUrl: `postgres://postgres@/postgres?host=${encodeURIComponent(dir)}&port=${port}`,
    pid,
    stop: () => {
      try {
        run(pgCtl, ['-D', path.join(dir, 'data'), '-m', 'immediate', '-w', 'stop']);
      } catch { /* already gone */ }
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

