/** The signed-in console: header, connection banner, and either the chats or the admin pages. */
import { useMemo, useState } from 'preact/hooks';
import type { OperatorDto } from '@parley/protocol';
import type { Api } from '../api.js';
import type { EndReason } from '../state.js';
import { useConsole, type ConnInfo } from '../useConsole.js';
import { chatActions } from '../actions.js';
import { useTitle } from '../attention.js';
import { ErrorBox, useNow } from '../ui.js';
import { Header } from './Header.js';
import { SessionList } from './SessionList.js';
import { ChatPane } from './ChatPane.js';
import { AdminPages } from '../admin/AdminPages.js';

/** Props of the signed-in console. */
export interface ConsoleProps {
  api: Api;
  me: OperatorDto;
  onMe: (me: OperatorDto) => void;
  onEnded: (reason: EndReason) => void;
  onSignOut: () => void;
}

function ConnectionBanner({ conn, onReconnect }: { conn: ConnInfo; onReconnect: () => void }) {
  if (conn.state === 'connected') return null;
  const text =
    conn.state === 'connecting'
      ? conn.wasConnected
        ? 'Connection lost. Reconnecting… New chats and messages will appear when the connection is back.'
        : 'Connecting to the live channel…'
      : `Disconnected from the live channel${conn.reason ? ` (${conn.reason})` : ''}. You will not receive new chats or messages.`;
  return (
    <div class={`conn-banner ${conn.state}`} role="status" data-state={conn.state}>
      <span>{text}</span>
      {conn.state === 'disconnected' && (
        <button type="button" onClick={onReconnect}>
          Reconnect
        </button>
      )}
    </div>
  );
}

/** The signed-in console. */
export function Console({ api, me, onMe, onEnded, onSignOut }: ConsoleProps) {
  const engine = useConsole(api, me, onEnded);
  const actions = useMemo(() => chatActions(api, engine.dispatch, me, engine.expectArrival), [api, me]);
  const [page, setPage] = useState<'chats' | 'admin'>('chats');
  const now = useNow(1000);
  const unread = engine.state.lists.mine.reduce((n, s) => n + s.unreadClientMessageCount, 0);
  useTitle(unread, engine.flashUntil, now);

  return (
    <div class="console">
      <Header api={api} me={me} onMe={onMe} page={page} onPage={setPage} onSignOut={onSignOut} live={engine.conn.state} />
      <ConnectionBanner conn={engine.conn} onReconnect={engine.reconnect} />
      <ErrorBox error={engine.error} onDismiss={() => engine.setError(null)} />
      {page === 'admin' && me.role === 'ADMIN' ? (
        <AdminPages api={api} me={me} />
      ) : (
        <div class="workspace">
          <SessionList engine={engine} me={me} now={now} />
          <ChatPane engine={engine} actions={actions} api={api} me={me} now={now} />
        </div>
      )}
    </div>
  );
}
