/** The sign-in form (email and password → `POST /api/v1/auth/login`). */
import { useState } from 'preact/hooks';
import { ErrorBox, Field, useAction } from '../ui.js';

/** Sign-in screen; `onLogin` throws the API error to show. */
export function Login({ notice, onLogin }: { notice: string | null; onLogin: (email: string, password: string) => Promise<void> }) {
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const { busy, error, run } = useAction();
  return (
    <main class="center-screen">
      <form
        class="card login-form"
        onSubmit={(e) => {
          e.preventDefault();
          void run(() => onLogin(email.trim(), password));
        }}
      >
        <h1>Parley</h1>
        <p class="muted">Operator console</p>
        {notice && <p class="notice">{notice}</p>}
        <Field label="Email">
          <input name="email" type="email" autoComplete="username" required value={email} onInput={(e) => setEmail(e.currentTarget.value)} />
        </Field>
        <Field label="Password">
          <input name="password" type="password" autoComplete="current-password" required value={password} onInput={(e) => setPassword(e.currentTarget.value)} />
        </Field>
        <ErrorBox error={error} />
        <button type="submit" class="primary" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
    </main>
  );
}
