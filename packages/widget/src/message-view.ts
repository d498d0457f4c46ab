/// <reference lib="dom" />
/**
 * One message as DOM: the client's own on the right with its delivery tick, the bot's
 * and the operators' on the left with the author's name, the bot visibly marked as one.
 */
import type { Entry } from './conversation.js';
import { ICON, clock, h, icon, linkify, safeUrl } from './dom.js';
import { T } from './texts.js';

/** The author's picture: the operator's avatar, else an initial. */
export function avatar(name: string, url: string | null, bot: boolean): HTMLElement {
  const src = safeUrl(url);
  if (src) return h('img', { class: 'av', src, alt: '' });
  // Drawn, not emoji: many systems (and headless browsers) have no emoji font.
  return h('span', { class: bot ? 'av av-bot' : 'av', 'aria-hidden': 'true' }, bot ? icon(ICON.bot) : (name.trim()[0] ?? '?').toUpperCase());
}

function status(e: Entry, onRetry: (e: Entry) => void): HTMLElement | null {
  switch (e.state) {
    case 'pending':
      return h('span', { class: 'tick', title: T.sending, 'aria-label': T.sending }, '…');
    case 'sent':
      return h('span', { class: 'tick', title: T.sent, 'aria-label': T.sent }, '✓');
    case 'read':
      return h('span', { class: 'tick tick-read', title: T.read, 'aria-label': T.read }, '✓✓');
    case 'failed': {
      const b = h('button', { type: 'button', class: 'retry' }, T.failed);
      b.addEventListener('click', () => onRetry(e));
      return b;
    }
    default:
      return null;
  }
}

function attachments(e: Entry): HTMLElement | null {
  if (e.attachments.length === 0) return null;
  const list = h('div', { class: 'files' });
  for (const f of e.attachments) {
    const href = safeUrl(f.url);
    if (!href) continue;
    const image = f.contentType.startsWith('image/');
    list.append(h('a', { href, target: '_blank', rel: 'noopener noreferrer' },
      image ? h('img', { src: href, alt: f.name || T.attachment }) : f.name || T.attachment));
  }
  return list;
}

interface Parts {
  body: HTMLElement;
  meta: HTMLElement;
  text: string | null;
}
const parts = new WeakMap<HTMLElement, Parts>();

function meta(e: Entry, onRetry: (e: Entry) => void): Node[] {
  const out: Node[] = [];
  if (e.edited) out.push(h('span', { class: 'edited' }, T.edited));
  out.push(h('time', { datetime: e.createdAt }, clock(e.createdAt)));
  const tick = e.authorType === 'CLIENT' && status(e, onRetry);
  if (tick) out.push(tick);
  return out;
}

/**
 * Renders the entry into `el`: built once, then updated in place (text, tick, edit
 * mark), so a state change does not replace nodes that assistive tech already read.
 */
export function renderMessage(e: Entry, onRetry: (e: Entry) => void, el: HTMLElement = h('div')): HTMLElement {
  const kind = e.authorType === 'CLIENT' ? 'client' : e.authorType === 'BOT' ? 'bot' : 'operator';
  el.className = `msg msg-${kind}`;
  el.setAttribute('data-state', e.state);
  if (e.id) el.setAttribute('data-id', e.id);
  let p = parts.get(el);
  if (!p) {
    p = { body: h('div', { class: 'body' }), meta: h('div', { class: 'meta' }), text: null };
    parts.set(el, p);
    const bubble = h('div', { class: 'bubble' },
      kind !== 'client' && h('div', { class: 'author' }, e.authorName, kind === 'bot' && h('span', { class: 'badge-bot' }, T.bot)),
      p.body, attachments(e), p.meta);
    if (kind !== 'client') el.append(avatar(e.authorName, e.avatarUrl, kind === 'bot'));
    el.append(bubble);
  }
  if (p.text !== e.body) {
    p.text = e.body;
    p.body.textContent = '';
    p.body.append(linkify(e.body));
    p.body.hidden = !e.body;
  }
  p.meta.textContent = '';
  p.meta.append(...meta(e, onRetry));
  return el;
}
