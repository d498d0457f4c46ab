/// <reference lib="dom" />
/**
 * `window.Parley`, the host page's handle on the widget. Commands given before the
 * script has loaded are queued in an array (`window.Parley = window.Parley || [];
 * Parley.push(['open'])`) and run, in order, once the widget is ready.
 */
import type { ParleyUser } from './types.js';

/** Events a host page can listen to. */
export type ParleyEventName = 'ready' | 'open' | 'close' | 'message' | 'session';
/** An event listener; `message` gets the message, `session` `{sessionId, clientId}`. */
export type ParleyListener = (payload?: unknown) => void;
/** A queued command: the method name and its arguments, e.g. `['setUser', {name: 'Ann'}]`. */
export type ParleyCommand = [string, ...unknown[]];

/** The object behind `window.Parley` once the widget has loaded. */
export interface ParleyApi {
  open(): void;
  close(): void;
  toggle(): void;
  /** Sent with the next session start; an existing session's client is updated now. */
  setUser(user: ParleyUser): Promise<void>;
  on(event: ParleyEventName, listener: ParleyListener): void;
  off(event: ParleyEventName, listener: ParleyListener): void;
  /** Runs a command at once: snippets that keep pushing after load still work. */
  push(...commands: ParleyCommand[]): number;
  readonly version: string;
}

declare global {
  interface Window {
    Parley?: ParleyApi | ParleyCommand[];
  }
}

/** Listener registry with a sticky `ready`: subscribing after it fired still hears it. */
export class Emitter {
  private readonly listeners = new Map<string, Set<ParleyListener>>();
  private isReady = false;

  on(event: ParleyEventName, fn: ParleyListener): void {
    if (typeof fn !== 'function') return;
    if (!this.listeners.has(event)) this.listeners.set(event, new Set());
    this.listeners.get(event)!.add(fn);
    if (event === 'ready' && this.isReady) queueMicrotask(() => this.call(fn, undefined));
  }

  off(event: ParleyEventName, fn: ParleyListener): void {
    this.listeners.get(event)?.delete(fn);
  }

  emit(event: ParleyEventName, payload?: unknown): void {
    if (event === 'ready') this.isReady = true;
    for (const fn of [...(this.listeners.get(event) ?? [])]) this.call(fn, payload);
  }

  private call(fn: ParleyListener, payload: unknown): void {
    // A broken host listener must not break the widget.
    try {
      fn(payload);
    } catch (err) {
      console.error('[parley] listener failed', err);
    }
  }
}

/** Runs one queued or pushed command against the API; unknown commands are reported, not thrown. */
export function runCommand(api: ParleyApi, cmd: unknown): void {
  if (!Array.isArray(cmd) || typeof cmd[0] !== 'string') {
    console.warn('[parley] ignored command', cmd);
    return;
  }
  const [name, ...args] = cmd as ParleyCommand;
  const fn = (api as unknown as Record<string, unknown>)[name];
  if (name === 'push' || typeof fn !== 'function') {
    console.warn('[parley] unknown command', name);
    return;
  }
  const result: unknown = (fn as (...a: unknown[]) => unknown).apply(api, args);
  if (result instanceof Promise) result.catch((err: unknown) => console.error('[parley]', name, 'failed', err));
}
