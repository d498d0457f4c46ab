/**
 * Unit of work: run a function in one database transaction, record domain events
 * in the outbox inside it, and hand them to the bus only after commit.
 */
import { sql, type Kysely, type Transaction } from 'kysely';
import type { Logger } from 'pino';
import pg from 'pg';
import { ErrorCode, type MessageDto } from '@parley/protocol';
import { AppError } from '../domain/errors.js';
import type { DomainEvent } from '../domain/events.js';
import { ephemeralEvents } from '../domain/events.js';
import type { Delivered, EventBus, StoredEvent } from '../events/bus.js';
import { TransactionConnection, type Db } from './db.js';
import type { DeliveryCursor } from './deliveryCursor.js';
import type { Database } from './schema.js';
import { directRunners, prepared } from './prepared.js';

export type Executor = Kysely<Database> | Transaction<Database>;

export interface Tx {
  readonly db: Transaction<Database>;
  /**
   * Records an event to be delivered if, and only if, the transaction commits. SQLite: a
   * `message.created` names the rowid of its message, which then serves as its record
   * (see deliveryCursor.ts).
   */
  record(event: DomainEvent, messageRowid?: number): void;
}

/** An event recorded in a transaction, with the rowid of its message row (SQLite `message.created`). */
interface Recorded {
  event: DomainEvent;
  messageRowid: number | null;
}

export interface UnitOfWork {
  run<R>(fn: (tx: Tx) => Promise<R>): Promise<R>;
  /**
   * Group commit: like `run`, but units queued while a transaction is in flight
   * share the next one (one commit, one WAL flush for all of them). Each unit is
   * answered only after that commit. Units run in the order they were queued.
   * A unit must be independent of the others and may run twice: when one unit of a
   * shared transaction throws, or the database refuses the COMMIT, nothing of it is
   * kept and every unit runs again on its own, so only the failing one fails. A
   * COMMIT whose outcome is unknown (the connection failed) is never run again: see
   * {@link commitOutcome}.
   */
  batch<R>(fn: (tx: Tx) => Promise<R>, opts?: BatchOptions): Promise<R>;
}

export interface BatchOptions {
  /**
   * The unit sends exactly one statement, a prepared one, as soon as it is called (before its
   * first `await`), and no other unless it then fails. On PostgreSQL such units of a batch are
   * run together: each is called once the one before has handed its statement over, without
   * waiting for the answer. See {@link runUnits}.
   */
  oneStatement?: boolean;
}

interface Unit {
  fn: (tx: Tx) => Promise<unknown>;
  oneStatement: boolean;
  resolve: (value: unknown) => void;
  reject: (err: unknown) => void;
}

/** At most this many units share a transaction. */
const MAX_BATCH = 64;

/** PostgreSQL: a gathering wait ends early once this many units are queued (see {@link UowOptions}). */
const GATHER_UNITS = 4;

/** A run of units declared to send one statement each sent more (see {@link runUnits}). */
export class OneStatementBroken extends Error {}

export interface UowOptions {
  /**
   * PostgreSQL: after a batch of more than one unit, when fewer than four units are queued,
   * wait up to this many milliseconds for more before starting the next batch, and start it
   * as soon as four are (0: start at once). A transaction costs Parley and PostgreSQL about as
   * much of the CPU as a message; under concurrent load the wait makes fewer, fuller
   * transactions. A batch of one unit means requests are not arriving together: then the next
   * unit starts at once, so under light load nothing waits. SQLite ignores it (its transactions
   * never wait for I/O). Off by default: measured in docs/performance.md ("Gathering a
   * transaction on PostgreSQL").
   */
  gatherMs?: number;
}

