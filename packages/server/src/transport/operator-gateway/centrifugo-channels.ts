/**
 * Channels of one process: each has a stream (epoch, top offset, bounded history) and a
 * set of subscribers. Publishing, joining with recovery and history reads all happen here,
 * synchronously, so a subscriber can never miss or duplicate a publication between the
 * recovery snapshot and its first live push.
 */
import { randomBytes } from 'node:crypto';
import { CentrifugoError, ReplyCode, type ConnectionInfo } from './centrifugo-types.js';
import type { JsonObject, RecoverRequest } from './centrifugo-codec.js';

/** Whatever receives pushes: a connection. */
export interface Subscriber {
  /** Set once the connection is connected (used for presence). */
  readonly info: ConnectionInfo | undefined;
  deliver(frame: string): void;
}

interface StoredPublication {
  offset: number;
  time: number;
  /** JSON of the data, kept serialised so later mutation by the publisher cannot alter history. */
  dataJson: string | undefined;
}

interface Channel {
  /** Random per stream: a new stream (e.g. after a restart) can never be mistaken for the old one. */
  epoch: string;
  top: number;
  pubs: StoredPublication[];
  subscribers: Set<Subscriber>;
  /** Last publish or subscriber change; an idle channel without subscribers is dropped. */
  touchedAt: number;
}

/** The `history` request, already validated. */
export interface HistoryQuery {
  /** 0: only the stream position; -1: everything retained. */
  limit: number;
  since?: RecoverRequest;
  reverse: boolean;
}

/** Options of a publication; see CentrifugoServer.publish. */
export interface PublishOptions {
  transient?: boolean;
  onlyClientIds?: readonly string[];
}

const pushFrame = (channel: string, pub: string) => `{"push":{"channel":${JSON.stringify(channel)},"pub":${pub}}}`;

/**
 * A copy of `json` as one string. V8 returns a long JSON.stringify result as a tree of
 * pieces (about ten heap objects for a message event); history keeps each publication for
 * minutes, and every object in it is visited by every full garbage collection. Histories
 * held 42% of the server's heap objects in B5 before this (docs/performance.md).
 */
function flat(json: string): string {
  return Buffer.from(json, 'utf8').toString('utf8');
}

/**
 * An object serialised once, for publishing it to many channels: each publication uses `json`
 * instead of serialising the object again, and every history keeps this one flat copy.
 */
export class SerializedData {
  readonly json: string;
  constructor(data: object) {
    this.json = flat(JSON.stringify(data));
  }
}

function toWire(pub: StoredPublication): JsonObject {
  return pub.dataJson === undefined ? { offset: pub.offset } : { data: JSON.parse(pub.dataJson) as unknown, offset: pub.offset };
}

/** All channels of the endpoint. */
export class ChannelRegistry {
  private readonly channels = new Map<string, Channel>();

