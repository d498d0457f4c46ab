/**
 * The embedded database's write-ahead log: checkpoints run in the background
 * worker, not inside the main connection's commits, and nothing is lost on close.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import SQLite from 'better-sqlite3';
import { sql } from 'kysely';
import { openDb } from '../src/persistence/db.js';
import { eventually } from './helpers/harness.js';

const PAGE = 4096;

test('SQLite: the background worker checkpoints the log while the main connection keeps writing', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'parley-wal-'));
  const file = path.join(dir, 'parley.sqlite');
  const db = openDb({ kind: 'sqlite', file });
  try {
    await sql`create table t (id integer primary key, v text not null)`.execute(db.kysely);
    const sizeBefore = fs.statSync(file).size;
    // About 2,000 pages: well under the main connection's own checkpoint threshold, so only the
    // worker can have copied them into the database file.
    const value = 'x'.repeat(PAGE - 200);
    for (let i = 0; i < 2000; i++) await sql`insert into t (v) values (${value})`.execute(db.kysely);
    await eventually(() => (fs.statSync(file).size >= sizeBefore + 1500 * PAGE ? true : undefined), 5000, 'the pages to reach the database file');
    // The log was not truncated by a main-connection checkpoint meanwhile: it still holds the frames.
    assert.ok(fs.statSync(`${file}-wal`).size >= 1500 * PAGE);
  } finally {
    await db.close();
  }
  // Closing stops the worker first; the main connection's close then checkpoints and removes the log.
  assert.equal(fs.existsSync(`${file}-wal`), false);
  const check = new SQLite(file, { readonly: true });
  try {
    assert.equal((check.prepare('select count(*) as n from t').get() as { n: number }).n, 2000);
    assert.equal((check.pragma('integrity_check') as { integrity_check: string }[])[0]!.integrity_check, 'ok');
  } finally {
    check.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