/** @param log told when units break the one-statement promise (they still run, one by one). */
export function createUnitOfWork(db: Db, bus: EventBus, now: () => number, log?: Logger, opts: UowOptions = {}): UnitOfWork {
  const gatherMs = db.dialect === 'postgres' ? opts.gatherMs ?? 0 : 0;
  /**
   * Runs `body` in a transaction with its events in the outbox. A failure before the
   * COMMIT, or a COMMIT known not to have happened, is 'rolled back'; a COMMIT that
   * failed but took effect counts as done.
   */
  const transact = async (
    body: (tx: Tx, conn: TransactionConnection | null) => Promise<void>,
  ): Promise<{ stored: StoredEvent[] } | { failed: unknown; outcome: 'rolled back' | 'unknown' }> => {
    let stored: StoredEvent[] = [];
    let outbox: Promise<StoredEvent[]> | null = null;
    let committing = false;
    // SQLite: the transaction's messages, held from before the COMMIT until delivered.
    const held: number[] = [];
    try {
      await db.transactions.transaction().execute(async (trx) => {
        // PostgreSQL: the transaction's connection, to hand prepared statements to directly.
        const conn = db.direct ? null : await connectionOf(trx);
        directRunners.set(trx, db.direct ?? ((query) => conn!.executeQuery(query)));
        try {
          const recorded: Recorded[] = [];
          await body({ db: trx, record: (event, messageRowid) => recorded.push({ event, messageRowid: messageRowid ?? null }) }, conn);
          if (db.cursor) {
            for (const r of recorded) if (r.messageRowid !== null) held.push(r.messageRowid);
            db.cursor.hold(held);
          }
          // The outbox INSERT and the COMMIT go to the connection directly. A statement a unit
          // left queued in Kysely's executor (not awaited) must not fall behind them: wait for it.
          if (conn) await connectionOf(trx);
          const sentBefore = conn?.statements ?? 0;
          outbox = writeOutbox(trx, recorded, now(), db.cursor);
          // Handled below, after the COMMIT; until then a failure must not count as unhandled.
          outbox.catch(() => undefined);
          // PostgreSQL: the COMMIT is sent right behind the outbox INSERT, without waiting for its
          // answer (the transaction pool's connections pipeline). A failed INSERT aborts the
          // transaction, and the COMMIT then rolls back, which the pool reports as a refused COMMIT.
          // That needs the INSERT on the connection before this callback returns, so that the
          // COMMIT Kysely sends next follows it on the wire; the count of statements handed to the
          // connection tells. When there was nothing to insert, there is nothing to wait for.
          // SQLite's statements run synchronously.
          if (!conn || conn.statements === sentBefore) stored = await outbox;
          committing = true;
        } finally {
          directRunners.delete(trx);
        }
      });
      if (outbox) stored = await outbox;
    } catch (err) {
      // SQLite reports a failure only for a transaction it did not commit (see commitOutcome).
      if (held.length > 0) db.cursor?.abandon(held);
      // The outbox row's id, when the INSERT was answered, tells whether a COMMIT whose answer was lost took effect.
      const inserted = outbox ? await (outbox as Promise<StoredEvent[]>).then((s) => ({ s }), (e: unknown) => ({ e })) : null;
      if (inserted && 'e' in inserted) {
        // Refused by the database: the transaction is aborted and its COMMIT a rollback. Lost with
        // the connection: the COMMIT behind it may have been carried out, and nothing tells.
        const refused = db.dialect === 'sqlite' || inserted.e instanceof pg.DatabaseError;
        return { failed: inserted.e, outcome: refused || !committing ? 'rolled back' : 'unknown' };
      }
      if (inserted) stored = inserted.s;
      const outcome = committing ? await commitOutcome(db, err, stored) : 'rolled back';
      if (outcome !== 'committed') return { failed: err, outcome };
    }
    return { stored };
  };

  const run = async <R>(fn: (tx: Tx) => Promise<R>): Promise<R> => {
    let value: R;
    const done = await transact(async (tx) => {
      value = await fn(tx);
    });
    if ('failed' in done) throw done.outcome === 'unknown' ? outcomeUnknown(done.failed) : done.failed;
    bus.deliver(done.stored);
    return value!;
  };

  const runTogether = async (units: Unit[]): Promise<void> => {
    let results: unknown[] = [];
    const done = await transact(async (tx, conn) => {
      results = await runUnits(units, tx, conn);
    });
    if ('failed' in done) {
      if (done.outcome === 'unknown') {
        // It may have committed: running the units again could store everything twice.
        for (const u of units) u.reject(outcomeUnknown(done.failed));
        return;
      }
      if (done.failed instanceof OneStatementBroken) log?.warn({ err: done.failed }, 'units declared to send one statement sent more: they run again one by one');
      // Nothing was committed: each unit on its own, so only the failing one fails.
      for (const u of units) await run(u.fn).then(u.resolve, u.reject);
      return;
    }
    bus.deliver(done.stored);
    units.forEach((u, i) => u.resolve(results[i]));
  };

  // One queue on both engines, and one of its transactions at a time: the next batch starts
  // once the previous one's COMMIT has returned, with every unit queued meanwhile. SQLite has one
  // connection. On PostgreSQL, queues spread over several transactions at once made smaller
  // batches and more round trips per message: one queue measured B3 at 0.47× of the peer against
  // 0.43× with two, and B5's p50 at 13–14 ms against 34–41 ms. Starting the next batch while the
  // previous COMMIT was in flight (two transactions open) did the same on a smaller scale: more,
  // smaller transactions, each of which costs PostgreSQL and Parley about as much of the core as a
  // message does (see docs/performance.md, "One transaction at a time"). The price of one queue: a
  // unit that waits on a session row locked by another transaction (an assignment, a close) holds
  // up the units queued behind it until that transaction ends, and so does a slow COMMIT (a log
  // flush that takes long).
  const queue: Unit[] = [];
  let busy = false;
  // PostgreSQL, under concurrent load: gathering the next batch (see UowOptions.gatherMs). While a
  // wait runs, `gathering` holds its timer; a wait that began with nothing queued is only a
  // deadline (`gatherUntil`, performance.now()), so an idle queue holds no timer.
  let gathering: NodeJS.Timeout | null = null;
  let gatherUntil = 0;
  const pump = (): void => {
    if (gathering) {
      clearTimeout(gathering);
      gathering = null;
    }
    gatherUntil = 0;
    if (queue.length === 0) {
      busy = false;
      return;
    }
    const units = queue.splice(0, MAX_BATCH);
    const done = units.length === 1
      ? run(units[0]!.fn).then(units[0]!.resolve, units[0]!.reject)
      : runTogether(units);
    const after = () => next(units.length);
    void done.then(after, after);
  };
  // After a batch, PostgreSQL: the next one starts once the callbacks of the current I/O phase
  // have run (setImmediate), not at once. The batch's answers resume its callers, who may queue
  // their next units, and requests read in the same phase as the COMMIT's answer queue theirs:
  // started at once, the next batch took only the units queued before, and those callers joined
  // the one after. In B3 (ten writers, each waiting for its answer) batches alternated between
  // one unit and nine. SQLite: a transaction never waits for I/O, so nothing queues during it.
  const next = (size: number): void => {
    if (db.dialect === 'postgres') setImmediate(() => afterBatch(size));
    else pump();
  };
  const afterBatch = (size: number): void => {
    if (gatherMs === 0 || size === 1 || queue.length >= GATHER_UNITS) return pump();
    if (queue.length > 0) {
      gathering = setTimeout(pump, gatherMs);
      return;
    }
    busy = false;
    gatherUntil = performance.now() + gatherMs;
  };
  // better-sqlite3 is synchronous, so a SQLite transaction never spans an I/O wait and nothing
  // could queue behind it: draining at once would commit every request on its own. It starts
  // after the current I/O phase instead, so the requests read in that phase share a commit.
  // PostgreSQL transactions wait on the network, and requests queue behind them as they are:
  // a unit starts a batch at once when none is running, unless a gathering wait is open.
  const schedule = (): void => {
    if (gathering) {
      if (queue.length >= GATHER_UNITS) pump();
      return;
    }
    if (busy) return;
    busy = true;
    if (db.dialect === 'sqlite') {
      setImmediate(pump);
      return;
    }
    const wait = gatherUntil - performance.now();
    if (wait > 0 && queue.length < GATHER_UNITS) gathering = setTimeout(pump, Math.ceil(wait));
    else pump();
  };

  return {
    run,
    batch<R>(fn: (tx: Tx) => Promise<R>, opts?: BatchOptions): Promise<R> {
      return new Promise<R>((resolve, reject) => {
        queue.push({ fn, oneStatement: opts?.oneStatement === true, resolve: resolve as (v: unknown) => void, reject });
        schedule();
      });
    },
  };
}

