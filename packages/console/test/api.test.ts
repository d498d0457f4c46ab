/**
 * The console's token store around signing out: the tokens are gone from the tab as
 * soon as sign-out starts, and a refresh answered after it stores nothing.
 * `fetch` is replaced by one that answers when the test says so.
 */
import assert from 'node:assert/strict';
import { afterEach, test } from 'node:test';
import { Api, type KeyValueStore } from '../src/api.js';

class MemoryStore implements KeyValueStore {
  readonly items = new Map<string, string>();
  getItem(key: string): string | null {
    return this.items.get(key) ?? null;
  }
  setItem(key: string, value: string): void {
    this.items.set(key, value);
  }
  removeItem(key: string): void {
    this.items.delete(key);
  }
}

/**
 * A token the console can read an expiry from (an hour ahead); the signature is not checked here.
 * The expiry is fixed once, so the same `n` gives the same token on both sides of a second's turn.
 */
const expiry = Math.floor(Date.now() / 1000) + 3600;
const jwt = (n: number) => {
  const part = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
  return `${part({ alg: 'HS256', typ: 'JWT' })}.${part({ sub: '1', n, exp: expiry })}.sig`;
};

interface Call {
  path: string;
  authorization: string | undefined;
  answer(body: unknown): void;
}
const realFetch = globalThis.fetch;
let calls: Call[] = [];
const apis: Api[] = [];
/** Replaces fetch; each request waits until the test answers it. */
function holdRequests(): Call[] {
  calls = [];
  globalThis.fetch = ((path: string, init: RequestInit) =>
    new Promise<Response>((resolve) => {
      calls.push({
        path,
        authorization: (init.headers as Record<string, string>).authorization,
        answer: (body) => resolve(new Response(JSON.stringify(body), { status: 200, headers: { 'content-type': 'application/json' } })),
      });
    })) as typeof fetch;
  return calls;
}
// A failed test must not leave a request or a refresh timer holding the process.
afterEach(() => {
  for (const c of calls.splice(0)) c.answer({});
  for (const api of apis.splice(0)) api.clear();
  globalThis.fetch = realFetch;
});

async function signedIn(calls: Call[]): Promise<{ api: Api; store: MemoryStore }> {
  const store = new MemoryStore();
  const api = new Api(store);
  apis.push(api);
  const login = api.login('anna@parley.demo', 'secret');
  await new Promise((r) => setImmediate(r));
  calls.shift()!.answer({ token: jwt(1), refreshToken: 'refresh-1' });
  await login;
  assert.equal(api.token, jwt(1));
  return { api, store };
}

test('console: sign-out forgets the tokens before the server has answered, and revokes with the token it had', async () => {
  const calls = holdRequests();
  const { api, store } = await signedIn(calls);
  const out = api.logout();
  // A reload now must find nothing to resume with.
  assert.equal(store.items.size, 0);
  assert.equal(api.hasSession(), false);
  await new Promise((r) => setImmediate(r));
  const call = calls.shift()!;
  assert.equal(call.path, '/api/v1/auth/logout');
  assert.equal(call.authorization, `Bearer ${jwt(1)}`);
  call.answer({ ok: true });
  await out;
  assert.equal(store.items.size, 0);
});

test('console: a refresh answered after the tab signed out stores nothing', async () => {
  const calls = holdRequests();
  const { api, store } = await signedIn(calls);
  const refreshed = api.refresh();
  await new Promise((r) => setImmediate(r));
  const call = calls.shift()!;
  assert.equal(call.path, '/api/v1/auth/refresh');
  api.clear();
  call.answer({ token: jwt(2), refreshToken: 'refresh-2' });
  await refreshed;
  assert.equal(api.token, null);
  assert.equal(store.items.size, 0);
  // Without a sign-out in between, a refresh stores its pair.
  const again = await signedIn(calls);
  const next = again.api.refresh();
  await new Promise((r) => setImmediate(r));
  calls.shift()!.answer({ token: jwt(3), refreshToken: 'refresh-3' });
  await next;
  assert.equal(again.api.token, jwt(3));
});
