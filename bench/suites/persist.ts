/**
 * B3: the message persistence path (validate, sequence, insert, outbox) against a
 * raw prepared INSERT of the same row: better-sqlite3 with one writer, and `pg`
 * with 10 concurrent writers. Everything runs in one process on the server core
 * (PostgreSQL is pinned there too); each trial gets a fresh database. Both sides write
 * the same number of messages untimed first (a warm-up, as in the other benchmarks).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { Child, SERVER_CORE } from '../lib/proc.js';
import { alternate, ratioCheck, trialRows, type Bench, type BenchResult, type Check, type Options } from '../lib/suite.js';
import { prepare } from '../targets/persist.js';

interface Trial { messages: number; seconds: number; perSec: number }

async function inChild(name: string, module: string, params: Record<string, unknown>): Promise<Trial> {
  const child = await Child.spawn(name, module, SERVER_CORE, params);
  try {
    return await child.run<Trial>();
  } finally {
    await child.stop();
  }
}

let dbCounter = 0;
async function freshDatabase(engine: 'sqlite' | 'postgres', pgUrl: string | null): Promise<{ database: string; drop: () => Promise<void> }> {
  if (engine === 'sqlite') {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'parley-b3-'));
    return { database: path.join(dir, 'b3.sqlite'), drop: async () => fs.rmSync(dir, { recursive: true, force: true }) };
  }
  const name = `b3_${process.pid}_${dbCounter++}`;
  const admin = new pg.Client({ connectionString: pgUrl! });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(pgUrl!);
  url.pathname = `/${name}`;
  return {
    database: url.toString(),
    drop: async () => {
      const c = new pg.Client({ connectionString: pgUrl! });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name}`);
      await c.end();
    },
  };
}

async function trial(engine: 'sqlite' | 'postgres', who: 'parley' | 'peer', opts: Options): Promise<Trial> {
  const writers = engine === 'sqlite' ? 1 : 10;
  const messages = opts.smoke ? 200 : engine === 'sqlite' ? 20_000 : 10_000;
  // Untimed first, the same for Parley and the peer, as the other benchmarks warm up before they measure.
  const warmup = opts.smoke ? 50 : engine === 'sqlite' ? 5_000 : 2_000;
  const { database, drop } = await freshDatabase(engine, opts.pgUrl);
  try {
    const sessions = await prepare(database, writers);
    const module = who === 'parley' ? 'targets/persist.ts' : engine === 'sqlite' ? 'peers/sqlite-insert.ts' : 'peers/pg-insert.ts';
    return await inChild(`${who} ${engine}`, module, { database, messages, warmup, writers, sessions });
  } finally {
    await drop();
  }
}

export const b3: Bench = {
  id: 'B3',
  title: 'Message persistence path vs a raw prepared INSERT',
  async run(opts): Promise<BenchResult> {
    const checks: Check[] = [];
    const trials: Record<string, unknown>[] = [];
    const notes: string[] = [];
    const engines: { engine: 'sqlite' | 'postgres'; min: number; label: string }[] = [];
    if (opts.engines.includes('sqlite')) engines.push({ engine: 'sqlite', min: 0.5, label: 'SQLite (WAL), 1 writer' });
    if (opts.pgUrl && opts.engines.includes('postgres')) engines.push({ engine: 'postgres', min: 0.7, label: 'PostgreSQL, 10 writers' });
    else if (opts.engines.includes('postgres')) notes.push('PostgreSQL not available: only SQLite measured.');
    for (const { engine, min, label } of engines) {
      const r = await alternate(opts, () => trial(engine, 'parley', opts), () => trial(engine, 'peer', opts));
      notes.push(...r.notes.map((n) => `${label}: ${n}`));
      checks.push(ratioCheck(`${label} (messages/s)`, r.parley.map((p, i) => p.perSec / r.peer[i]!.perSec), min));
      trials.push(...trialRows(r, (who, t) => ({ system: `${who} ${engine}`, messagesPerSec: Math.round(t.perSec), messages: t.messages })));
    }
    return { id: 'B3', title: this.title, checks, trials, notes };
  },
};
