/** Small building blocks shared by the console's screens. */
import type { ComponentChildren } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { ApiError } from './api.js';

/** Any thrown value as an ApiError, so every failure can be shown the same way. */
export function toApiError(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  return new ApiError(0, 'CLIENT_ERROR', err instanceof Error ? err.message : String(err));
}

/** An API error as the user sees it: the message, the stable code, and per-field details. */
export function ErrorBox({ error, onDismiss }: { error: ApiError | null; onDismiss?: () => void }) {
  if (!error) return null;
  return (
    <div class="error-box" role="alert">
      <div>
        <strong>{error.message}</strong> <span class="error-code">{error.code}</span>
        {onDismiss && (
          <button type="button" class="link dismiss" onClick={onDismiss} aria-label="Dismiss">
            ×
          </button>
        )}
      </div>
      {error.details.length > 0 && (
        <ul class="error-details">
          {error.details.map((d) => (
            <li key={`${d.path}:${d.message}`}>
              <code>{d.path || '/'}</code> {d.message}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

/** A labelled form control. */
export function Field({ label, children, hint }: { label: string; children: ComponentChildren; hint?: string }) {
  return (
    <label class="field">
      <span class="field-label">{label}</span>
      {children}
      {hint && <span class="field-hint">{hint}</span>}
    </label>
  );
}

/** The current time, re-rendering every `ms` (SL timers and typing indicators age on screen). */
export function useNow(ms = 1000): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const t = window.setInterval(() => setNow(Date.now()), ms);
    return () => window.clearInterval(t);
  }, [ms]);
  return now;
}

/** Runs an async action with busy and error state for a form or button. */
export function useAction(): {
  busy: boolean;
  error: ApiError | null;
  setError: (e: ApiError | null) => void;
  run: <T>(fn: () => Promise<T>) => Promise<T | undefined>;
} {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const run = async <T,>(fn: () => Promise<T>): Promise<T | undefined> => {
    setBusy(true);
    setError(null);
    try {
      return await fn();
    } catch (err) {
      setError(toApiError(err));
      return undefined;
    } finally {
      setBusy(false);
    }
  };
  return { busy, error, setError, run };
}

/** An integer from a number input, or undefined when left empty (the server default applies). */
export function intOrUndefined(v: string): number | undefined {
  const t = v.trim();
  if (t === '') return undefined;
  const n = Number(t);
  return Number.isInteger(n) ? n : Number.NaN;
}
