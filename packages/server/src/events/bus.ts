/**
 * The in-process event bus. Stored events (from the outbox) are delivered one at a
 * time in commit order; handlers must be quick and hand long work (bots) to their
 * own queues. A handler failure is logged and does not stop the others.
 * A subscriber whose handlers read the database can start those reads ahead of
 * delivery (`prefetch`), so that under load they overlap instead of queueing one
 * behind another; the handlers themselves still run one at a time, in order.
 */
import type { Logger } from 'pino';
import type { DomainEvent, DomainEventType, EventOf } from '../domain/events.js';

export type Handler<T extends DomainEventType> = (event: EventOf<T>) => void | Promise<void>;

/** One concern's handlers, keyed by event type; the compiler checks names and payloads. */
export type Subscriber = {
  readonly name: string;
  readonly handlers: { readonly [K in DomainEventType]?: Handler<K> };
  /**
   * Called once per event, up to PREFETCH events before its handler runs, to start
   * the reads the handler will need. Must not throw and must not change anything.
   */
  readonly prefetch?: (event: DomainEvent) => void;
};

export interface StoredEvent {
  /** Outbox row id (shared by the durable events of one transaction); null for ephemeral events and for messages recorded by their own row. */
  readonly outboxId: number | null;
  /** SQLite: the rowid of the message of a `message.created`, held until delivered (persistence/deliveryCursor.ts). */
  readonly messageRowid?: number | null;
  readonly event: DomainEvent;
}

/** What has been delivered since the last report: outbox rows whose events have all been handled, and messages (SQLite rowids). */
export interface Delivered {
  outboxIds: number[];
  messageRowids: number[];
}

/** Delivered outbox rows (and messages) are reported in batches of this many, or after this delay. */
const FORGET_BATCH = 256;
const FORGET_DELAY_MS = 100;
/** How many queued events ahead of delivery subscribers may prefetch for. */
const PREFETCH = 32;

export class EventBus {
  private readonly subscribers: Subscriber[] = [];
  private readonly queue: StoredEvent[] = [];
  /** How many events at the front of the queue have been offered to `prefetch`. */
  private prefetched = 0;
  private running: Promise<void> | null = null;
  /** Outbox rows with events still queued: id → how many. A row is forgotten when it reaches none. */
  private readonly undelivered = new Map<number, number>();
  private readonly delivered: number[] = [];
  private readonly deliveredMessages: number[] = [];
  private forgetTimer: NodeJS.Timeout | null = null;
  private forgetting: Promise<void> = Promise.resolve();
  /** Deletes of delivered rows queued or running. */
  private forgets = 0;

  /**
   * @param onDelivered called with outbox ids whose events' handlers have all run, so
   *   the outbox can forget them, and with delivered messages' rowids (SQLite), so the
   *   delivery cursor can move past them. Batched: one write per FORGET_BATCH rows or
   *   messages or per FORGET_DELAY_MS, instead of one write transaction per message. A
   *   crash in between only means those events are delivered again at start-up.
   */
  constructor(
    private readonly log: Logger,
    private readonly onDelivered: (delivered: Delivered) => Promise<void>,
  ) {}

  register(subscriber: Subscriber): void {
    this.subscribers.push(subscriber);
  }

  /** Queues committed events for delivery, preserving order. */
  deliver(events: readonly StoredEvent[]): void {
    if (events.length === 0) return;
    for (const e of events) {
      if (e.outboxId !== null) this.undelivered.set(e.outboxId, (this.undelivered.get(e.outboxId) ?? 0) + 1);
    }
    this.queue.push(...events);
    this.running ??= this.pump().finally(() => {
      this.running = null;
    });
  }

  /** Delivers an event that is not stored (typing indicators). */
  publish(event: DomainEvent): void {
    this.deliver([{ outboxId: null, event }]);
  }

  /** Resolves when every queued event has been delivered and forgotten; used by tests and shutdown. */
  async idle(): Promise<void> {
    while (this.running) await this.running;
    await this.forget();
  }

  /** Nothing queued, and every delivered outbox row forgotten. */
  isIdle(): boolean {
    return this.running === null && this.queue.length === 0 && this.delivered.length === 0 && this.deliveredMessages.length === 0 && this.forgets === 0;
  }

  private async pump(): Promise<void> {
    for (;;) {
      this.prefetch();
      const next = this.queue.shift();
      if (!next) break;
      this.prefetched = Math.max(0, this.prefetched - 1);
      await this.dispatch(next.event);
      const row = next.outboxId !== null && this.done(next.outboxId);
      if (row) this.delivered.push(next.outboxId!);
      const message = next.messageRowid !== undefined && next.messageRowid !== null;
      if (message) this.deliveredMessages.push(next.messageRowid!);
      if (row || message) {
        if (this.delivered.length >= FORGET_BATCH || this.deliveredMessages.length >= FORGET_BATCH) void this.forget();
        else this.forgetTimer ??= setTimeout(() => void this.forget(), FORGET_DELAY_MS).unref();
      }
    }
  }

  /** Counts one event of an outbox row as delivered; true when it was the row's last. */
  private done(outboxId: number): boolean {
    const left = (this.undelivered.get(outboxId) ?? 1) - 1;
    if (left > 0) {
      this.undelivered.set(outboxId, left);
      return false;
    }
    this.undelivered.delete(outboxId);
    return true;
  }

  private prefetch(): void {
    // Offered in runs, refilled once half the window has been delivered, so that reads a
    // subscriber starts together can share a query.
    if (this.prefetched > PREFETCH / 2) return;
    const end = Math.min(this.queue.length, PREFETCH);
    for (; this.prefetched < end; this.prefetched++) {
      const { event } = this.queue[this.prefetched]!;
      for (const sub of this.subscribers) {
        try {
          sub.prefetch?.(event);
        } catch (err) {
          this.log.error({ err, subscriber: sub.name, event: event.type }, 'event prefetch failed');
        }
      }
    }
  }

  /** Reports what has been delivered now; reports run one after another. */
  private forget(): Promise<void> {
    if (this.forgetTimer) clearTimeout(this.forgetTimer);
    this.forgetTimer = null;
    const outboxIds = this.delivered.splice(0);
    const messageRowids = this.deliveredMessages.splice(0);
    if (outboxIds.length > 0 || messageRowids.length > 0) {
      this.forgets++;
      this.forgetting = this.forgetting.then(() => this.onDelivered({ outboxIds, messageRowids }))
        .catch((err: unknown) => this.log.error({ err }, 'outbox cleanup failed'))
        .finally(() => this.forgets--);
    }
    return this.forgetting;
  }

  private async dispatch(event: DomainEvent): Promise<void> {
    for (const sub of this.subscribers) {
      const handler = sub.handlers[event.type] as Handler<typeof event.type> | undefined;
      if (!handler) continue;
      try {
        await handler(event as never);
      } catch (err) {
        this.log.error({ err, subscriber: sub.name, event: event.type }, 'event handler failed');
      }
    }
  }
}
