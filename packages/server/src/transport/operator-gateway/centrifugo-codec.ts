/**
 * Wire format of client protocol v2 with the JSON codec: frames of `\n`-separated JSON
 * messages, command classification, typed readers for request fields, reply encoding.
 */
import { CentrifugoError, ReplyCode } from './centrifugo-types.js';

export type JsonObject = Record<string, unknown>;

/** A malformed frame or command: the connection is closed with 3501 bad request. */
export class FrameError extends Error {}

/** The request keys of a Command, in the order they are looked for. */
const METHODS = [
  'connect', 'subscribe', 'unsubscribe', 'publish', 'presence', 'presence_stats', 'history',
  'ping', 'send', 'rpc', 'refresh', 'sub_refresh',
] as const;
export type Method = (typeof METHODS)[number];
const METHOD_SET: ReadonlySet<string> = new Set(METHODS);

/** A command sorted by what the connection must do with it. */
export type Command =
  | { kind: 'pong' }
  | { kind: 'send'; body: JsonObject }
  | { kind: 'call'; id: number; method: Method | undefined; body: JsonObject };

const MAX_ID = 0xffffffff;
/** Longest channel name accepted (the Centrifugo default). */
export const MAX_CHANNEL_LENGTH = 255;

export function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Splits a text frame into its JSON objects. Throws FrameError on anything else. */
export function decodeFrame(text: string): JsonObject[] {
  const out: JsonObject[] = [];
  // Blank lines carry nothing; the client never sends them, but they are harmless.
  for (const line of text.trim().split('\n')) {
    if (line.trim() === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      throw new FrameError('invalid JSON');
    }
    if (!isObject(value)) throw new FrameError('command is not an object');
    out.push(value);
  }
  if (out.length === 0) throw new FrameError('empty frame');
  return out;
}

/** Classifies one decoded command. Throws FrameError when it cannot be answered at all. */
export function classify(raw: JsonObject): Command {
  const rawId = raw.id ?? 0;
  if (typeof rawId !== 'number' || !Number.isInteger(rawId) || rawId < 0 || rawId > MAX_ID) {
    throw new FrameError('invalid command id');
  }
  let method: Method | undefined;
  let body: JsonObject = {};
  for (const key of Object.keys(raw)) {
    if (!METHOD_SET.has(key)) continue;
    method = key as Method;
    const value = raw[key];
    // proto3 JSON allows an omitted or null message; anything else is not a request.
    if (isObject(value)) body = value;
    else if (value !== null && value !== undefined) throw new FrameError(`${key} is not an object`);
    break;
  }
  if (rawId === 0) {
    if (method === 'send') return { kind: 'send', body };
    // Only the empty object is a pong: anything else without an id cannot get a reply.
    if (Object.keys(raw).length === 0 || (Object.keys(raw).length === 1 && 'id' in raw)) return { kind: 'pong' };
    throw new FrameError('command without id');
  }
  return { kind: 'call', id: rawId, method, body };
}

const badRequest = (what: string) => new CentrifugoError(ReplyCode.badRequest, `bad request: ${what}`);

/** An optional string field; 107 when present with another type. */
export function optString(body: JsonObject, key: string): string | undefined {
  const value = body[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw badRequest(`${key} must be a string`);
  return value;
}

/** An optional boolean field; 107 when present with another type. */
export function optBool(body: JsonObject, key: string): boolean {
  const value = body[key];
  if (value === undefined || value === null) return false;
  if (typeof value !== 'boolean') throw badRequest(`${key} must be a boolean`);
  return value;
}

/** An optional stream offset or limit (non-negative safe integer, or -1 where allowed). */
export function optInt(body: JsonObject, key: string, min = 0): number | undefined {
  const value = body[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min) {
    throw badRequest(`${key} must be an integer >= ${min}`);
  }
  return value;
}

/** An optional object field; 107 when present with another type. */
export function optObject(body: JsonObject, key: string): JsonObject | undefined {
  const value = body[key];
  if (value === undefined || value === null) return undefined;
  if (!isObject(value)) throw badRequest(`${key} must be an object`);
  return value;
}

/** The mandatory `channel` field: 107 when missing, 106 when too long. */
export function channelOf(body: JsonObject): string {
  const channel = optString(body, 'channel');
  if (!channel) throw badRequest('channel required');
  if (channel.length > MAX_CHANNEL_LENGTH) throw new CentrifugoError(ReplyCode.limitExceeded, 'channel name too long');
  return channel;
}

/** A recovery position as sent in `subscribe` or in connect `subs`; undefined when not recovering. */
export interface RecoverRequest {
  offset: number;
  /** Empty means "any epoch", as in Centrifugo. */
  epoch: string;
}

/** Reads `recover/offset/epoch` of a subscribe request or a connect `subs` entry. */
export function recoverRequestOf(body: JsonObject): RecoverRequest | undefined {
  if (!optBool(body, 'recover')) return undefined;
  // The client leaves out a zero offset and an unknown epoch.
  return { offset: optInt(body, 'offset') ?? 0, epoch: optString(body, 'epoch') ?? '' };
}

/** Encodes a successful reply: the result key is always present, even when empty. */
export function encodeReply(id: number, method: Method, result: JsonObject): string {
  return JSON.stringify({ id, [method]: result });
}

/** Encodes an error reply. */
export function encodeError(id: number, err: CentrifugoError): string {
  const error: JsonObject = { code: err.code, message: err.message };
  if (err.temporary) error.temporary = true;
  return JSON.stringify({ id, error });
}

/** A WebSocket close reason: printable ASCII, at most 32 bytes (the documented limit). */
export function closeReason(reason: string): string {
  return reason.replace(/[^\x20-\x7e]/g, '?').slice(0, 32);
}
