/**
 * Unit of work: run a function in one database transaction, record domain events
 * in the outbox inside it, and hand them to the bus only after commit.
 */
import type { Kysely, Transaction } from 'kysely';
import type { DomainEvent } from '../domain/events.js';
import { ephemeralEvents } from '../domain/events.js';
import type { EventBus, StoredEvent } from '../events/bus.js';
import type { Db } from './db.js';
import type { Database } from './schema.js';

export type Executor = Kysely<Database> | Transaction<Database>;

export interface Tx {
  readonly db: Transaction<Database>;
  /** Records an event to be delivered if, and only if, the transaction commits. */
  record(event: DomainEvent): void;
}

export interface UnitOfWork {
  run<R>(fn: (tx: Tx) => Promise<R>): Promise<R>;
}

export function createUnitOfWork(db: Db, bus: EventBus, now: () => number): UnitOfWork {
  return {
    async run<R>(fn: (tx: Tx) => Promise<R>): Promise<R> {
      let stored: StoredEvent[] = [];
      const result = await db.kysely.transaction().execute(async (trx) => {
        const recorded: DomainEvent[] = [];
        const value = await fn({ db: trx, record: (e) => recorded.push(e) });
        stored = await writeOutbox(trx, recorded, now());
        return value;
      });
      bus.deliver(stored);
      return result;
    },
  };
}

async function writeOutbox(trx: Transaction<Database>, events: DomainEvent[], at: number): Promise<StoredEvent[]> {
  const out: StoredEvent[] = [];
  for (const event of events) {
    if (ephemeralEvents.has(event.type)) {
      out.push({ outboxId: null, event });
      continue;
    }
    const row = await trx
      .insertInto('outbox')
      .values({ type: event.type, payload: JSON.stringify(event), created_at: at })
      .returning('id')
      .executeTakeFirstOrThrow();
    out.push({ outboxId: row.id, event });
  }
  return out;
}

/** Events committed but not yet delivered (the process stopped in between), oldest first. */
export async function pendingOutbox(db: Executor): Promise<StoredEvent[]> {
  const rows = await db.selectFrom('outbox').select(['id', 'payload']).orderBy('id').execute();
  return rows.map((r) => ({ outboxId: r.id, event: JSON.parse(r.payload) as DomainEvent }));
}

export async function forgetOutbox(db: Executor, ids: number[]): Promise<void> {
  for (let i = 0; i < ids.length; i += 500) {
    await db.deleteFrom('outbox').where('id', 'in', ids.slice(i, i + 500)).execute();
  }
}