/** The Kysely connection of an open transaction, once the statements queued in Kysely's executor have run. */
async function connectionOf(trx: Transaction<Database>): Promise<TransactionConnection> {
  const conn = await trx.getExecutor().provideConnection(async (c) => c);
  if (!(conn instanceof TransactionConnection)) throw new Error('not a connection of the transaction pool');
  return conn;
}

/**
 * Runs a batch's units in order, as if each waited for the one before. On PostgreSQL, a run of
 * consecutive units that send one statement each ({@link BatchOptions.oneStatement}) is called
 * back to back: each unit as soon as the one before has handed its statement to the connection.
 * Their statements leave in one write and PostgreSQL runs them one after another, in that order,
 * in the same transaction, so each sees what the ones before it wrote, as it would have one by
 * one; the batch waits for one answer instead of one per unit.
 *
 * The count of statements handed to the connection checks the promise. A unit that does not send
 * exactly one at once ends the run, so the units after it wait for it. A run whose units sent more statements in
 * all than there are units fails the batch, and its units run again each on its own: a statement
 * sent later could have run after another unit's. A unit that fails may have sent anything, as
 * the batch fails anyway.
 */
async function runUnits(units: Unit[], tx: Tx, conn: TransactionConnection | null): Promise<unknown[]> {
  const results: unknown[] = [];
  for (let i = 0; i < units.length;) {
    if (!conn || !units[i]!.oneStatement) {
      results.push(await units[i]!.fn(tx));
      i++;
      continue;
    }
    const first = conn.statements;
    const run: Promise<unknown>[] = [];
    while (i < units.length && units[i]!.oneStatement) {
      const before = conn.statements;
      try {
        run.push(units[i]!.fn(tx));
      } catch (err) {
        run.push(Promise.reject(err));
      }
      i++;
      if (conn.statements !== before + 1) break;
    }
    const settled = await Promise.allSettled(run);
    for (const s of settled) {
      if (s.status === 'rejected') throw s.reason;
      results.push(s.value);
    }
    if (conn.statements !== first + run.length) {
      throw new OneStatementBroken(`units declared to send one statement each sent ${conn.statements - first} for ${run.length}`);
    }
  }
  return results;
}