  constructor(
    private readonly historySize: number,
    private readonly historyTtlMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Stores a publication (unless transient) and pushes it to the channel's subscribers. */
  publish(name: string, data: unknown, opts: PublishOptions = {}): { offset: number; epoch: string } {
    // Serialise first: data that cannot be encoded must not consume an offset.
    const dataJson = data instanceof SerializedData ? data.json : JSON.stringify(data) as string | undefined;
    const only = opts.onlyClientIds ? new Set(opts.onlyClientIds) : undefined;
    if (opts.transient || only) {
      // Not in history, so without an offset: the client's stream position stays where it is.
      const existing = this.channels.get(name);
      if (!existing) return { offset: 0, epoch: '' };
      const frame = pushFrame(name, dataJson === undefined ? '{}' : `{"data":${dataJson}}`);
      for (const sub of existing.subscribers) {
        if (!only || (sub.info && only.has(sub.info.id))) sub.deliver(frame);
      }
      return { offset: existing.top, epoch: existing.epoch };
    }
    const channel = this.channel(name);
    const offset = channel.top + 1;
    channel.top = offset;
    const stored = dataJson === undefined || data instanceof SerializedData ? dataJson : flat(dataJson);
    channel.pubs.push({ offset, time: this.now(), dataJson: stored });
    if (channel.pubs.length > this.historySize) channel.pubs.shift();
    channel.touchedAt = this.now();
    const frame = pushFrame(name, dataJson === undefined ? `{"offset":${offset}}` : `{"data":${dataJson},"offset":${offset}}`);
    for (const sub of channel.subscribers) sub.deliver(frame);
    return { offset, epoch: channel.epoch };
  }

  /**
   * Adds a subscriber and returns its SubscribeResult: the stream position and, when
   * recovery was asked for, whether it succeeded with the missed publications.
   */
  join(name: string, sub: Subscriber, recover?: RecoverRequest): JsonObject {
    const channel = this.channel(name);
    channel.subscribers.add(sub);
    channel.touchedAt = this.now();
    const result: JsonObject = { recoverable: true, positioned: true, epoch: channel.epoch, offset: channel.top };
    if (!recover) return result;
    result.was_recovering = true;
    const missed = this.after(channel, recover);
    if (missed) {
      result.recovered = true;
      if (missed.length > 0) result.publications = missed.map(toWire);
    } else {
      result.recovered = false;
    }
    return result;
  }

  /** Removes a subscriber (no-op when absent). */
  leave(name: string, sub: Subscriber): void {
    const channel = this.channels.get(name);
    if (!channel) return;
    channel.subscribers.delete(sub);
    channel.touchedAt = this.now();
  }

  /** Current subscribers of a channel. */
  subscribers(name: string): Subscriber[] {
    return [...(this.channels.get(name)?.subscribers ?? [])];
  }

  /** A HistoryResult; 112 when `since` names another epoch or a position no longer retained. */
  history(name: string, query: HistoryQuery): JsonObject {
    const channel = this.channel(name);
    this.expire(channel);
    const result: JsonObject = { epoch: channel.epoch, offset: channel.top, publications: [] };
    if (query.limit === 0) return result;
    const since = query.since;
    if (since && since.epoch !== '' && since.epoch !== channel.epoch) {
      throw new CentrifugoError(ReplyCode.unrecoverablePosition, 'unrecoverable position');
    }
    let pubs: StoredPublication[];
    if (query.reverse) {
      // Backwards paging: what came before `since`, newest first.
      pubs = channel.pubs.filter((p) => !since || p.offset < since.offset).reverse();
    } else if (since) {
      const after = this.after(channel, since);
      if (!after) throw new CentrifugoError(ReplyCode.unrecoverablePosition, 'unrecoverable position');
      pubs = after;
    } else {
      pubs = channel.pubs;
    }
    if (query.limit > 0) pubs = pubs.slice(0, query.limit);
    result.publications = pubs.map(toWire);
    return result;
  }

  /** Drops expired publications, and idle channels that nobody subscribes to. */
  sweep(): void {
    const idleBefore = this.now() - this.historyTtlMs;
    for (const [name, channel] of this.channels) {
      this.expire(channel);
      if (channel.subscribers.size === 0 && channel.touchedAt < idleBefore) this.channels.delete(name);
    }
  }

  /** Number of streams held (for tests and metrics). */
  get size(): number {
    return this.channels.size;
  }

  /**
   * The publications after a client position, or undefined when the gap cannot be
   * closed: another epoch, a position ahead of the stream, or publications already
   * dropped from the window (by size or TTL).
   */
  private after(channel: Channel, from: RecoverRequest): StoredPublication[] | undefined {
    if (from.epoch !== '' && from.epoch !== channel.epoch) return undefined;
    if (from.offset > channel.top) return undefined;
    this.expire(channel);
    if (from.offset === channel.top) return [];
    const first = channel.pubs[0];
    // Offsets are contiguous in the window, so the gap is closed iff offset+1 is still held.
    if (!first || first.offset > from.offset + 1) return undefined;
    return channel.pubs.slice(from.offset + 1 - first.offset);
  }

  private expire(channel: Channel): void {
    const oldest = this.now() - this.historyTtlMs;
    let drop = 0;
    while (drop < channel.pubs.length && (channel.pubs[drop]?.time ?? Infinity) < oldest) drop++;
    if (drop > 0) channel.pubs.splice(0, drop);
  }

  private channel(name: string): Channel {
    let channel = this.channels.get(name);
    if (!channel) {
      channel = { epoch: randomBytes(6).toString('hex'), top: 0, pubs: [], subscribers: new Set(), touchedAt: this.now() };
      this.channels.set(name, channel);
    }
    return channel;
  }
}
