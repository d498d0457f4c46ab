/**
 * SQLite WAL checkpoints off the event loop.
 *
 * In WAL mode every commit appends to the log, and once the log holds 1,000 pages
 * the committing connection copies them back into the database file and syncs it
 * (the automatic checkpoint). better-sqlite3 is synchronous, so that copy and its
 * fsyncs ran on the event loop inside a commit: at 1,000 messages/s one commit in
 * every ~200 took 6–27 ms, growing with the file, and every request behind it waited.
 *
 * A worker thread with a connection of its own runs PASSIVE checkpoints every
 * `intervalMs`. A PASSIVE checkpoint never blocks the writer: it copies the frames
 * committed before it started and syncs the database file while the main
 * connection keeps committing.
 *
 * The main connection keeps an automatic checkpoint, at 10,000 pages instead of
 * 1,000: a log can only restart from its beginning once every frame in it is back
 * in the database, which a checkpoint racing the writer never sees, so the main
 * connection still has to finish the job now and then. When it does, nearly
 * everything has been copied already: a few pages to copy, two short syncs (about
 * 5 ms here), once every ~2 s at 1,000 messages/s instead of a full copy every
 * ~200 ms. The log stays under about 40 MB.
 */
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type SQLite from 'better-sqlite3';

/** Pages in the log at which the main connection checkpoints by itself. */
const MAIN_AUTOCHECKPOINT_PAGES = 10_000;

export interface Checkpointer {
  /** Stops the worker and closes its connection. */
  close(): Promise<void>;
}

// The worker's code is evaluated, not loaded from a file, so that it runs the same from
// the TypeScript sources and from the build.
const WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const SQLite = require(workerData.driver);
// Named, so that per-thread tools (top -H, /proc) tell its CPU from the garbage collector's threads.
try { require('node:fs').writeFileSync('/proc/thread-self/comm', 'sqlite-ckpt'); } catch { /* not Linux */ }
const db = new SQLite(workerData.file);
db.pragma('busy_timeout = 0');
const checkpoint = () => {
  try { db.pragma('wal_checkpoint(PASSIVE)'); } catch { /* busy or closing: the next tick tries again */ }
};
const timer = setInterval(checkpoint, workerData.intervalMs);
parentPort.on('message', (m) => {
  if (m !== 'close') return;
  clearInterval(timer);
  db.close();
  parentPort.close();
});
`;

export function startCheckpointer(conn: SQLite.Database, file: string, intervalMs = 50): Checkpointer {
  conn.pragma(`wal_autocheckpoint = ${MAIN_AUTOCHECKPOINT_PAGES}`);
  const driver = createRequire(import.meta.url).resolve('better-sqlite3');
  const worker = new Worker(WORKER, { eval: true, workerData: { file, driver, intervalMs } });
  // Checkpoints are an optimisation: without the worker, the main connection's automatic
  // checkpoint still does the work. A failing worker must not take the process down.
  worker.on('error', () => undefined);
  worker.unref();
  let exited = false;
  worker.once('exit', () => (exited = true));
  let closed: Promise<void> | null = null;
  return {
    close() {
      closed ??= new Promise<void>((resolve) => {
        if (exited) return resolve();
        worker.once('exit', () => resolve());
        // Unreferenced, the worker would not keep the process alive until it has closed.
        worker.ref();
        worker.postMessage('close');
        // A worker stuck in a checkpoint is stopped rather than waited on.
        setTimeout(() => void worker.terminate(), 2000).unref();
      });
      return closed;
    },
  };
}
