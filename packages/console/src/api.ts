/**
 * REST client of the console: bearer auth, the `{error: {code, message, details}}` envelope,
 * and the token pair's lifecycle (refresh ahead of expiry, and once more on `TOKEN_EXPIRED`).
 * DOM-free on purpose (storage is injected), so the root Node typecheck covers it too.
 */
import type { TokenPair } from '@parley/protocol';

/** One problem of a rejected request body (JSON pointer + message). */
export interface ErrorDetail {
  path: string;
  message: string;
}

/** An API failure as the server reported it, or a network failure (`status` 0). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: ErrorDetail[] = [],
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** Why the credentials stopped working; the UI turns this into an explanation screen. */
export type AuthLoss = 'blocked' | 'revoked' | 'expired';

/** The part of `Storage` the token store needs (sessionStorage in the browser). */
export interface KeyValueStore {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

const TOKEN_KEY = 'parley.console.token';
const REFRESH_KEY = 'parley.console.refreshToken';
/** Refresh this long before the access token expires, so no request races the expiry. */
const REFRESH_MARGIN_MS = 60_000;

/** Seconds-since-epoch `exp` of a JWT, or null when it cannot be read (then we only refresh on 401). */
export function tokenExpiry(token: string): number | null {
  const part = token.split('.')[1];
  if (!part) return null;
  try {
    const json = atob(part.replace(/-/g, '+').replace(/_/g, '/').padEnd(Math.ceil(part.length / 4) * 4, '='));
    const exp = (JSON.parse(json) as { exp?: unknown }).exp;
    return typeof exp === 'number' ? exp : null;
  } catch {
    return null;
  }
}

function isErrorEnvelope(v: unknown): v is { error: { code: string; message: string; details?: ErrorDetail[] } } {
  if (typeof v !== 'object' || v === null || !('error' in v)) return false;
  const e = (v as { error: unknown }).error;
  return typeof e === 'object' && e !== null && typeof (e as { code?: unknown }).code === 'string';
}

/** REST access for one signed-in operator. */
export class Api {
  private refreshing: Promise<void> | null = null;
  /** Bumped by clear(): a refresh that started before it must not store its pair. */
  private generation = 0;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private readonly tokenListeners = new Set<(token: string) => void>();
  /** Set by the app: called once the credentials are definitively unusable. */
  onAuthLost: (why: AuthLoss, err: ApiError) => void = () => {};

  constructor(private readonly store: KeyValueStore) {}

  get token(): string | null {
    return this.store.getItem(TOKEN_KEY);
  }

  /** True when a token pair survived a page reload of this tab. */
  hasSession(): boolean {
    return this.token !== null && this.store.getItem(REFRESH_KEY) !== null;
  }

  /** Email/password login; stores the pair and schedules its refresh. */
  async login(email: string, password: string): Promise<void> {
    const pair = await this.raw<TokenPair>('POST', '/api/v1/auth/login', { email, password }, null);
    this.setPair(pair);
  }

  /**
   * Forgets the tokens here at once (a reload during the call must not find them), then
   * revokes every token of the operator server-side.
   */
  async logout(): Promise<void> {
    const token = this.token;
    this.clear();
    // Not through request(): a token that is already revoked must not raise an end screen.
    await this.raw('POST', '/api/v1/auth/logout', undefined, token);
  }

  /** Forgets the tokens of this tab (no server call); a refresh still in flight stores nothing. */
  clear(): void {
    this.generation++;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.store.removeItem(TOKEN_KEY);
    this.store.removeItem(REFRESH_KEY);
  }

  /** Notified with every new access token (the live connection uses it on its next connect). */
  onToken(fn: (token: string) => void): () => void {
    this.tokenListeners.add(fn);
    return () => this.tokenListeners.delete(fn);
  }

  /** Call after a reload: schedules the refresh of a stored pair. */
  resume(): void {
    const token = this.token;
    if (token) this.schedule(token);
  }

  /** An authenticated call; one transparent refresh-and-retry on `TOKEN_EXPIRED`. */
  async request<T = unknown>(method: string, path: string, body?: unknown): Promise<T> {
    try {
      return await this.raw<T>(method, path, body, this.token);
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
      if (err.code === 'TOKEN_EXPIRED') {
        await this.refresh();
        return this.raw<T>(method, path, body, this.token).catch((e: unknown) => this.lost(e));
      }
      return this.lost(err);
    }
  }

  /** Exchanges the refresh token for a new pair; concurrent callers share one exchange. */
  refresh(): Promise<void> {
    this.refreshing ??= (async () => {
      const refreshToken = this.store.getItem(REFRESH_KEY);
      if (!refreshToken) this.lost(new ApiError(401, 'TOKEN_EXPIRED', 'Your session has expired. Please sign in again.'));
      const generation = this.generation;
      try {
        // In the body, not the URL: proxies log URLs.
        const pair = await this.raw<TokenPair>('POST', '/api/v1/auth/refresh', { refreshToken }, null);
        if (generation === this.generation) this.setPair(pair);
      } catch (err) {
        // A refused refresh token (used, revoked, expired) means signing in again.
        if (err instanceof ApiError && err.status === 401) this.lost(new ApiError(401, 'TOKEN_EXPIRED', err.message));
        throw err;
      }
    })().finally(() => {
      this.refreshing = null;
    });
    return this.refreshing;
  }

  private lost(err: unknown): never {
    if (err instanceof ApiError) {
      if (err.code === 'OPERATOR_BLOCKED') this.onAuthLost('blocked', err);
      else if (err.code === 'TOKEN_REVOKED' || err.code === 'UNAUTHORIZED') this.onAuthLost('revoked', err);
      else if (err.code === 'TOKEN_EXPIRED') this.onAuthLost('expired', err);
    }
    throw err;
  }

  private setPair(pair: TokenPair): void {
    this.store.setItem(TOKEN_KEY, pair.token);
    this.store.setItem(REFRESH_KEY, pair.refreshToken);
    this.schedule(pair.token);
    for (const fn of this.tokenListeners) fn(pair.token);
  }

  private schedule(token: string): void {
    if (this.timer) clearTimeout(this.timer);
    const exp = tokenExpiry(token);
    if (exp === null) return;
    // Timers above 2^31-1 ms fire at once; long-lived tokens are re-checked daily instead.
    const wait = Math.min(Math.max(exp * 1000 - Date.now() - REFRESH_MARGIN_MS, 5_000), 86_400_000);
    this.timer = setTimeout(() => {
      if (tokenExpiry(token) !== null && exp * 1000 - Date.now() > REFRESH_MARGIN_MS) this.schedule(token);
      else this.refresh().catch(() => { /* reported through onAuthLost */ });
    }, wait);
  }

  private async raw<T>(method: string, path: string, body: unknown, token: string | null): Promise<T> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (token) headers.authorization = `Bearer ${token}`;
    const init: RequestInit = { method, headers };
    if (body !== undefined) {
      headers['content-type'] = 'application/json';
      init.body = JSON.stringify(body);
    }
    let res: Response;
    try {
      res = await fetch(path, init);
    } catch {
      throw new ApiError(0, 'NETWORK', 'The server cannot be reached. Check your connection and try again.');
    }
    const text = await res.text();
    let parsed: unknown = null;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      /* not JSON: reported below if the status is an error */
    }
    if (!res.ok) {
      if (isErrorEnvelope(parsed)) throw new ApiError(res.status, parsed.error.code, parsed.error.message, parsed.error.details ?? []);
      throw new ApiError(res.status, `HTTP_${res.status}`, `The server answered ${res.status} ${res.statusText}`.trim());
    }
    return parsed as T;
  }
}
