/**
 * The in-process event bus. Stored events (from the outbox) are delivered one at a
 * time in commit order; handlers must be quick and hand long work (bots) to their
 * own queues. A handler failure is logged and does not stop the others.
 */
import type { Logger } from 'pino';
import type { DomainEvent, DomainEventType, EventOf } from '../domain/events.js';

export type Handler<T extends DomainEventType> = (event: EventOf<T>) => void | Promise<void>;

/** One concern's handlers, keyed by event type; the compiler checks names and payloads. */
export type Subscriber = {
  readonly name: string;
  readonly handlers: { readonly [K in DomainEventType]?: Handler<K> };
};

export interface StoredEvent {
  /** Outbox row id; null for ephemeral events. */
  readonly outboxId: number | null;
  readonly event: DomainEvent;
}

export class EventBus {
  private readonly subscribers: Subscriber[] = [];
  private readonly queue: StoredEvent[] = [];
  private running: Promise<void> | null = null;
  private readonly delivered: number[] = [];

  /**
   * @param onDelivered called with outbox ids whose handlers have all run, so the
   *   outbox can forget them (batched, after the queue drains).
   */
  constructor(
    private readonly log: Logger,
    private readonly onDelivered: (ids: number[]) => Promise<void>,
  ) {}

  register(subscriber: Subscriber): void {
    this.subscribers.push(subscriber);
  }

  /** Queues committed events for delivery, preserving order. */
  deliver(events: readonly StoredEvent[]): void {
    if (events.length === 0) return;
    this.queue.push(...events);
    this.running ??= this.pump().finally(() => {
      this.running = null;
    });
  }

  /** Delivers an event that is not stored (typing indicators). */
  publish(event: DomainEvent): void {
    this.deliver([{ outboxId: null, event }]);
  }

  /** Resolves when every queued event has been delivered; used by tests and shutdown. */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  isIdle(): boolean {
    return this.running === null && this.queue.length === 0;
  }

  private async pump(): Promise<void> {
    for (let next = this.queue.shift(); next; next = this.queue.shift()) {
      await this.dispatch(next.event);
      if (next.outboxId !== null) this.delivered.push(next.outboxId);
      if (this.queue.length === 0 && this.delivered.length > 0) {
        const ids = this.delivered.splice(0);
        await this.onDelivered(ids).catch((err: unknown) => this.log.error({ err }, 'outbox cleanup failed'));
      }
    }
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
