/**
 * The operator console (packages/console, built into dist/) in a real headless Chromium against
 * a real Parley, on both database engines: sign-in, routing of a handed-off chat to the console,
 * live messages and typing both ways, replies, read ticks, edits, the incoming-chats switch,
 * taking from the help queue, closing with a result, the connection banner and resync, the
 * end-of-session screens (signed in elsewhere, blocked), and the admin pages (scenario
 * validation errors beside the editor, the embed snippet). The client side is a real
 * socket.io-client 4 socket. Set PARLEY_TEST_SHOTS=<dir> to save screenshots of each step.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { browserSkip, launchBrowser } from './helpers/browser.js';
import { connectClient, type RecordingClient } from './helpers/clients.js';
import { eventually, forEachEngine, startTestServer, type TestServer } from './helpers/harness.js';
import { as, connectOperator, createOperator, type OperatorAccount } from './helpers/operators.js';

const SCENARIO = {
  start: 'hi',
  nodes: {
    hi: { type: 'message', text: 'Hello from the bot!', answers: [{ id: 'human', text: 'Talk to a human', next: 'handoff' }] },
    handoff: { type: 'handoff', text: 'Connecting you to an operator' },
  },
};
/** Two mistakes the validator reports: a dangling `next` and a misspelt key. */
const BROKEN_SCENARIO = {
  start: 'a',
  nodes: { a: { type: 'message', text: 'hi', next: 'nowhere' }, b: { type: 'question', text: 'Where?', nxet: 'a' } },
};
const FIRST_ANSWER_SECONDS = 2;
/**
 * Short-lived access tokens: the console refreshes 60 s before expiry (at the earliest 5 s after
 * receiving a token), so during this flow it refreshes every few seconds.
 */
const TOKEN_TTL_SECONDS = 62;
/**
 * Where the flow opens the console. `/console/` itself currently redirects to itself (see the
 * first test); `index.html` under the same prefix is the same page with the same asset base.
 */
const ENTRY = '/console/';
const shotsDir = process.env.PARLEY_TEST_SHOTS;

// Counts the console's beeps: every beep creates one oscillator.
const COUNT_BEEPS = `
  window.__beeps = 0;
  const create = AudioContext.prototype.createOscillator;
  AudioContext.prototype.createOscillator = function () { window.__beeps += 1; return create.call(this); };
`;

interface Msg {
  id: string;
  body: string;
  authorType: string;
  authorId: string;
}

