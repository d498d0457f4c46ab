/// <reference lib="dom" />
/**
 * The embeddable widget in a real Chromium, embedded cross-origin on a host page with
 * hostile CSS, against a real Parley: bot, buttons, hand-off, an operator answering,
 * typing, read ticks, reload, a second tab, lost connections, the JS API, a closed
 * session. Everything is driven through the UI (Playwright pierces the open shadow root).
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { after, before, test } from 'node:test';
import zlib from 'node:zlib';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import type { MessagePage, PostMessageResponse } from '@parley/protocol';
import type { ParleyApi } from '../../widget/src/public-api.js';
import { demoScenario } from '../src/bot/scenario/index.js';
import { WIDGET_DIST } from '../src/transport/http/routes/ui.js';
import { browserSkip, launchBrowser } from './helpers/browser.js';
import { eventually, forEachEngine, startTestServer, type TestServer } from './helpers/harness.js';
import { as, connectOperator, createGroup, createOperator, type LiveOperator, type OperatorAccount } from './helpers/operators.js';

const WIDGET_FILE = path.join(WIDGET_DIST, 'widget.js');
// A 1×1 PNG for the operator's avatar.
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==', 'base64');

/** What the host page records through the command queue, before widget.js has loaded. */
interface HostWindow {
  Parley: ParleyApi;
  hostLog: { event: string; payload?: { id?: string; body?: string } }[];
}

function hostPage(widgetUrl: string, chatId: string): string {
  return `<!doctype html><html><head><meta charset="utf-8"><title>Host shop</title>
<style nonce="host">
  * { color: red !important; font-size: 40px !important; font-family: serif !important; letter-spacing: 4px !important; text-transform: uppercase !important }
  button { display: none !important }
  div, section { background: yellow !important }
</style></head><body>
<header id="host-header">Host header</header><div class="bubble" id="host-bubble">host bubble</div>
<script nonce="host">
  window.hostLog = [];
  window.Parley = window.Parley || [];
  for (const event of ['ready', 'open', 'close', 'message']) {
    Parley.push(['on', event, (payload) => hostLog.push({ event, payload })]);
  }
</script>
<script src="${widgetUrl}" data-chat-id="${chatId}" async></script>
</body></html>`;
}

test('widget.js is built and stays under 40 KB gzipped', { skip: fs.existsSync(WIDGET_FILE) ? false : 'widget not built (npm run build)' }, () => {
  const size = zlib.gzipSync(fs.readFileSync(WIDGET_FILE), { level: 9 }).length;
  assert.ok(size < 40 * 1024, `widget.js is ${size} bytes gzipped`);
});

