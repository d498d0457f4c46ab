/**
 * One WebSocket connection: frame intake, ordered command processing, batched output,
 * server pings, and the timers that end a connection (stale, no pong, expiry).
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { WebSocket, type RawData } from 'ws';
import { classify, closeReason, decodeFrame, FrameError, type Command } from './centrifugo-codec.js';
import type { Subscriber } from './centrifugo-channels.js';
import { CloseCode, type ConnectionInfo } from './centrifugo-types.js';

/** Frames waiting behind a slow hook before the client is told it sends too much. */
const MAX_QUEUED_FRAMES = 32;
/** Outgoing frames are cut at about this many characters; the client has no limit. */
const OUT_FRAME_SOFT_LIMIT = 64 * 1024;
/** A client that lets this much pile up in the socket buffer is closed as slow. */
const MAX_BUFFERED_BYTES = 8 * 1024 * 1024;
/** How long a rejected client gets to close by itself (so it sees the reply's code, not ours). */
const REJECT_CLOSE_DELAY_MS = 500;
/** setTimeout fires at once for longer delays. */
const MAX_TIMER_MS = 2 ** 31 - 1;

export type ConnectionState = 'new' | 'connected' | 'rejected' | 'closed';

/** What a connection needs from the endpoint. */
export interface ConnectionDeps {
  log: Logger;
  pingIntervalMs: number;
  pongTimeoutMs: number;
  staleMs: number;
  expiryGraceMs: number;
  /** Handles one command; must not throw. */
  handle(conn: Connection, cmd: Command): Promise<void>;
  /** Called once when the connection ends, whoever ended it. */
  closed(conn: Connection): void;
}

function textOf(data: RawData): string {
  if (Buffer.isBuffer(data)) return data.toString('utf8');
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  return Buffer.from(data).toString('utf8');
}

/** A client connection and its protocol state. */
export class Connection implements Subscriber {
  /** The client id (sent in the connect reply). */
  readonly id = randomUUID();
  state: ConnectionState = 'new';
  /** Set once connect succeeded; what hooks see. */
  info: ConnectionInfo | undefined;
  /** Subscribed channels and who subscribed them. */
  readonly subs = new Map<string, 'server' | 'client'>();
  /** Connect `name`/`version`, kept for refresh. */
  client: { name?: string; version?: string } = {};

  private out: string[] = [];
  private holding = false;
  private flushScheduled = false;
  private queued = 0;
  private chain: Promise<void> = Promise.resolve();
  private unansweredPings = 0;
  private readonly timers: Partial<Record<'stale' | 'ping' | 'pong' | 'expiry' | 'reject', NodeJS.Timeout>> = {};

  constructor(
    private readonly ws: WebSocket,
    readonly headers: Record<string, string>,
    private readonly deps: ConnectionDeps,
  ) {
    ws.on('message', (data, isBinary) => this.onMessage(data, isBinary));
    ws.on('close', () => this.ended());
    // Without a listener a protocol error of the peer would be an uncaught exception.
    ws.on('error', (err) => deps.log.debug({ err, client: this.id }, 'websocket error'));
    this.timers.stale = setTimeout(() => this.close(CloseCode.stale, 'stale'), deps.staleMs);
  }

  /** Queues one message; it goes out with the rest of the current batch. */
  enqueue(line: string): void {
    if (this.state === 'closed') return;
    this.out.push(line);
    // Inside a frame the batch is flushed when the frame is done; otherwise at the end of
    // this turn of the event loop, so publications made together travel together.
    if (this.holding || this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(() => {
      this.flushScheduled = false;
      this.flush();
    });
  }

  /** Subscriber: a publication push, for connected connections only. */
  deliver(frame: string): void {
    if (this.state === 'connected') this.enqueue(frame);
  }

  /** The connect succeeded: start pings and the expiry clock. */
  markConnected(user: string, expiresAt: number | undefined): ConnectionInfo {
    this.state = 'connected';
    this.info = Object.freeze({ id: this.id, user, connectedAt: Date.now() });
    clearTimeout(this.timers.stale);
    this.setExpiry(expiresAt);
    this.schedulePing(true);
    return this.info;
  }

  /** (Re)arms the expiry close; undefined clears it. */
  setExpiry(expiresAt: number | undefined): void {
    clearTimeout(this.timers.expiry);
    if (expiresAt === undefined) return;
    const deadline = expiresAt + this.deps.expiryGraceMs;
    const check = () => {
      const left = deadline - Date.now();
      if (left <= 0) this.close(CloseCode.connectionExpired, 'connection expired');
      else this.timers.expiry = setTimeout(check, Math.min(left, MAX_TIMER_MS));
    };
    check();
  }

  /**
   * A connect or refresh was refused: the reply is already queued. Nothing more is
   * processed or delivered; the socket is closed after a moment unless the client closes first.
   */
  reject(code: number, reason: string): void {
    if (this.state === 'closed') return;
    this.state = 'rejected';
    this.clearTimers();
    this.timers.reject = setTimeout(() => this.close(code, reason), REJECT_CLOSE_DELAY_MS);
  }

  /** Sends what is queued, then closes the socket with a code and a short reason. */
  close(code: number, reason: string): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    this.writeOut();
    this.clearTimers();
    try {
      this.ws.close(code, closeReason(reason));
    } catch (err) {
      this.deps.log.warn({ err, code }, 'cannot close websocket with this code; terminating');
      this.ws.terminate();
    }
    this.deps.closed(this);
  }

