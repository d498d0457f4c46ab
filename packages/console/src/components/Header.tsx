/** Top bar: who is signed in, the incoming-chats switch (ACTIVE/PAUSED), pages, sign-out. */
import type { OperatorDto } from '@parley/protocol';
import type { Api } from '../api.js';
import type { LiveState } from '../live.js';
import { ErrorBox, useAction } from '../ui.js';

/** Props of the header. */
export interface HeaderProps {
  api: Api;
  me: OperatorDto;
  onMe: (me: OperatorDto) => void;
  page: 'chats' | 'admin';
  onPage: (p: 'chats' | 'admin') => void;
  onSignOut: () => void;
  live: LiveState;
}

/** The console's header bar. */
export function Header({ api, me, onMe, page, onPage, onSignOut, live }: HeaderProps) {
  const status = useAction();
  const active = me.status === 'ACTIVE';
  const toggle = () =>
    status.run(async () => {
      await api.request('PATCH', '/api/v1/operators/me/status', { status: active ? 'PAUSED' : 'ACTIVE' });
      // Show what the server now holds, not what we asked for.
      onMe(await api.request<OperatorDto>('GET', '/api/v1/operators/me'));
    });
  return (
    <header class="topbar">
      <span class="brand">Parley</span>
      <nav class="pages">
        <button type="button" class={page === 'chats' ? 'tab active' : 'tab'} onClick={() => onPage('chats')}>
          Chats
        </button>
        {me.role === 'ADMIN' && (
          <button type="button" class={page === 'admin' ? 'tab active' : 'tab'} onClick={() => onPage('admin')}>
            Admin
          </button>
        )}
      </nav>
      <span class="spacer" />
      <label class="switch" title={active ? 'You receive new chats' : 'Paused: you keep your chats but get no new ones'}>
        <input type="checkbox" name="incoming" checked={active} disabled={status.busy} onChange={() => void toggle()} />
        <span class="slider" aria-hidden="true" />
        <span class="switch-label">
          Incoming chats: <strong class="status-value" data-status={me.status}>{active ? 'on' : me.status === 'PAUSED' ? 'paused' : 'off'}</strong>
        </span>
      </label>
      <span class={`live-dot ${live}`} title={`Live channel: ${live}`} />
      <span class="whoami">
        {me.name} <span class="muted">({me.role === 'ADMIN' ? 'admin' : 'operator'})</span>
      </span>
      <button type="button" class="signout" onClick={onSignOut}>
        Sign out
      </button>
      {status.error && (
        <div class="topbar-error">
          <ErrorBox error={status.error} onDismiss={() => status.setError(null)} />
        </div>
      )}
    </header>
  );
}