describe('operator console in Chromium', { skip: browserSkip }, () => {
  forEachEngine('operator console', (engine) => {
    let srv: TestServer;
    let browser: Browser;
    let ctx: BrowserContext;
    let page: Page;
    let chatId: string;
    let op: OperatorAccount;
    let admin: OperatorAccount;
    let ann: RecordingClient;
    let s1: string;
    let s2: string;
    let replyId: string;
    let firstToken: string | null = null;
    const requests: string[] = [];
    const row = (view: string, sessionId: string) => `.session-list[data-view=${view}] .session-row[data-session-id="${sessionId}"]`;
    const shot = async (p: Page, name: string) => {
      if (shotsDir) await p.screenshot({ path: path.join(shotsDir, `${engine}-${name}.png`), fullPage: true });
    };
    const signIn = async (p: Page, who: OperatorAccount) => {
      await p.fill('input[name=email]', who.email);
      await p.fill('input[name=password]', who.password);
      await p.click('form.login-form button[type=submit]');
    };
    const beeps = () => page.evaluate<number>('window.__beeps');
    const storedToken = () => page.evaluate<string | null>("sessionStorage.getItem('parley.console.token')");
    /** REST as an operator with a token of its own (the tokens from createOperator expire during the flow). */
    const fresh = async (who: OperatorAccount) => {
      const login = await srv.api('POST', '/api/v1/auth/login', { email: who.email, password: who.password });
      assert.equal(login.status, 200, JSON.stringify(login.body));
      return as(srv, { token: login.body.token as string });
    };
    /** The steps build on each other: after a failure the rest is skipped instead of timing out one by one. */
    let failed: string | null = null;
    const step = (name: string, fn: () => Promise<void>) =>
      test(name, async (t) => {
        if (failed) return t.skip(`an earlier step failed: ${failed}`);
        try {
          await fn();
        } catch (err) {
          failed = name;
          if (shotsDir) await page.screenshot({ path: path.join(shotsDir, `${engine}-failure.png`), fullPage: true }).catch(() => {});
          throw err;
        }
      });

    before(async () => {
      if (shotsDir) fs.mkdirSync(shotsDir, { recursive: true });
      srv = await startTestServer(engine, { TOKEN_TTL_SECONDS: String(TOKEN_TTL_SECONDS) });
      const timers = { timerFirstAnswer: FIRST_ANSWER_SECONDS, timerNextAnswers: 600 };
      ({ chatId } = await srv.createChat({ scenario: SCENARIO, settings: timers }));
      const group = await srv.admin('POST', '/api/v1/groups', { name: 'Support', chatIds: [chatId], sessionLimit: 5, ...timers });
      assert.equal(group.status, 201);
      op = await createOperator(srv, { name: 'Olga Operator', groupIds: [group.body.id] });
      admin = await createOperator(srv, { name: 'Ada Admin', role: 'ADMIN' });
      browser = await launchBrowser();
      ctx = await browser.newContext({ viewport: { width: 1280, height: 800 } });
      page = await ctx.newPage();
      page.setDefaultTimeout(10_000);
      await page.addInitScript({ content: COUNT_BEEPS });
      page.on('request', (r) => requests.push(`${r.method()} ${new URL(r.url()).pathname}${new URL(r.url()).search}`));
    });
    after(async () => {
      ann?.close();
      await browser?.close();
      await srv?.close();
    });

    test('the console is served at /console/ (and /console leads there)', async () => {
      const res = await fetch(`${srv.url}/console/`, { redirect: 'manual' });
      assert.equal(res.status, 200, `GET /console/ answered ${res.status} → ${res.headers.get('location')}`);
      assert.match(await res.text(), /<div id="app"><\/div>/);
      const bare = await fetch(`${srv.url}/console`, { redirect: 'manual' });
      assert.ok(bare.status === 200 || bare.headers.get('location') === '/console/', `GET /console answered ${bare.status}`);
    });

    step('signs in with email and password, shows the status, and connects the live channel', async () => {
      const res = await page.goto(`${srv.url}${ENTRY}`);
      assert.equal(res?.status(), 200, 'the console is built (npm run build -w @parley/console)');
      await signIn(page, { ...op, password: 'wrong-password' });
      assert.match(await page.textContent('.login-form .error-box') ?? '', /INVALID_CREDENTIALS/);
      await signIn(page, op);
      await page.waitForSelector('.topbar .whoami:has-text("Olga Operator")');
      assert.equal(await page.getAttribute('.status-value', 'data-status'), 'ACTIVE');
      assert.equal(await page.isChecked('input[name=incoming]'), true);
      // A reload of the tab keeps the sign-in (sessionStorage).
      await page.reload();
      await page.waitForSelector('.topbar .whoami:has-text("Olga Operator")');
      firstToken = await storedToken();
      assert.ok(firstToken, 'token kept in sessionStorage');
      await page.waitForSelector('.live-dot.connected');
      await eventually(() => (srv.parley.live.online().includes(Number(op.id)) ? true : undefined), 5000, 'console connected');
      assert.equal(await page.locator('.tabs [data-view=all]').count(), 0, 'the All tab is for admins');
      await shot(page, '01-signed-in');
    });

    step('a handed-off chat is routed to the console: bot part, presence, unread, SL timer, sound, live client messages', async () => {
      const start = await srv.api('POST', `/api/v1/chats/${chatId}/sessions`, { clientName: 'Ann Client' });
      s1 = start.body.id;
      ann = await connectClient('v4', srv.url, s1);
      await srv.api('POST', `/api/v1/sessions/${s1}/messages`, { body: 'Talk to a human' });
      await page.waitForSelector(`${row('mine', s1)}:has-text("Ann Client")`);
      await page.waitForSelector(`${row('mine', s1)} .presence.online`);
      assert.equal(await page.textContent(`${row('mine', s1)} .unread-badge`), '1');
      await page.waitForFunction('document.title.startsWith("(1) ")');
      await eventually(async () => ((await beeps()) >= 1 ? true : undefined), 3000, 'a beep for the new chat');
      // The first-answer timer counts down and turns red once breached.
      await page.waitForSelector(`${row('mine', s1)} .sl-timer[data-kind=first]:not(.breached)`);
      await page.waitForSelector(`${row('mine', s1)} .sl-timer.breached`, { timeout: (FIRST_ANSWER_SECONDS + 3) * 1000 });
      await shot(page, '02-routed');

      await page.click(row('mine', s1));
      await page.waitForSelector('.msg-bot:has-text("Hello from the bot!") .bot-label:has-text("Bot")');
      await page.waitForSelector('.msg-client:has-text("Talk to a human")');
      // Opening the pane marks the client's messages read.
      await page.waitForSelector(`${row('mine', s1)} .unread-badge`, { state: 'detached' });
      assert.equal((await (await fresh(op))('GET', `/api/v1/sessions/${s1}`)).body.unreadClientMessageCount, 0);
      await srv.api('POST', `/api/v1/sessions/${s1}/messages`, { body: 'My order #42 is late' });
      await page.waitForSelector('.chat-pane .msg-client .msg-body:text-is("My order #42 is late")');
    });

    step('typing both ways, a reply from the UI, read ticks, and editing the reply', async () => {
      ann.socket.emit('typing', {});
      await page.waitForSelector('.typing-indicator:has-text("Ann Client is typing")');
      await page.click('textarea[name=reply]');
      await page.keyboard.type('Hello Ann, let me check.');
      assert.deepEqual(await ann.until('showTypingIndicatorEmit', (p: { authorType: string }) => p.authorType === 'OPERATOR'), { authorType: 'OPERATOR' });
      await page.keyboard.press('Enter');
      const sent: Msg = await ann.until('chatMessageCreatedEmit', (m: Msg) => m.authorType === 'OPERATOR');
      assert.equal(sent.body, 'Hello Ann, let me check.');
      assert.equal(sent.authorId, op.id);
      replyId = sent.id;
      const mine = `.msg.own[data-message-id="${replyId}"]`;
      await page.waitForSelector(`${mine} .ticks.sent`);
      assert.equal(await page.inputValue('textarea[name=reply]'), '');
      // Answered: the first-answer timer is gone.
      await page.waitForSelector(`${row('mine', s1)} .sl-timer`, { state: 'detached' });

      await srv.api('PATCH', `/api/v1/messages/${replyId}/read`);
      await page.waitForSelector(`${mine} .ticks.read`);

      await page.click(`${mine} .edit-btn`);
      await page.fill(`${mine} textarea[name=edit-body]`, 'Hello Ann, I am checking it now.');
      await page.click(`${mine} .edit-form button[type=submit]`);
      const edited: Msg = await ann.until('chatMessageEditedEmit', (m: Msg) => m.id === replyId);
      assert.equal(edited.body, 'Hello Ann, I am checking it now.');
      await page.waitForSelector(`${mine} .msg-body:text-is("Hello Ann, I am checking it now.")`);
      await page.waitForSelector(`${mine} .edited`);
      await shot(page, '03-chat');
    });

    step('the incoming-chats switch: PAUSED sends new chats to the help queue, where Take assigns them', async () => {
      await page.click('label.switch');
      assert.deepEqual(await ann.until('operatorStatusChangedEmit', (p: { currentStatus: string }) => p.currentStatus === 'PAUSED'), {
        operatorId: op.id, previousStatus: 'ACTIVE', currentStatus: 'PAUSED',
      });
      await page.waitForSelector('.status-value[data-status=PAUSED]');
      assert.equal((await (await fresh(op))('GET', '/api/v1/operators/me')).body.status, 'PAUSED');

      const beepsBefore = await beeps();
      s2 = (await srv.api('POST', `/api/v1/chats/${chatId}/sessions`, { clientName: 'Ben Client', messageBody: 'Talk to a human' })).body.id;
      await page.click('.tabs [data-view=help]');
      await page.waitForSelector(`${row('help', s2)}:has-text("Ben Client")`);
      await eventually(async () => ((await beeps()) > beepsBefore ? true : undefined), 3000, 'a beep for the queued chat');
      await page.click(row('help', s2));
      await page.click('.chat-actions button.take');
      await page.click('.tabs [data-view=mine]');
      await page.waitForSelector(row('mine', s2));
      // Now that it is ours, the open chat is read.
      await page.waitForSelector(`${row('mine', s2)} .unread-badge`, { state: 'detached' });
      const taken = await (await fresh(op))('GET', `/api/v1/sessions/${s2}`);
      assert.equal(taken.body.operatorId, op.id);
      assert.equal(taken.body.botStatus, 'OPERATOR');
      assert.equal(await page.locator('.chat-actions button.take').count(), 0);
      await shot(page, '04-taken');

      await page.click('label.switch');
      await ann.until('operatorStatusChangedEmit', (p: { currentStatus: string }) => p.currentStatus === 'ACTIVE');
      await page.waitForSelector('.status-value[data-status=ACTIVE]');
    });

    step('a long history pages back with `before`', async () => {
      // Another chat is open while the lines arrive, so opening this one loads its history from scratch.
      await page.click(row('mine', s1));
      await page.waitForSelector(`.chat-pane[data-session-id="${s1}"]`);
      for (let i = 1; i <= 55; i++) await srv.api('POST', `/api/v1/sessions/${s2}/messages`, { body: `line ${i}` });
      await page.click(row('mine', s2));
      await page.waitForSelector(`.chat-pane[data-session-id="${s2}"]`);
      await page.waitForSelector('.chat-pane .msg-body:text-is("line 55")');
      assert.equal(await page.locator('.chat-pane .msg-body:text-is("line 1")').count(), 0, 'only the newest page at first');
      await page.click('.chat-pane .load-older');
      await page.waitForSelector('.chat-pane .msg-body:text-is("line 1")');
      await page.waitForSelector('.chat-pane .load-older', { state: 'detached' });
      const history = await (await fresh(op))('GET', `/api/v1/sessions/${s2}/messages?limit=200`);
      assert.equal(await page.locator('.chat-pane .msg').count(), history.body.count);
      assert.ok(requests.some((r) => r.startsWith(`GET /api/v1/sessions/${s2}/messages?before=`)));
    });

    step('a dropped live connection shows the banner, reconnects, and resynchronises over REST', async () => {
      await page.click(row('mine', s1));
      await page.waitForSelector(`.chat-pane[data-session-id="${s1}"]`);
      const mark = requests.length;
      srv.parley.live.disconnect(op.id, 4000, 'test');
      await page.waitForSelector('.conn-banner[data-state=connecting]:has-text("Reconnecting")', { timeout: 3000 });
      await shot(page, '05-banner');
      await srv.api('POST', `/api/v1/sessions/${s1}/messages`, { body: 'Are you still there?' });
      await page.waitForSelector('.conn-banner', { state: 'detached', timeout: 10_000 });
      await page.waitForSelector('.chat-pane .msg-client .msg-body:text-is("Are you still there?")');
      const after = await eventually(() => {
        const seen = requests.slice(mark);
        return seen.some((r) => r.startsWith('GET /api/v1/sessions?view=mine')) && seen.some((r) => r.includes(`/api/v1/sessions/${s1}/messages?after=`)) ? seen : undefined;
      }, 5000, 'resync requests after the reconnect');
      assert.ok(after.some((r) => r.startsWith('GET /api/v1/sessions?view=help')));
      // Meanwhile the short-lived access token was refreshed ahead of its expiry, and the new one is in use.
      await eventually(async () => ((await storedToken()) !== firstToken ? true : undefined), 8000, 'a refreshed token');
      assert.ok(requests.some((r) => r.startsWith('POST /api/v1/auth/refresh')));
      assert.ok(!requests.some((r) => r.includes('refreshToken=')), 'the refresh token never travels in a URL');
      assert.equal((await as(srv, { token: (await storedToken())! })('GET', '/api/v1/operators/me')).status, 200);
    });

    step('closing with a result from the UI takes the chat out of Mine', async () => {
      await page.click('.chat-actions .close-btn');
      await page.fill('.close-form input[name=result]', 'resolved');
      await page.click('.close-form button[type=submit]');
      assert.deepEqual(await ann.next('sessionClosedEmit'), { sessionId: s1, closedBy: 'OPERATOR', result: 'resolved' });
      await page.waitForSelector(row('mine', s1), { state: 'detached' });
      await page.waitForSelector('.pane-notice:has-text("You closed this chat (resolved)")');
      const closed = await (await fresh(op))('GET', `/api/v1/sessions/${s1}`);
      assert.equal(closed.body.status, 'CLOSED');
      assert.equal(closed.body.result, 'resolved');
      assert.equal(await page.locator('textarea[name=reply]').count(), 0, 'no composer on a closed chat');
    });

    step('spam mark and transfer to a colleague from the UI', async () => {
      await page.click(row('mine', s2));
      await page.click('.chat-actions .spam-btn:text-is("Spam")');
      await page.waitForSelector('.chat-title .chip.spam');
      assert.equal((await (await fresh(op))('GET', `/api/v1/sessions/${s2}`)).body.markedAsSpam, true);
      await page.click('.chat-actions .spam-btn:text-is("Not spam")');
      await page.waitForSelector('.chat-title .chip.spam', { state: 'detached' });
      await page.click('.chat-actions .transfer-btn');
      await page.selectOption('select[name=transfer-operator]', admin.id);
      await page.click('.transfer button:text-is("Transfer to operator")');
      await page.waitForSelector(row('mine', s2), { state: 'detached' });
      await page.waitForSelector('.pane-notice:text-is("This chat was transferred.")');
      assert.equal((await (await fresh(admin))('GET', `/api/v1/sessions/${s2}`)).body.operatorId, admin.id);
    });

    step('signing in elsewhere ends this console with an explanation; signing in again takes over', async () => {
      const again = await srv.api('POST', '/api/v1/auth/login', { email: op.email, password: op.password });
      const elsewhere = await connectOperator(srv, again.body.token);
      await page.waitForSelector('.ended[data-reason=elsewhere] h1:text-is("You signed in somewhere else; this window was signed out")');
      assert.equal(await page.evaluate<string | null>("sessionStorage.getItem('parley.console.token')"), null);
      await shot(page, '06-elsewhere');
      await page.click('.ended button:has-text("Back to sign in")');
      await signIn(page, op);
      await page.waitForSelector('.live-dot.connected');
      assert.equal((await elsewhere.disconnected).code, 4504, 'the newer sign-in in the console replaced the other connection');
    });

    step('a sign-out elsewhere (operatorLoggedOut) ends this console; Sign out here revokes the tokens', async () => {
      assert.equal((await (await fresh(op))('POST', '/api/v1/auth/logout')).status, 200);
      await page.waitForSelector('.ended[data-reason=loggedOut] h1:text-is("You were signed out")');
      await page.click('.ended button:has-text("Back to sign in")');
      await signIn(page, op);
      await page.waitForSelector('.live-dot.connected');
      const token = (await storedToken())!;
      await page.click('.topbar button.signout');
      await page.waitForSelector('.login-form .notice:text-is("You signed out.")');
      assert.equal(await storedToken(), null);
      await eventually(async () => ((await as(srv, { token })('GET', '/api/v1/operators/me')).body?.error?.code === 'TOKEN_REVOKED' ? true : undefined), 3000, 'revoked token');
      assert.equal((await (await fresh(admin))('GET', `/api/v1/operators/${op.id}`)).body.status, 'OFFLINE');
      await signIn(page, op);
      await page.waitForSelector('.live-dot.connected');
    });

    step('blocking by an admin shows the blocked screen; signing in is then refused', async () => {
      assert.equal((await (await fresh(admin))('PATCH', `/api/v1/operators/${op.id}/block`)).status, 200);
      await page.waitForSelector('.ended[data-reason=blocked] h1:text-is("Your account was blocked by an administrator")');
      await shot(page, '07-blocked');
      await page.click('.ended button:has-text("Back to sign in")');
      await signIn(page, op);
      assert.match(await page.textContent('.login-form .error-box') ?? '', /OPERATOR_BLOCKED/);
    });

    step('admin pages: scenario validation errors beside the editor, and the embed snippet', async () => {
      const adminPage = await ctx.newPage();
      await adminPage.goto(`${srv.url}${ENTRY}`);
      await signIn(adminPage, admin);
      await adminPage.waitForSelector('.tabs [data-view=all]');
      await adminPage.click('.topbar button:has-text("Admin")');
      await adminPage.click('.admin-nav [data-section=bots]');
      await adminPage.fill('input[name=bot-name]', 'Broken bot');
      await adminPage.fill('textarea[name=scenario]', JSON.stringify(BROKEN_SCENARIO, null, 2));
      await adminPage.click('.bot-form button[type=submit]');
      await adminPage.waitForSelector('.scenario-editor .scenario-problems .problem');
      // The UI lists exactly what the server reports for the same scenario.
      const expected = await srv.admin('POST', '/api/v1/bots', { name: 'Broken bot', type: 'scenario', scenario: BROKEN_SCENARIO });
      assert.equal(expected.status, 400);
      assert.equal(expected.body.error.code, 'INVALID_SCENARIO');
      const paths = (expected.body.error.details as { path: string; message: string }[]).map((d) => d.path).sort();
      // Pointers into the request body (`/scenario/...`) or into the scenario itself, as docs/BOTS.md shows.
      assert.ok(paths.some((p) => p.endsWith('/nodes/a/next')) && paths.some((p) => p.endsWith('/nodes/b/nxet')), JSON.stringify(paths));
      const shown = (await adminPage.locator('.scenario-editor .problem-path').allTextContents()).sort();
      assert.deepEqual(shown, paths);
      assert.match(await adminPage.textContent('.scenario-problems') ?? '', /INVALID_SCENARIO/);
      assert.equal(await adminPage.locator('.bots-admin td:text-is("Broken bot")').count(), 0, 'nothing was saved');
      await shot(adminPage, '08-bot-errors');

      await adminPage.click('.admin-nav [data-section=chats]');
      const snippet = await adminPage.textContent(`.chats-admin tr[data-chat-id="${chatId}"] .embed-snippet`);
      assert.equal(snippet, `<script src="${srv.url}/widget.js" data-chat-id="${chatId}" async></script>`);
      await shot(adminPage, '09-chats');

      await adminPage.click('.admin-nav [data-section=operators]');
      await adminPage.waitForSelector(`.operators-admin tr.blocked[data-operator-id="${op.id}"]:has-text("Olga Operator")`);
      await shot(adminPage, '10-operators');
      await adminPage.click('.admin-nav [data-section=groups]');
      await adminPage.waitForSelector('.groups-admin tr:has-text("Support"):has-text("Olga Operator")');
      await shot(adminPage, '11-groups');
      await adminPage.close();
    });
  });
});