/**
 * After a failed COMMIT: did it take effect? SQLite reports an error only for a
 * commit it did not make, and so does PostgreSQL when the error is the server's
 * answer. When the connection failed instead, the transaction's outbox row tells:
 * present, it committed. Absent, it is still
 * unknown, as the server may yet finish a COMMIT it received, and so is a
 * transaction without durable events.
 */
async function commitOutcome(db: Db, err: unknown, stored: StoredEvent[]): Promise<'committed' | 'rolled back' | 'unknown'> {
  if (db.dialect === 'sqlite' || err instanceof pg.DatabaseError) return 'rolled back';
  const id = stored.find((s) => s.outboxId !== null)?.outboxId;
  if (id == null) return 'unknown';
  try {
    const row = await db.kysely.selectFrom('outbox').select('id').where('id', '=', id).executeTakeFirst();
    return row ? 'committed' : 'unknown';
  } catch {
    return 'unknown';
  }
}

/** What the caller of a unit whose COMMIT has an unknown outcome receives (503). */
function outcomeUnknown(cause: unknown): AppError {
  const err = new AppError(ErrorCode.UNAVAILABLE, 'the database connection failed during the commit: the request may or may not have been stored; retry it with the same Idempotency-Key');
  err.cause = cause;
  return err;
}

/** The outbox INSERT: one row per transaction, prepared. */
const insertOutbox = prepared((db, type: string, payload: string, at: number, afterMessage: number | null) =>
  db.insertInto('outbox').values({ type, payload, created_at: at, after_message: afterMessage }).returning('id'));

/**
 * An event as the outbox keeps it. `message.created` names its message instead of carrying it:
 * the message row is committed in the same transaction, and the presented message (most of the
 * event's bytes) is rebuilt from it only if the event has to be delivered after a restart.
 */
type OutboxEntry = DomainEvent | MessageCreatedRef;
type MessageCreated = Extract<DomainEvent, { type: 'message.created' }>;
type MessageCreatedRef = Omit<MessageCreated, 'message'> & { messageId: string };
const isRef = (entry: OutboxEntry): entry is MessageCreatedRef => entry.type === 'message.created' && !('message' in entry);