forEachEngine('widget in the browser', (engine) => {
  let srv: TestServer;
  let chatId: string;
  let host: http.Server;
  let hostUrl: string;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let op: OperatorAccount;
  let live: LiveOperator;
  let sessionId: string;

  const skip = browserSkip || (fs.existsSync(WIDGET_FILE) ? false : 'widget not built (npm run build)');
  const it = (name: string, fn: () => Promise<void>) => test(name, { skip }, fn);

  before(async () => {
    if (skip) return;
    srv = await startTestServer(engine);
    ({ chatId } = await srv.createChat({ scenario: demoScenario }));
    // A strict CSP as careful shops have it: no inline styles or scripts but the page's own.
    const csp = `default-src 'none'; script-src 'nonce-host' ${srv.url}; style-src 'nonce-host'; img-src ${srv.url}; connect-src ${srv.url} ${srv.url.replace(/^http/, 'ws')}`;
    host = http.createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'content-security-policy': csp }).end(hostPage(`${srv.url}/widget.js`, chatId)));
    await new Promise<void>((resolve) => host.listen(0, '127.0.0.1', resolve));
    // Another port is another origin: the widget talks to Parley cross-origin.
    hostUrl = `http://127.0.0.1:${(host.address() as AddressInfo).port}/`;
    browser = await launchBrowser();
    context = await browser.newContext();
    page = await context.newPage();
  });
  after(async () => {
    if (skip) return;
    live?.close();
    await browser?.close();
    host?.closeAllConnections();
    await new Promise((resolve) => host?.close(resolve));
    await srv?.close();
  });

  const widget = (p: Page, css: string) => p.locator(`css=${css}`);
  /** Waits until the widget shows `css` (containing `text`). */
  const sees = (p: Page, css: string, text?: string) => widget(p, css).filter(text ? { hasText: text } : {}).waitFor();
  const type = async (p: Page, text: string) => {
    await widget(p, 'textarea').fill(text);
    await widget(p, 'textarea').press('Enter');
  };
  const call = (p: Page, method: 'open' | 'close' | 'toggle') => p.evaluate((m) => (window as unknown as HostWindow).Parley[m](), method);
  const ready = (p: Page) => p.waitForFunction(() => (window as unknown as HostWindow).hostLog.some((e) => e.event === 'ready'));
  const storedIds = (p: Page) => p.evaluate((key) => JSON.parse(localStorage.getItem(key) ?? 'null') as { sessionId: string; clientId: string } | null, `parley:${chatId}`);
  /** Message ids in the widget's DOM, in order. */
  const shownIds = (p: Page) => p.evaluate(() => Array.from(document.querySelector('parley-widget')!.shadowRoot!.querySelectorAll('.msg[data-id]'), (el) => el.getAttribute('data-id')!));
  const history = async () => (await srv.api<MessagePage>('GET', `/api/v1/sessions/${sessionId}/messages?limit=200`)).body.items;
  const operatorSays = async (body: string) => {
    const res = await as(srv, op)<PostMessageResponse>('POST', `/api/v1/sessions/${sessionId}/messages`, { body });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    return res.body.id;
  };
  /** The widget shows exactly the session's history, each message once, in order. */
  const showsHistory = async (p: Page) => {
    const expected = (await history()).map((m) => m.id);
    await eventually(async () => ((await shownIds(p)).length >= expected.length ? true : undefined), 5000, 'history rendered');
    assert.deepEqual(await shownIds(p), expected);
  };

  it('embeds cross-origin with isolated CSS under a strict CSP; greeting, buttons, reply and hand-off', async () => {
    const violations: string[] = [];
    page.on('console', (m) => m.text().includes('Content Security Policy') && violations.push(m.text()));
    await page.goto(hostUrl);
    await ready(page);
    // The host's CSS is live on the host page, and reaches none of the widget.
    // (The widget's own `header` and `.bubble` rules do not reach the host's elements.)
    const hostStyle = await page.evaluate(() => [getComputedStyle(document.getElementById('host-header')!), getComputedStyle(document.getElementById('host-bubble')!)]
      .map((cs) => [cs.color, cs.backgroundColor, cs.borderRadius]));
    assert.deepEqual(hostStyle, [['rgb(255, 0, 0)', 'rgba(0, 0, 0, 0)', '0px'], ['rgb(255, 0, 0)', 'rgb(255, 255, 0)', '0px']]);
    const launcher = widget(page, '.launcher');
    assert.ok(await launcher.isVisible(), 'host `button {display:none !important}` does not hide the launcher');
    assert.equal(await launcher.getAttribute('aria-expanded'), 'false');
    assert.equal(await storedIds(page), null, 'no session before the visitor opens the chat');

    await launcher.click();
    assert.equal(await launcher.getAttribute('aria-expanded'), 'true');
    const greeting = widget(page, '.msg-bot').filter({ hasText: 'Hello! I am the Parley demo bot' });
    await greeting.waitFor();
    assert.equal(await greeting.locator('css=.badge-bot').textContent(), 'Bot');
    const style = await greeting.locator('css=.body').evaluate((el) => {
      const cs = getComputedStyle(el);
      return { size: cs.fontSize, color: cs.color, spacing: cs.letterSpacing, transform: cs.textTransform };
    });
    assert.deepEqual(style, { size: '15px', color: 'rgb(31, 41, 51)', spacing: 'normal', transform: 'none' }, 'nothing of the host CSS is inherited');
    const chips = widget(page, '.chip');
    await chips.first().waitFor();
    assert.deepEqual(await chips.allTextContents(), ['Часы работы / Opening hours', 'Цены / Prices', 'Доставка / Delivery', 'Статус заказа / Order status', 'Оператор / Operator']);
    sessionId = (await storedIds(page))!.sessionId;

    await chips.filter({ hasText: 'Цены / Prices' }).click();
    await sees(page, '.msg-client', 'Цены / Prices');
    await sees(page, '.msg-bot', '990');
    await sees(page, '.msg-bot', 'What would you like to know');

    await type(page, 'оператор');
    await sees(page, '.msg-bot', 'Переключаю на оператора');
    assert.equal(await widget(page, 'textarea').inputValue(), '');
    await eventually(async () => ((await chips.count()) === 0 ? true : undefined), 3000, 'buttons gone after the hand-off');
    assert.equal((await history()).filter((m) => m.authorType === 'CLIENT' && m.body === 'оператор').length, 1);
    await showsHistory(page);
    assert.deepEqual(violations, []);
  });

  it('an operator joins and answers; typing indicator; read ticks both ways; text stays text', async () => {
    const groupId = await createGroup(srv, { name: 'Widget support', chatIds: [chatId] });
    op = await createOperator(srv, { name: 'Мария Support', groupIds: [groupId] });
    const form = new FormData();
    form.append('file', new Blob([PNG], { type: 'image/png' }), 'maria.png');
    const upload = await fetch(`${srv.url}/api/v1/operators/${op.id}/avatar`, { method: 'PUT', headers: { authorization: `Bearer ${op.token}` }, body: form });
    assert.equal(upload.status, 200);
    const avatarUrl = ((await upload.json()) as { avatar: { url: string } }).avatar.url;
    live = await connectOperator(srv, op.token);
    await sees(page, '.head-text strong', 'Мария Support');
    assert.equal(await widget(page, '.head-av img').getAttribute('src'), avatarUrl);
    await sees(page, '.notice', 'Мария Support joined the chat');

    const hello = await operatorSays('Здравствуйте! <img src=x onerror="window.pwned=1"><b>Maria</b> here');
    const msg = widget(page, `.msg-operator[data-id="${hello}"]`);
    await msg.waitFor();
    assert.equal(await msg.locator('css=.author').textContent(), 'Мария Support');
    assert.equal(await msg.locator('css=img.av').getAttribute('src'), avatarUrl);
    assert.equal(await widget(page, '.msg-bot img.av').count(), 0, 'the bot has no operator avatar');
    assert.equal(await msg.locator('css=.body').textContent(), 'Здравствуйте! <img src=x onerror="window.pwned=1"><b>Maria</b> here');
    assert.equal(await msg.locator('css=.body b, .body img').count(), 0, 'no markup from message text');
    assert.equal(await page.evaluate(() => 'pwned' in window), false);
    const heard = await page.evaluate((id) => (window as unknown as HostWindow).hostLog.some((e) => e.event === 'message' && e.payload?.id === id), hello);
    assert.ok(heard, 'a queued Parley.on("message") hears the operator');

    // The window is open: the widget reports the operator's message read.
    await eventually(async () => ((await history()).find((m) => m.id === hello)?.readAt ? true : undefined), 5000, 'operator message read by the widget');

    await live.centrifuge.rpc('typing', { sessionId });
    await sees(page, '.typing', 'Мария Support is typing');

    const asked = (await history()).find((m) => m.body === 'оператор')!;
    assert.equal(await widget(page, `.msg-client[data-id="${asked.id}"]`).getAttribute('data-state'), 'sent');
    assert.equal((await as(srv, op)('PATCH', `/api/v1/messages/${asked.id}/read`)).status, 200);
    await sees(page, `.msg-client[data-id="${asked.id}"][data-state="read"] .tick-read`);
  });

  it('survives a reload: same session, full history, no duplicates', async () => {
    await page.reload();
    await ready(page);
    assert.equal((await storedIds(page))!.sessionId, sessionId);
    await call(page, 'open');
    await showsHistory(page);
    await sees(page, '.head-text strong', 'Мария Support');
    assert.equal(await widget(page, '.msg-client[data-state="read"]').count(), 1, 'read state comes back with history');
  });

  it('a second tab shows the same conversation and follows it live', async () => {
    const tab = await context.newPage();
    try {
      await tab.goto(hostUrl);
      await ready(tab);
      await widget(tab, '.launcher').click();
      await showsHistory(tab);
      await widget(tab, 'textarea').fill('from the second tab');
      await widget(tab, '.send').click();
      await sees(tab, '.msg-client[data-state="sent"]', 'from the second tab');
      await sees(page, '.msg-client', 'from the second tab');
      const reply = await operatorSays('seen in both tabs');
      await sees(tab, `.msg[data-id="${reply}"]`);
      await sees(page, `.msg[data-id="${reply}"]`);
      await showsHistory(tab);
      await showsHistory(page);
    } finally {
      await tab.close();
    }
  });

  it('loses nothing and doubles nothing across lost connections', async () => {
    // The browser goes offline; the operator writes three messages meanwhile.
    await context.setOffline(true);
    await sees(page, '.status', 'Connection lost');
    const missed = [await operatorSays('while offline 1'), await operatorSays('while offline 2'), await operatorSays('while offline 3')];
    await page.waitForTimeout(300);
    for (const id of missed) assert.equal(await widget(page, `.msg[data-id="${id}"]`).count(), 0, 'not delivered while offline');
    await context.setOffline(false);
    for (const id of missed) await sees(page, `.msg[data-id="${id}"]`);
    await widget(page, '.status').waitFor({ state: 'hidden' });
    await showsHistory(page);

    // The server drops the socket (socket.io does not retry that by itself).
    srv.parley.io.in(`session:${sessionId}`).disconnectSockets(true);
    const late = await operatorSays('after a server-side disconnect');
    await widget(page, `.msg[data-id="${late}"]`).waitFor({ timeout: 8000 });
    await showsHistory(page);
  });

  it('JS API: open/close/toggle, on/off("message"), setUser reaches the server', async () => {
    const win = widget(page, '.win');
    await call(page, 'close');
    assert.equal(await win.isVisible(), false);
    await call(page, 'toggle');
    assert.equal(await win.isVisible(), true);
    await call(page, 'close');
    // Unread messages are counted on the launcher while the window is closed.
    await operatorSays('while closed');
    await sees(page, '.unread', '1');
    await call(page, 'open');
    await widget(page, '.unread').waitFor({ state: 'hidden' });
    const events = await page.evaluate(() => (window as unknown as HostWindow).hostLog.map((e) => e.event).filter((e) => e === 'open' || e === 'close').slice(-4));
    assert.deepEqual(events, ['close', 'open', 'close', 'open']);

    type Listening = HostWindow & { got: string[]; listener: (m?: unknown) => void };
    await page.evaluate(() => {
      const w = window as unknown as Listening;
      w.got = [];
      w.listener = (m) => w.got.push((m as { body: string }).body);
      w.Parley.on('message', w.listener);
    });
    await operatorSays('for the listener');
    await page.waitForFunction(() => (window as unknown as Listening).got.includes('for the listener'));
    await page.evaluate(() => (window as unknown as Listening).Parley.off('message', (window as unknown as Listening).listener));
    await operatorSays('after off');
    await sees(page, '.msg-operator', 'after off');
    assert.deepEqual(await page.evaluate(() => (window as unknown as Listening).got), ['for the listener']);

    await page.evaluate(() => (window as unknown as HostWindow).Parley.setUser({ name: 'Ann', email: 'ann@example.com', metadata: { plan: 'gold' } }));
    const session = await as(srv, op)<{ clientName: string }>('GET', `/api/v1/sessions/${sessionId}`);
    assert.equal(session.body.clientName, 'Ann');
    const client = await srv.parley.ctx.db.kysely.selectFrom('clients').select(['name', 'email', 'metadata']).where('id', '=', (await storedIds(page))!.clientId).executeTakeFirstOrThrow();
    assert.deepEqual({ ...client, metadata: JSON.parse(client.metadata) as unknown }, { name: 'Ann', email: 'ann@example.com', metadata: { plan: 'gold' } });
    assert.equal((await storedIds(page))!.sessionId, sessionId, 'the profile update keeps the session');
  });

  it('a closed session ends in a notice; the next message starts a new one', async () => {
    assert.equal((await as(srv, op)('DELETE', `/api/v1/sessions/${sessionId}`, {})).status, 200);
    await sees(page, '.notice', 'The conversation has ended');
    await type(page, 'hello again');
    await sees(page, '.msg-client[data-state="sent"]', 'hello again');
    const next = (await storedIds(page))!.sessionId;
    assert.notEqual(next, sessionId);
    const items = (await srv.api<MessagePage>('GET', `/api/v1/sessions/${next}/messages`)).body.items;
    assert.ok(items.some((m) => m.authorType === 'CLIENT' && m.body === 'hello again'));
    const client = await srv.parley.ctx.db.kysely.selectFrom('sessions').select('client_id').where('id', '=', next).executeTakeFirstOrThrow();
    assert.equal(client.client_id, (await storedIds(page))!.clientId, 'the same visitor');
  });
});
