/// <reference lib="dom" />
/// <reference types="vite/client" />
/**
 * The widget's UI: a launcher bubble and a chat window inside an open Shadow DOM, so
 * neither the host page's CSS nor ours leaks across. The view only renders and reports
 * user actions; the controller decides what they mean.
 */
import type { Answer } from '@parley/protocol';
import type { ChangeKind, Entry } from './conversation.js';
import { ICON, h, icon } from './dom.js';
import { avatar, renderMessage } from './message-view.js';
import css from './styles.css?inline';
import { T } from './texts.js';

/** What the user did, for the controller. */
export interface ViewHandlers {
  onToggle(open: boolean): void;
  onSend(text: string): void;
  onTyping(): void;
  onRetry(entry: Entry): void;
  /** A bot or operator message is on screen (the window may be closed: check `isOpen`). */
  onSeen(entry: Entry): void;
  onEarlier(): void;
}

/** Rendering of the launcher and the chat window. */
export class View {
  /** The host element; a custom tag name so no host selector but `*` can match it. */
  readonly host = document.createElement('parley-widget');
  isOpen = false;
  private readonly root = h('div', { class: 'root' });
  private readonly badge = h('span', { class: 'unread', hidden: '' });
  private readonly launcher = h('button', { type: 'button', class: 'launcher', 'aria-label': T.open, 'aria-expanded': 'false', 'aria-controls': 'pw-win' }, icon(ICON.chat), this.badge);
  private readonly headAvatar = h('span', { class: 'head-av' });
  private readonly headName = h('strong', {}, T.title);
  private readonly headSub = h('small', {}, T.subtitle);
  private readonly status = h('div', { class: 'status', role: 'status', hidden: '' });
  private readonly earlier = h('button', { type: 'button', class: 'earlier', hidden: '' }, T.earlier);
  private readonly log = h('div', { class: 'log', role: 'log', 'aria-live': 'polite', 'aria-label': T.messages, tabindex: '0' }, this.earlier);
  private readonly typing = h('div', { class: 'typing', 'aria-live': 'polite' });
  private readonly chips = h('div', { class: 'chips', role: 'group', 'aria-label': T.answers });
  private readonly input = h('textarea', { id: 'pw-input', rows: '1', placeholder: T.placeholder, maxlength: '10000', autocomplete: 'off' });
  private readonly win: HTMLElement;
  private readonly nodes = new Map<Entry, HTMLElement>();
  private readonly entryOf = new WeakMap<Element, Entry>();
  private readonly visible = new Set<Entry>();
  private readonly seen: IntersectionObserver;
  private typingTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(private readonly on: ViewHandlers, opts: { title: string | null; color: string | null }) {
    if (opts.title) this.headName.textContent = opts.title;
    if (opts.color && CSS.supports('color', opts.color)) this.root.style.setProperty('--accent', opts.color);
    const closeBtn = h('button', { type: 'button', class: 'close', 'aria-label': T.close }, icon(ICON.close));
    const send = h('button', { type: 'submit', class: 'send', 'aria-label': T.send }, icon(ICON.send));
    const form = h('form', { class: 'composer' }, h('label', { for: 'pw-input', class: 'sr' }, T.message), this.input, send);
    this.win = h('section', { id: 'pw-win', class: 'win', role: 'dialog', 'aria-label': T.window, hidden: '' },
      h('header', {}, this.headAvatar, h('div', { class: 'head-text' }, this.headName, this.headSub), closeBtn),
      this.status, this.log, this.typing, this.chips, form);
    this.root.append(this.launcher, this.win);
    const shadow = this.host.attachShadow({ mode: 'open' });
    // A constructed stylesheet is not an inline <style>, so a host page's strict CSP
    // (style-src without 'unsafe-inline') does not block it; older browsers get <style>.
    if ('adoptedStyleSheets' in shadow && 'replaceSync' in CSSStyleSheet.prototype) {
      const sheet = new CSSStyleSheet();
      sheet.replaceSync(css);
      shadow.adoptedStyleSheets = [sheet];
    } else shadow.append(h('style', {}, css));
    shadow.append(this.root);

    this.launcher.addEventListener('click', () => this.on.onToggle(!this.isOpen));
    closeBtn.addEventListener('click', () => this.on.onToggle(false));
    this.earlier.addEventListener('click', () => this.on.onEarlier());
    this.win.addEventListener('keydown', (e) => {
      if (e.key === 'Escape') this.on.onToggle(false);
    });
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      this.submit();
    });
    this.input.addEventListener('keydown', (e) => {
      // Enter sends, Shift+Enter breaks the line; never while an IME is composing.
      if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
        e.preventDefault();
        this.submit();
      }
    });
    this.input.addEventListener('input', () => {
      this.autosize();
      if (this.input.value.trim()) this.on.onTyping();
    });
    this.seen = new IntersectionObserver((items) => {
      for (const it of items) {
        const entry = this.entryOf.get(it.target);
        if (!entry) continue;
        if (it.isIntersecting) {
          this.visible.add(entry);
          this.on.onSeen(entry);
        } else this.visible.delete(entry);
      }
    }, { root: this.log, threshold: 0.5 });
  }

  /** Attaches the widget to the page. */
  mount(): void {
    document.body.append(this.host);
  }

  private submit(): void {
    const text = this.input.value.trim();
    if (!text) return;
    this.input.value = '';
    this.autosize();
    this.on.onSend(text);
  }

  private autosize(): void {
    this.input.style.height = 'auto';
    this.input.style.height = Math.min(this.input.scrollHeight, 120) + 'px';
  }

  /** Shows or hides the window; focus follows so keyboard users are not lost. */
  setOpen(open: boolean): void {
    this.isOpen = open;
    this.win.hidden = !open;
    this.root.classList.toggle('is-open', open);
    this.launcher.setAttribute('aria-expanded', String(open));
    this.launcher.setAttribute('aria-label', open ? T.close : T.open);
    if (open) {
      this.scrollDown();
      this.input.focus();
    } else if (this.host.shadowRoot?.activeElement) this.launcher.focus(); // never steal the host page's focus
  }

  /** Bot and operator messages currently on screen. */
  seenCandidates(): Entry[] {
    return [...this.visible];
  }

  /** Applies one change of the conversation to the DOM. */
  render(entry: Entry, kind: ChangeKind): void {
    const known = this.nodes.get(entry);
    if (kind === 'remove') {
      if (known) {
        this.seen.unobserve(known);
        known.remove();
      }
      this.nodes.delete(entry);
      this.visible.delete(entry);
      return;
    }
    if (known) {
      renderMessage(entry, this.on.onRetry, known);
      return;
    }
    const el = renderMessage(entry, this.on.onRetry);
    this.nodes.set(entry, el);
    if (kind === 'prepend') {
      const before = this.log.scrollHeight;
      this.earlier.after(el);
      this.log.scrollTop += this.log.scrollHeight - before;
    } else this.append(el, entry.authorType === 'CLIENT');
    if (entry.authorType !== 'CLIENT') {
      this.entryOf.set(el, entry);
      this.seen.observe(el);
    }
  }

  private append(el: HTMLElement, force: boolean): void {
    // Follow the conversation unless the visitor has scrolled up to read.
    const atBottom = this.atBottom();
    this.log.append(el);
    if (atBottom || force) this.scrollDown();
  }

  private atBottom(): boolean {
    return this.log.scrollHeight - this.log.scrollTop - this.log.clientHeight < 80;
  }

  private scrollDown(): void {
    this.log.scrollTop = this.log.scrollHeight;
  }

  /** A line about the conversation (operator joined, session ended, …). */
  notice(text: string): void {
    this.append(h('div', { class: 'notice' }, text), false);
  }

  /** The bot's buttons under its last message; pressing one sends its text. */
  setAnswers(answers: Answer[]): void {
    // The chips change the log's height: keep the last message in view.
    const atBottom = this.atBottom();
    this.chips.textContent = '';
    for (const a of answers) {
      const b = h('button', { type: 'button', class: 'chip' }, a.text);
      b.addEventListener('click', () => this.on.onSend(a.text));
      this.chips.append(b);
    }
    if (atBottom) this.scrollDown();
  }

  /** "… is typing" for a few seconds (or until `null`). */
  setTyping(text: string | null): void {
    clearTimeout(this.typingTimer);
    this.typing.textContent = text ?? '';
    if (text) this.typingTimer = setTimeout(() => this.setTyping(null), 5000);
  }

  /** Connection notice; null hides it. */
  setStatus(text: string | null): void {
    this.status.textContent = text ?? '';
    this.status.hidden = !text;
  }

  /** The operator in charge, in the header. */
  setOperator(name: string, avatarUrl: string | null): void {
    this.headName.textContent = name;
    this.headSub.textContent = T.operator;
    this.headAvatar.textContent = '';
    this.headAvatar.append(avatar(name, avatarUrl, false));
  }

  setUnread(n: number): void {
    this.badge.textContent = n > 9 ? '9+' : String(n);
    this.badge.hidden = n === 0;
  }

  setEarlier(show: boolean): void {
    this.earlier.hidden = !show;
  }
}
