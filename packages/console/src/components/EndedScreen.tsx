/** Why this console session ended, with the way back to sign-in. */
import type { EndReason } from '../state.js';

const TEXT: Record<EndReason, { title: string; body: string }> = {
  blocked: {
    title: 'Your account was blocked by an administrator',
    body: 'You can no longer receive or answer chats. Your open chats were handed to other operators. Contact your administrator if you think this is a mistake.',
  },
  elsewhere: {
    title: 'You signed in somewhere else; this window was signed out',
    body: 'Only one console per operator receives chats. Sign in here again to continue in this window (the other one will be signed out).',
  },
  loggedOut: {
    title: 'You were signed out',
    body: 'Your account signed out in another window. Your open chats were handed to other operators.',
  },
  revoked: {
    title: 'Your sign-in is no longer valid',
    body: 'Your credentials were revoked, for example after a password change. Please sign in again.',
  },
  expired: {
    title: 'Your session has expired',
    body: 'Please sign in again to continue.',
  },
};

/** The explanation screen shown when the console session ended. */
export function EndedScreen({ reason, onBack }: { reason: EndReason; onBack: () => void }) {
  const t = TEXT[reason];
  return (
    <main class="center-screen">
      <section class="card ended" data-reason={reason} role="alert">
        <h1>{t.title}</h1>
        <p>{t.body}</p>
        <button type="button" class="primary" onClick={onBack}>
          Back to sign in
        </button>
      </section>
    </main>
  );
}