  /** Writes what is queued; closes a client that does not keep up with its output. */
  flush(): void {
    this.writeOut();
    if (this.ws.bufferedAmount > MAX_BUFFERED_BYTES) this.close(CloseCode.slow, 'slow');
  }

  /** Writes the queued messages, `\n`-joined, in frames of about OUT_FRAME_SOFT_LIMIT. */
  private writeOut(): void {
    if (this.out.length === 0) return;
    const lines = this.out;
    this.out = [];
    if (this.ws.readyState !== WebSocket.OPEN) return;
    let batch: string[] = [];
    let size = 0;
    for (const line of lines) {
      if (size > 0 && size + line.length > OUT_FRAME_SOFT_LIMIT) {
        this.ws.send(batch.join('\n'));
        batch = [];
        size = 0;
      }
      batch.push(line);
      size += line.length + 1;
    }
    this.ws.send(batch.join('\n'));
  }

  private onMessage(data: RawData, isBinary: boolean): void {
    if (this.state === 'closed') return;
    if (isBinary) return this.close(CloseCode.badRequest, 'bad request');
    let commands: Command[];
    try {
      commands = decodeFrame(textOf(data)).map(classify);
    } catch (err) {
      if (!(err instanceof FrameError)) this.deps.log.error({ err }, 'frame decoding failed');
      this.deps.log.debug({ client: this.id, reason: err instanceof Error ? err.message : String(err) }, 'bad frame');
      return this.close(CloseCode.badRequest, 'bad request');
    }
    const calls: Command[] = [];
    for (const cmd of commands) {
      if (cmd.kind !== 'pong') {
        calls.push(cmd);
        continue;
      }
      // Pongs are taken at once, not behind a slow command: their timer is running.
      if (this.unansweredPings === 0) return this.close(CloseCode.badRequest, 'bad request');
      this.unansweredPings--;
      if (this.unansweredPings === 0) {
        clearTimeout(this.timers.pong);
        this.timers.pong = undefined;
      }
    }
    if (calls.length === 0) return;
    if (this.queued >= MAX_QUEUED_FRAMES) return this.close(CloseCode.tooManyRequests, 'too many requests');
    this.queued++;
    this.chain = this.chain
      .then(() => this.process(calls))
      .catch((err: unknown) => this.deps.log.error({ err, client: this.id }, 'frame processing failed'))
      .finally(() => {
        this.queued--;
      });
  }

  /** Runs a frame's commands in order; their replies and any pushes leave as one batch. */
  private async process(calls: Command[]): Promise<void> {
    this.holding = true;
    try {
      for (const cmd of calls) {
        if (this.state === 'closed' || this.state === 'rejected') break;
        await this.deps.handle(this, cmd);
      }
    } catch (err) {
      this.deps.log.error({ err, client: this.id }, 'command processing failed');
      this.close(CloseCode.internal, 'internal server error');
    } finally {
      this.holding = false;
      this.flush();
    }
  }

  private schedulePing(first: boolean): void {
    const interval = this.deps.pingIntervalMs;
    if (interval <= 0) return;
    // The first ping at a random point of the second half spreads the pings of many
    // connections that came in together (e.g. after a restart).
    const delay = first ? interval / 2 + (Math.random() * interval) / 2 : interval;
    this.timers.ping = setTimeout(() => this.ping(), delay);
  }

  private ping(): void {
    if (this.state !== 'connected') return;
    this.unansweredPings++;
    this.enqueue('{}');
    if (this.deps.pongTimeoutMs > 0 && this.timers.pong === undefined) {
      this.timers.pong = setTimeout(() => this.close(CloseCode.noPong, 'no pong'), this.deps.pongTimeoutMs);
    }
    this.schedulePing(false);
  }

  private clearTimers(): void {
    for (const timer of Object.values(this.timers)) clearTimeout(timer);
  }

  /** The socket is gone (closed by the peer, by us, or broken). */
  private ended(): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    this.out = [];
    this.clearTimers();
    this.deps.closed(this);
  }
}
