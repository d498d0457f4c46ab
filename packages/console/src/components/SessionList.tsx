/** The session tabs (Mine, Help queue, All) and their rows, with presence, unread and SL timers. */
import { useState } from 'preact/hooks';
import type { OperatorDto, SessionDto } from '@parley/protocol';
import type { View } from '../state.js';
import type { ConsoleEngine } from '../useConsole.js';
import { isClientOnline, preview, sessionTitle, timeOf } from '../format.js';
import { formatCountdown, slTimer } from '../timers.js';

const LABEL: Record<View, string> = { mine: 'Mine', help: 'Help queue', all: 'All' };

function Row({ s, me, active, now, onOpen }: { s: SessionDto; me: OperatorDto; active: boolean; now: number; onOpen: () => void }) {
  const online = isClientOnline(s);
  const timer = slTimer(s, now);
  const last = s.lastMessage;
  const who = last ? (last.authorType === 'CLIENT' ? '' : last.authorType === 'BOT' ? 'Bot: ' : `${last.authorName}: `) : '';
  return (
    <li
      class={`session-row${active ? ' active' : ''}${s.markedAsSpam ? ' spam' : ''}`}
      data-session-id={s.id}
      tabIndex={0}
      onClick={onOpen}
      onKeyDown={(e) => {
        if (e.key === 'Enter') onOpen();
      }}
    >
      <span class={`presence ${online ? 'online' : 'offline'}`} title={online ? 'Client online' : 'Client offline'} />
      <div class="row-main">
        <div class="row-top">
          <span class="client-name">{sessionTitle(s)}</span>
          <span class="row-time">{timeOf(s.lastMessageCreatedAt ?? s.startedAt, now)}</span>
        </div>
        <div class="row-bottom">
          <span class="preview">
            {who}
            {last ? preview(last.body) || '(attachment)' : 'No messages yet'}
          </span>
          {s.unreadClientMessageCount > 0 && (
            <span class="unread-badge" title="Unread client messages">
              {s.unreadClientMessageCount}
            </span>
          )}
        </div>
        {(s.botStatus === 'HELP' || s.botStatus === 'WAITING') && <div class="row-sub">Waiting for an operator</div>}
        {s.botStatus === 'OPERATOR' && s.operatorName && s.operatorId !== me.id && <div class="row-sub">{s.operatorName}</div>}
      </div>
      {timer && (
        <span
          class={`sl-timer${timer.breached ? ' breached' : ''}`}
          data-kind={timer.kind}
          title={timer.kind === 'first' ? 'Time left for the first answer' : 'Time left to answer the client'}
        >
          {formatCountdown(timer.remaining)}
        </span>
      )}
    </li>
  );
}

/** The left column of the console. */
export function SessionList({ engine, me, now }: { engine: ConsoleEngine; me: OperatorDto; now: number }) {
  const [view, setView] = useState<View>('mine');
  const { lists, open } = engine.state;
  const items = lists[view];
  return (
    <aside class="sessions">
      <div class="tabs" role="tablist">
        {engine.views.map((v) => (
          <button type="button" role="tab" key={v} data-view={v} aria-selected={v === view} class={v === view ? 'tab active' : 'tab'} onClick={() => setView(v)}>
            {LABEL[v]} <span class="count">{lists[v].length}</span>
          </button>
        ))}
      </div>
      {items.length === 0 ? (
        <p class="empty">
          {view === 'mine'
            ? me.status === 'ACTIVE'
              ? 'No chats yet. New chats are assigned to you automatically.'
              : 'No chats. Turn incoming chats on to receive new ones, or take one from the help queue.'
            : view === 'help'
              ? 'Nobody is waiting.'
              : 'No open chats.'}
        </p>
      ) : (
        <ul class="session-list" data-view={view}>
          {items.map((s) => (
            <Row key={s.id} s={s} me={me} now={now} active={open?.session.id === s.id} onOpen={() => void engine.open(s)} />
          ))}
        </ul>
      )}
    </aside>
  );
}
