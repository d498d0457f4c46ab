/** The open chat: header with actions (take, transfer, spam, close), history, typing indicator, composer. */
import { useLayoutEffect, useRef, useState } from 'preact/hooks';
import type { OperatorDto, SessionDto } from '@parley/protocol';
import type { Api } from '../api.js';
import type { ChatActions } from '../actions.js';
import type { ConsoleEngine } from '../useConsole.js';
import { isClientOnline, sessionTitle } from '../format.js';
import { ErrorBox, useAction } from '../ui.js';
import { MessageItem } from './MessageItem.js';
import { Composer } from './Composer.js';
import { TransferDialog } from './TransferDialog.js';

/** A typing notice is shown this long after the last one (the client repeats it while typing). */
const TYPING_SHOWN_MS = 5000;

/** Props of the chat pane. */
export interface ChatPaneProps {
  engine: ConsoleEngine;
  actions: ChatActions;
  api: Api;
  me: OperatorDto;
  now: number;
}

const isParticipant = (s: SessionDto, me: OperatorDto) => s.operatorId === me.id || s.operators.some((o) => o.id === me.id);

const STATUS_TEXT: Record<string, string> = { BOT: 'with the bot', WAITING: 'waiting', HELP: 'in the help queue', OPERATOR: 'with an operator' };

/** The right-hand side of the console. */
export function ChatPane({ engine, actions, api, me, now }: ChatPaneProps) {
  const open = engine.state.open;
  const [panel, setPanel] = useState<'none' | 'transfer' | 'close'>('none');
  const [result, setResult] = useState('');
  const act = useAction();
  const scroller = useRef<HTMLDivElement>(null);
  const stick = useRef(true);
  const lastId = open?.messages.at(-1)?.id;
  const sessionId = open?.session.id;

  // Follow new messages when the operator is at the bottom; keep the position when reading back.
  useLayoutEffect(() => {
    const el = scroller.current;
    if (el && stick.current) el.scrollTop = el.scrollHeight;
  }, [lastId, sessionId]);
  useLayoutEffect(() => {
    stick.current = true;
    setPanel('none');
    act.setError(null);
  }, [sessionId]);

  if (!open) {
    return (
      <section class="chat-pane empty-pane">
        <p class="muted">Choose a chat on the left.</p>
      </section>
    );
  }

  const s = open.session;
  const mine = isParticipant(s, me);
  const admin = me.role === 'ADMIN';
  const live = !open.inactive && s.status === 'OPEN';
  const canWrite = live && (mine || admin);
  const canTake = live && !mine && s.botStatus !== 'OPERATOR';
  const typing = engine.state.typing[s.id];
  const typingShown = typing && now - typing.at < TYPING_SHOWN_MS && !(typing.authorType === 'OPERATOR' && typing.authorId === me.id);
  const online = isClientOnline(s);

  return (
    <section class="chat-pane" data-session-id={s.id}>
      <header class="chat-header">
        <div class="chat-title">
          <span class={`presence ${online ? 'online' : 'offline'}`} />
          <h2>{sessionTitle(s)}</h2>
          <span class="chip">{s.status === 'CLOSED' ? 'closed' : (STATUS_TEXT[s.botStatus ?? ''] ?? s.botStatus)}</span>
          {s.operatorName && s.botStatus === 'OPERATOR' && <span class="muted">· {s.operatorName}</span>}
          {s.markedAsSpam && <span class="chip spam">spam</span>}
        </div>
        <div class="chat-actions">
          {canTake && (
            <button type="button" class="primary take" disabled={act.busy} onClick={() => void act.run(() => actions.take(s.id))}>
              Take
            </button>
          )}
          {live && (mine || admin) && (
            <>
              <button type="button" class="transfer-btn" onClick={() => setPanel(panel === 'transfer' ? 'none' : 'transfer')}>
                Transfer…
              </button>
              <button type="button" class="spam-btn" disabled={act.busy} onClick={() => void act.run(() => actions.setSpam(s.id, !s.markedAsSpam))}>
                {s.markedAsSpam ? 'Not spam' : 'Spam'}
              </button>
              <button type="button" class="close-btn danger" onClick={() => setPanel(panel === 'close' ? 'none' : 'close')}>
                Close…
              </button>
            </>
          )}
        </div>
      </header>
      <ErrorBox error={act.error} onDismiss={() => act.setError(null)} />
      {panel === 'transfer' && <TransferDialog api={api} me={me} sessionId={s.id} actions={actions} onDone={() => setPanel('none')} />}
      {panel === 'close' && (
        <form
          class="close-form panel"
          onSubmit={(e) => {
            e.preventDefault();
            void act.run(async () => {
              await actions.close(s.id, result);
              setResult('');
              setPanel('none');
            });
          }}
        >
          <label class="field">
            <span class="field-label">Result (optional)</span>
            <input name="result" maxLength={255} placeholder="e.g. resolved" value={result} onInput={(e) => setResult(e.currentTarget.value)} />
          </label>
          <button type="submit" class="danger" disabled={act.busy}>
            Close chat
          </button>
          <button type="button" class="link" onClick={() => setPanel('none')}>
            Cancel
          </button>
        </form>
      )}
      {open.inactive && <div class="pane-notice">{open.inactive}</div>}
      <div
        class="messages"
        ref={scroller}
        onScroll={(e) => {
          const el = e.currentTarget;
          stick.current = el.scrollHeight - el.scrollTop - el.clientHeight < 40;
        }}
      >
        {open.messages.length < open.total && (
          <button type="button" class="link load-older" onClick={() => void engine.loadOlder()}>
            Load earlier messages ({open.total - open.messages.length})
          </button>
        )}
        {open.messages.map((m) => (
          <MessageItem key={m.id} m={m} now={now} own={m.authorType === 'OPERATOR' && m.authorId === me.id} canEdit={live} onEdit={actions.edit} />
        ))}
      </div>
      <div class="typing-indicator" aria-live="polite">
        {typingShown && (typing.authorType === 'CLIENT' ? `${sessionTitle(s)} is typing…` : 'A colleague is typing…')}
      </div>
      {canWrite && <Composer sessionId={s.id} onSend={(body) => actions.send(s.id, body)} onTyping={() => engine.typing(s.id)} />}
    </section>
  );
}
