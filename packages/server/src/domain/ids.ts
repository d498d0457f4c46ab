/**
 * Message ids are time-ordered UUIDs (version 7, RFC 9562): 48 bits of Unix milliseconds,
 * then 74 random bits. Random (version 4) keys put each new message row's primary-key entry
 * on a random page of the index, so a commit of many messages wrote as many index pages to
 * the log (SQLite) or touched as many pages after a checkpoint (PostgreSQL's full-page
 * writes); time-ordered keys append to the index's last page. Session ids, which are also
 * the client's key to its session, stay version 4: all of their bits are random.
 */
import { randomUUID } from 'node:crypto';

/** A version 7 UUID for `ms` (default now; whole milliseconds, 0 to 2^48 − 1). Within one millisecond the order is random. */
export function timeOrderedUuid(ms: number = Date.now()): string {
  const time = Math.min(Math.max(0, Math.floor(ms)), 2 ** 48 - 1).toString(16).padStart(12, '0');
  // A version 4 UUID supplies the random bits and the variant: xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx.
  return `${time.slice(0, 8)}-${time.slice(8, 12)}-7${randomUUID().slice(15)}`;
}
