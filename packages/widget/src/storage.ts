/// <reference lib="dom" />
/**
 * Where the widget remembers its visitor: `{clientId, sessionId}` per chat id in
 * localStorage, so a reload or a second tab continues the same conversation.
 */

/** The ids that identify this visitor's conversation in one chat. */
export interface StoredIds {
  clientId: string;
  sessionId: string;
}

const keyOf = (chatId: string) => `parley:${chatId}`;
// Private modes and sandboxed iframes may refuse storage: fall back to this page's memory.
const memory = new Map<string, string>();

function read(key: string): string | null {
  try {
    return localStorage.getItem(key);
  } catch {
    return memory.get(key) ?? null;
  }
}

function write(key: string, value: string | null): void {
  try {
    if (value === null) localStorage.removeItem(key);
    else localStorage.setItem(key, value);
  } catch {
    if (value === null) memory.delete(key);
    else memory.set(key, value);
  }
}

/** The stored ids of this chat, or null when there are none (or they are unreadable). */
export function loadIds(chatId: string): StoredIds | null {
  const raw = read(keyOf(chatId));
  if (!raw) return null;
  try {
    const v = JSON.parse(raw) as Partial<StoredIds>;
    return typeof v.clientId === 'string' && typeof v.sessionId === 'string' ? { clientId: v.clientId, sessionId: v.sessionId } : null;
  } catch {
    return null;
  }
}

/** Remembers the ids (or forgets them with null). */
export function saveIds(chatId: string, ids: StoredIds | null): void {
  write(keyOf(chatId), ids ? JSON.stringify(ids) : null);
}

/**
 * A random token for `Idempotency-Key` and local ids. `crypto.randomUUID` only exists
 * in secure contexts, and host pages may be plain http, so build it from random bytes.
 */
export function randomKey(): string {
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}
