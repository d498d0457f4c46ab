/**
 * The visitor's outgoing messages: shown at once, delivered one at a time in the order
 * written, retried with the same Idempotency-Key (so a retry never doubles a message),
 * and moved to a new session when the old one turns out to be closed.
 */
import type { PostMessageResponse } from '@parley/protocol';
import { type Api, ApiError } from './api.js';
import type { Conversation, Entry } from './conversation.js';
import { randomKey } from './storage.js';

/** What the outbox needs from the controller. */
export interface OutboxDeps {
  conv: Conversation;
  api: Api;
  /** The open session's id, starting a new one if needed. */
  ensureSession(): Promise<string>;
  /** The server answered SESSION_CLOSED for this session. */
  closed(sessionId: string): void;
  /** The server stored the message. */
  delivered(entry: Entry, res: PostMessageResponse): void;
}

const RETRIES = 5;
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Ordered, retrying delivery of client messages. */
export class Outbox {
  private queue: Promise<void> = Promise.resolve();

  constructor(private readonly d: OutboxDeps) {}

  /** Shows `text` as the visitor's message now and delivers it after the ones before it. */
  send(sessionId: string, text: string): void {
    this.deliver(this.d.conv.addPending(sessionId, text, randomKey()));
  }

  /** (Re)delivers a message; also the "retry" of a failed one. */
  deliver(entry: Entry): void {
    this.d.conv.setState(entry, 'pending');
    this.queue = this.queue.then(() => this.post(entry));
  }

  private async post(entry: Entry): Promise<void> {
    let renewed = false;
    for (let attempt = 0; ; attempt++) {
      try {
        const sid = await this.d.ensureSession();
        entry.sessionId = sid;
        entry.idemKey ??= randomKey();
        const res = await this.d.api.send(sid, entry.body, entry.idemKey);
        this.d.conv.confirm(entry, res.id, res.createdAt);
        this.d.delivered(entry, res);
        return;
      } catch (e) {
        const err = e instanceof ApiError ? e : new ApiError(0, 'NETWORK', String(e));
        if (err.code === 'SESSION_CLOSED' && !renewed) {
          // Once only: the next ensureSession() starts a new session for the message.
          renewed = true;
          this.d.closed(entry.sessionId);
          continue;
        }
        if (err.transient && attempt < RETRIES) {
          await sleep(Math.min(1000 * 2 ** attempt, 8000));
          continue;
        }
        // Left on screen with a retry button; the key stays, so a late success is not doubled.
        this.d.conv.setState(entry, 'failed');
        return;
      }
    }
  }
}
