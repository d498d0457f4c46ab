/// <reference lib="dom" />
/**
 * Entry point of `widget.js`. Embedding takes one tag:
 * `<script src="https://parley.example/widget.js" data-chat-id="CHAT_ID" async></script>`.
 * The chat id comes from that tag, and the server from the tag's own URL, so the same
 * file works on any host page, cross-origin.
 */
import { Controller } from './controller.js';
import type { WidgetConfig } from './types.js';
import { Emitter, runCommand, type ParleyApi } from './public-api.js';

declare const __PARLEY_VERSION__: string;

/** This script's tag: `currentScript` while it runs, else the last widget.js tag with a chat id. */
function ownScript(): HTMLScriptElement | null {
  const current = document.currentScript;
  if (current instanceof HTMLScriptElement && current.dataset.chatId) return current;
  const tags = Array.from(document.querySelectorAll<HTMLScriptElement>('script[data-chat-id]')).filter((s) => /widget\.js([?#]|$)/.test(s.src));
  return tags[tags.length - 1] ?? null;
}

function config(script: HTMLScriptElement): WidgetConfig {
  const d = script.dataset;
  return {
    chatId: d.chatId ?? '',
    // `data-api-url` is for set-ups that serve widget.js from somewhere else (a CDN).
    base: (d.apiUrl || new URL(script.src, location.href).origin).replace(/\/+$/, ''),
    title: d.title ?? null,
    color: d.color ?? null,
  };
}

function boot(cfg: WidgetConfig): void {
  const emitter = new Emitter();
  const ctrl = new Controller(cfg, (event, payload) => emitter.emit(event, payload));
  const api: ParleyApi = {
    version: __PARLEY_VERSION__,
    open: () => ctrl.setOpen(true),
    close: () => ctrl.setOpen(false),
    toggle: () => ctrl.setOpen(!ctrl.view.isOpen),
    setUser: (user) => ctrl.setUser(user ?? {}),
    on: (event, fn) => emitter.on(event, fn),
    off: (event, fn) => emitter.off(event, fn),
    // Returns a number like Array#push, for snippets written against the queue array.
    push(...commands) {
      for (const c of commands) runCommand(api, c);
      return 0;
    },
  };
  const queued = window.Parley;
  window.Parley = api;
  ctrl.view.mount();
  // Listeners and the profile first, so a queued `open` already starts the session with them.
  const commands = Array.isArray(queued) ? queued : [];
  const early = (c: unknown) => Array.isArray(c) && (c[0] === 'on' || c[0] === 'setUser');
  for (const c of commands.filter(early)) runCommand(api, c);
  void ctrl.restore().then(() => {
    for (const c of commands.filter((c) => !early(c))) runCommand(api, c);
    emitter.emit('ready');
  });
}

const script = ownScript();
const existing = window.Parley;
if (existing && !Array.isArray(existing)) {
  // The tag is on the page twice: one widget is enough.
} else if (!script?.dataset.chatId) {
  console.error('[parley] widget.js needs data-chat-id on its <script> tag');
} else {
  const cfg = config(script);
  if (document.body) boot(cfg);
  else document.addEventListener('DOMContentLoaded', () => boot(cfg));
}
