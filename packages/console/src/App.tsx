/**
 * The console shell: sign-in, the signed-in console (operator view and admin pages), and
 * the screens that explain why a console session ended.
 */
import { useEffect, useMemo, useState } from 'preact/hooks';
import type { OperatorDto } from '@parley/protocol';
import { Api } from './api.js';
import type { EndReason } from './state.js';
import { Login } from './components/Login.js';
import { EndedScreen } from './components/EndedScreen.js';
import { Console } from './components/Console.js';

type Phase =
  | { kind: 'loading' }
  | { kind: 'login'; notice: string | null }
  | { kind: 'console'; me: OperatorDto }
  | { kind: 'ended'; reason: EndReason };

/** The whole console application. */
export function App() {
  const api = useMemo(() => new Api(window.sessionStorage), []);
  const [phase, setPhase] = useState<Phase>(() => (api.hasSession() ? { kind: 'loading' } : { kind: 'login', notice: null }));

  const end = (reason: EndReason) => {
    // Whatever ended the session, this tab keeps no credentials: the way back is a new sign-in.
    api.clear();
    setPhase((p) => (p.kind === 'ended' ? p : { kind: 'ended', reason }));
  };
  api.onAuthLost = (why) => end(why);

  const enter = async () => setPhase({ kind: 'console', me: await api.request<OperatorDto>('GET', '/api/v1/operators/me') });

  useEffect(() => {
    if (phase.kind !== 'loading') return;
    // A reload of the tab keeps the sign-in (sessionStorage), as long as the tokens still work.
    api.resume();
    enter().catch(() => {
      api.clear();
      setPhase((p) => (p.kind === 'ended' ? p : { kind: 'login', notice: null }));
    });
  }, []);

  switch (phase.kind) {
    case 'loading':
      return <div class="splash">Loading…</div>;
    case 'login':
      return (
        <Login
          notice={phase.notice}
          onLogin={async (email, password) => {
            await api.login(email, password);
            await enter();
          }}
        />
      );
    case 'ended':
      return <EndedScreen reason={phase.reason} onBack={() => setPhase({ kind: 'login', notice: null })} />;
    case 'console':
      return (
        <Console
          api={api}
          me={phase.me}
          onMe={(me) => setPhase({ kind: 'console', me })}
          onEnded={end}
          onSignOut={() => {
            // Leave first (this closes the live connection), then revoke the tokens server-side.
            setPhase({ kind: 'login', notice: 'You signed out.' });
            void api.logout().catch(() => {});
          }}
        />
      );
  }
}
