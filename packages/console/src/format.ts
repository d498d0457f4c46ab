/** Display helpers shared by the console's views (pure, DOM-free). */
import type { SessionDto } from '@parley/protocol';

/** The name to show for a session: the client's, else the session's, else a short id. */
export function sessionTitle(s: Pick<SessionDto, 'clientName' | 'name' | 'id'>): string {
  return s.clientName?.trim() || s.name.trim() || `Chat ${s.id.slice(0, 8)}`;
}

/**
 * Whether the client has a connection open now. Timestamps have one-second precision: when
 * both fall in the same second we assume the newer event is the connect (a page reload).
 */
export function isClientOnline(s: Pick<SessionDto, 'clientOnlineAt' | 'clientOfflineAt'>): boolean {
  if (!s.clientOnlineAt) return false;
  if (!s.clientOfflineAt) return true;
  return Date.parse(s.clientOnlineAt) >= Date.parse(s.clientOfflineAt);
}

/** One line of a message body for list previews. */
export function preview(body: string | undefined, max = 80): string {
  const line = (body ?? '').replace(/\s+/g, ' ').trim();
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}

/** Local clock time of a wire timestamp (date too when it is not today). */
export function timeOf(ts: string | null | undefined, now = Date.now()): string {
  if (!ts) return '';
  const d = new Date(ts);
  if (Number.isNaN(d.getTime())) return '';
  const sameDay = new Date(now).toDateString() === d.toDateString();
  const hm = d.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' });
  return sameDay ? hm : `${d.toLocaleDateString()} ${hm}`;
}

/** The document title: unread count first, so it shows in a narrow browser tab. */
export function titleFor(unread: number, flashOn: boolean): string {
  const base = unread > 0 ? `(${unread}) Parley` : 'Parley';
  return flashOn ? `${unread > 0 ? `(${unread}) ` : ''}● New chat — Parley` : base;
}