/**
 * Written field by field: a rest-and-spread literal here (`{ ...rest, messageId }`) built new
 * hidden classes on every call, which V8 allocates in the old generation (docs/performance.md,
 * "Spread literals"): about 280 bytes promoted per message in B5 on PostgreSQL.
 */
function outboxEntry(e: DomainEvent): OutboxEntry {
  if (e.type !== 'message.created') return e;
  return {
    type: e.type, companyId: e.companyId, chatId: e.chatId, sessionId: e.sessionId, seq: e.seq, botStatus: e.botStatus,
    groupId: e.groupId, messageId: e.message.id,
  };
}

/**
 * Stores a transaction's durable events as one outbox row (a JSON array, in order), in one
 * statement: one row to write and later delete per transaction, not per event. Every durable
 * event of the transaction carries that row's id; the bus forgets the row once the last of them
 * has been delivered. SQLite: when every durable event is a `message.created` with its message
 * row, there is no outbox row; the messages are the record (see deliveryCursor.ts).
 */
async function writeOutbox(trx: Transaction<Database>, recorded: Recorded[], at: number, cursor: DeliveryCursor | null): Promise<StoredEvent[]> {
  const durable: DomainEvent[] = [];
  let inMessages = cursor !== null;
  for (const r of recorded) {
    if (ephemeralEvents.has(r.event.type)) continue;
    durable.push(r.event);
    if (r.messageRowid === null) inMessages = false;
  }
  let id: number | null = null;
  if (durable.length > 0 && !inMessages) {
    const types = [...new Set(durable.map((e) => e.type))].join(',');
    const row = await insertOutbox.first(trx, types, JSON.stringify(durable.map(outboxEntry)), at, cursor?.highest ?? null);
    id = row!.id;
  }
  return recorded.map((r) => ({ outboxId: ephemeralEvents.has(r.event.type) ? null : id, messageRowid: r.messageRowid, event: r.event }));
}

/**
 * Presents messages by id for events delivered after a restart: id → message, for the ids
 * that still exist, of one company.
 */
export type PresentMessages = (companyId: number, ids: string[]) => Promise<Map<string, MessageDto>>;

/** SQLite: a message above the delivery cursor, with what its `message.created` event names. */
interface UndeliveredMessage {
  rowid: number;
  id: string;
  session_id: string;
  seq: number;
  company_id: number;
  chat_id: string;
  bot_status: MessageCreated['botStatus'];
  group_id: number | null;
}

/**
 * Events committed but not yet delivered (the process stopped in between), oldest first.
 * A row holds one transaction's events (an array), or one event (rows written by earlier
 * versions). A `message.created` whose message no longer exists is dropped. A row that is not
 * events is reported to `unreadable` and left in place, undelivered: one such row must not
 * keep the server from starting.
 *
 * SQLite: besides the outbox rows, the messages above the delivery cursor that no outbox row
 * names (see deliveryCursor.ts), each as a `message.created` with its session's routing state
 * as it is now; each outbox row among them after the messages stored before it. The messages
 * are held in the cursor until delivered.
 */
