/**
 * Configuration: defaults, every invalid value reported at once, and the listen
 * backlog reaching the listening socket.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { test } from 'node:test';
import { ConfigError, loadConfig } from '../src/config.js';
import { startTestServer } from './helpers/harness.js';

test('config: defaults', () => {
  const c = loadConfig({ DATA_DIR: '/tmp/parley-config-test' });
  assert.equal(c.port, 8080);
  assert.equal(c.host, '0.0.0.0');
  assert.equal(c.listenBacklog, 4096);
  assert.equal(c.commitGatherMs, 0);
  assert.deepEqual(c.database, { kind: 'sqlite', file: '/tmp/parley-config-test/parley.db' });
});

test('config: every invalid value is listed in one error', () => {
  let err: unknown;
  try {
    loadConfig({ PORT: 'eighty', LISTEN_BACKLOG: '0', LOG_LEVEL: 'loud', ADMIN_TOKEN: 'short', PARLEY_V8_FLAGS: 'false', COMMIT_GATHER_MS: '-1' });
  } catch (e) {
    err = e;
  }
  assert.ok(err instanceof ConfigError, 'loadConfig throws ConfigError');
  assert.equal(err.problems.length, 6, err.message);
  for (const name of ['PORT', 'LISTEN_BACKLOG', 'LOG_LEVEL', 'ADMIN_TOKEN', 'PARLEY_V8_FLAGS', 'COMMIT_GATHER_MS']) {
    assert.ok(err.problems.some((p) => p.startsWith(name)), `${name} is named: ${err.message}`);
  }
});

// A listening TCP socket's Send-Q, as `ss -lnt` shows it, is the backlog it was given
// (capped by net.core.somaxconn).
const ss = spawnSync('ss', ['-V']).status === 0;
test('config: LISTEN_BACKLOG is the listening socket\'s queue length', { skip: ss ? false : 'ss (iproute2) is not installed' }, async () => {
  const somaxconn = Number(fs.readFileSync('/proc/sys/net/core/somaxconn', 'utf8'));
  const wanted = Math.min(1234, somaxconn);
  const srv = await startTestServer('sqlite', { LISTEN_BACKLOG: '1234' });
  try {
    const port = new URL(srv.url).port;
    const out = spawnSync('ss', ['-Hlnt', `sport = :${port}`], { encoding: 'utf8' }).stdout.trim();
    // State Recv-Q Send-Q Local-Address:Port Peer-Address:Port
    const sendQ = Number(out.split(/\s+/)[2]);
    assert.equal(sendQ, wanted, out);
  } finally {
    await srv.close();
  }
});
