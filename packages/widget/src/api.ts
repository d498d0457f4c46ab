/// <reference lib="dom" />
/**
 * The client REST API (docs/CLIENT-API.md), the widget's only way to write. Calls
 * carry no credentials: the session id in the path is the client's capability.
 */
import type { MessagePage, PostMessageResponse, StartSessionBody, StartSessionResponse } from '@parley/protocol';

/** A failed call: `status` 0 means the network failed (offline, CORS, DNS). */
export class ApiError extends Error {
  constructor(readonly status: number, readonly code: string, message: string) {
    super(message);
  }

  /** Worth retrying with the same request: the network, or the server, was unavailable. */
  get transient(): boolean {
    return this.status === 0 || this.status === 429 || this.status >= 500;
  }
}

/** Typed REST calls against one Parley server. */
export class Api {
  constructor(private readonly base: string) {}

  private async call<T>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<T> {
    let res: Response;
    try {
      res = await fetch(this.base + path, {
        method,
        headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers },
        body: body === undefined ? null : JSON.stringify(body),
        // The host page's cookies are none of Parley's business.
        credentials: 'omit',
      });
    } catch (err) {
      throw new ApiError(0, 'NETWORK', String(err));
    }
    const text = await res.text().catch(() => '');
    let json: unknown = null;
    try {
      json = text ? JSON.parse(text) : null;
    } catch {
      // An error page from a proxy, say: keep the status, there is no code.
    }
    if (!res.ok) {
      const error = (json as { error?: { code?: string; message?: string } } | null)?.error;
      throw new ApiError(res.status, error?.code ?? 'HTTP_' + res.status, error?.message ?? text.slice(0, 200));
    }
    return json as T;
  }

  /** `POST` starts a new session; `PUT` continues the client's open one (or starts one). */
  startSession(method: 'POST' | 'PUT', chatId: string, body: StartSessionBody): Promise<StartSessionResponse> {
    return this.call(method, `/api/v1/chats/${encodeURIComponent(chatId)}/sessions`, body);
  }

  /** A page of history: `{limit}` for the newest, `{after}` to resync, `{before}` for older. */
  history(sessionId: string, query: { limit?: number; after?: string; before?: string }): Promise<MessagePage> {
    const q = Object.entries(query).map(([k, v]) => `${k}=${encodeURIComponent(String(v))}`).join('&');
    return this.call('GET', `/api/v1/sessions/${sessionId}/messages?${q}`);
  }

  /** Sends a client message; the same `idempotencyKey` on a retry never creates a second one. */
  send(sessionId: string, body: string, idempotencyKey: string): Promise<PostMessageResponse> {
    return this.call('POST', `/api/v1/sessions/${sessionId}/messages`, { body }, { 'idempotency-key': idempotencyKey });
  }

  /** Marks a bot or operator message read (used when the socket is down). */
  markRead(messageId: string): Promise<unknown> {
    return this.call('PATCH', `/api/v1/messages/${messageId}/read`);
  }
}