export async function pendingEvents(db: Db, present: PresentMessages, unreadable: (outboxId: number, err: Error) => void): Promise<StoredEvent[]> {
  const rows = await db.kysely.selectFrom('outbox').select(['id', 'payload', 'after_message']).orderBy('id').execute();
  const entries: { outboxId: number; afterMessage: number | null; entry: OutboxEntry }[] = [];
  for (const r of rows) {
    let payload: unknown;
    try {
      payload = JSON.parse(r.payload);
    } catch (err) {
      unreadable(r.id, err as Error);
      continue;
    }
    const list: unknown[] = Array.isArray(payload) ? payload : [payload];
    if (!list.every((e) => typeof e === 'object' && e !== null && typeof (e as { type?: unknown }).type === 'string')) {
      unreadable(r.id, new Error('the row does not hold events'));
      continue;
    }
    for (const entry of list as OutboxEntry[]) entries.push({ outboxId: r.id, afterMessage: r.after_message, entry });
  }
  const above = db.cursor ? await undeliveredMessages(db.kysely) : [];
  // Messages named by an outbox row are delivered from it (a bot's answer with its hand-off).
  const rowidOf = new Map(above.map((m) => [m.id, m.rowid]));
  const named = new Set<string>();
  for (const { entry } of entries) {
    if (entry.type !== 'message.created') continue;
    const id = isRef(entry) ? entry.messageId : (entry as MessageCreated).message?.id;
    if (typeof id === 'string') named.add(id);
  }
  const unnamed = above.filter((m) => !named.has(m.id));

  const wanted = new Map<number, string[]>();
  const want = (companyId: number, id: string) => {
    const ids = wanted.get(companyId);
    if (ids) ids.push(id);
    else wanted.set(companyId, [id]);
  };
  for (const { entry } of entries) if (isRef(entry)) want(entry.companyId, entry.messageId);
  for (const m of unnamed) want(m.company_id, m.id);
  const messages = new Map<string, MessageDto>();
  for (const [companyId, ids] of wanted) {
    for (let i = 0; i < ids.length; i += 500) {
      for (const [id, m] of await present(companyId, ids.slice(i, i + 500))) messages.set(id, m);
    }
  }

  const out: StoredEvent[] = [];
  let next = 0;
  // The messages stored up to `rowid`, each as its event.
  const messagesUpTo = (rowid: number) => {
    for (; next < unnamed.length && unnamed[next]!.rowid <= rowid; next++) {
      const m = unnamed[next]!;
      const message = messages.get(m.id);
      if (!message) continue;
      const event: MessageCreated = {
        type: 'message.created', companyId: m.company_id, chatId: m.chat_id, sessionId: m.session_id, seq: m.seq,
        botStatus: m.bot_status, groupId: m.group_id, message,
      };
      out.push({ outboxId: null, messageRowid: m.rowid, event });
    }
  };
  for (const { outboxId, afterMessage, entry } of entries) {
    if (afterMessage !== null) messagesUpTo(afterMessage);
    if (!isRef(entry)) {
      out.push({ outboxId, event: entry });
      continue;
    }
    const message = messages.get(entry.messageId);
    if (!message) continue;
    const { messageId, ...rest } = entry;
    const event: MessageCreated = { ...rest, message };
    out.push({ outboxId, messageRowid: rowidOf.get(messageId) ?? null, event });
  }
  messagesUpTo(Infinity);
  db.cursor?.hold(out.flatMap((e) => (e.messageRowid != null ? [e.messageRowid] : [])));
  return out;
}

/** SQLite: the messages above the delivery cursor, in the order they were stored. */
async function undeliveredMessages(kysely: Kysely<Database>): Promise<UndeliveredMessage[]> {
  const { rows } = await sql<UndeliveredMessage>`select m.rowid as rowid, m.id, m.session_id, m.seq, s.company_id, s.chat_id, s.bot_status, s.group_id
    from messages m join sessions s on s.id = m.session_id
    where m.rowid > (select message_rowid from delivery_cursor where id = 1) order by m.rowid`.execute(kysely);
  return rows;
}

/** Moves the delivery cursor up to `mark`, never back (SQLite). */
const saveCursor = prepared((db, mark: number) =>
  db.updateTable('delivery_cursor').set({ message_rowid: mark }).where('id', '=', 1).where('message_rowid', '<', mark));

/**
 * What the bus reports as delivered, made durable: the outbox rows deleted and, on SQLite, the
 * delivery cursor moved past the delivered messages, in one transaction when both change.
 */
export function forgetDelivered(db: Db): (delivered: Delivered) => Promise<void> {
  return async ({ outboxIds, messageRowids }) => {
    const { cursor } = db;
    cursor?.delivered(messageRowids);
    const mark = cursor?.next() ?? null;
    if (mark === null) return forgetOutbox(db.kysely, outboxIds);
    await db.kysely.transaction().execute(async (trx) => {
      await forgetOutbox(trx, outboxIds);
      await saveCursor.run(trx, mark);
    });
    cursor!.savedAt(mark);
  };
}

async function forgetOutbox(db: Executor, ids: number[]): Promise<void> {
  for (let i = 0; i < ids.length; i += 500) {
    await db.deleteFrom('outbox').where('id', 'in', ids.slice(i, i + 500)).execute();
  }
}
