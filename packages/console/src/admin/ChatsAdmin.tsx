/** Admin: chats — list, create, edit, and the widget embed snippet of each. */
import { useState } from 'preact/hooks';
import type { BotDto, ChatDto, SaveChatBody } from '@parley/protocol';
import type { Api } from '../api.js';
import { ErrorBox, Field, intOrUndefined, useAction } from '../ui.js';
import { useList } from './useList.js';

/** The one-line embed code of a chat's widget. */
export const embedSnippet = (origin: string, chatId: string) => `<script src="${origin}/widget.js" data-chat-id="${chatId}" async></script>`;

interface Draft {
  name: string;
  botId: string;
  sessionTtl: string;
  operatorsBusyMessage: string;
  allowableOperatorIdleTime: string;
  timerFirstAnswer: string;
  timerNextAnswers: string;
  answerOnFirstClientMessage: boolean;
}

const emptyDraft: Draft = {
  name: '', botId: '', sessionTtl: '', operatorsBusyMessage: '', allowableOperatorIdleTime: '', timerFirstAnswer: '', timerNextAnswers: '', answerOnFirstClientMessage: false,
};

const toDraft = (c: ChatDto): Draft => ({
  name: c.name, botId: c.botId ?? '', sessionTtl: String(c.sessionTtl), operatorsBusyMessage: c.operatorsBusyMessage,
  allowableOperatorIdleTime: String(c.allowableOperatorIdleTime), timerFirstAnswer: String(c.timerFirstAnswer),
  timerNextAnswers: String(c.timerNextAnswers), answerOnFirstClientMessage: c.answerOnFirstClientMessage,
});

function toBody(d: Draft, editing: boolean): SaveChatBody {
  const body: SaveChatBody = { name: d.name.trim(), botId: d.botId || null, answerOnFirstClientMessage: d.answerOnFirstClientMessage };
  // Empty numeric fields are left out, so the server keeps (or defaults) them.
  const nums = ['sessionTtl', 'allowableOperatorIdleTime', 'timerFirstAnswer', 'timerNextAnswers'] as const;
  for (const k of nums) {
    const v = intOrUndefined(d[k]);
    if (v !== undefined) body[k] = v;
  }
  if (d.operatorsBusyMessage !== '' || editing) body.operatorsBusyMessage = d.operatorsBusyMessage;
  return body;
}

function Snippet({ chatId }: { chatId: string }) {
  const code = embedSnippet(window.location.origin, chatId);
  const [copied, setCopied] = useState(false);
  return (
    <div class="snippet">
      <code class="embed-snippet">{code}</code>
      <button
        type="button"
        onClick={() => {
          // The clipboard may be refused (insecure origin, permissions): the code stays selectable.
          navigator.clipboard?.writeText(code).then(() => setCopied(true), () => setCopied(false));
        }}
      >
        {copied ? 'Copied' : 'Copy'}
      </button>
    </div>
  );
}

/** The chats admin page. */
export function ChatsAdmin({ api }: { api: Api }) {
  const chats = useList<ChatDto>(api, '/api/v1/chats');
  const bots = useList<BotDto>(api, '/api/v1/bots');
  const [editing, setEditing] = useState<string | null>(null);
  const [draft, setDraft] = useState<Draft>(emptyDraft);
  const save = useAction();
  const set = <K extends keyof Draft>(k: K, v: Draft[K]) => setDraft((d) => ({ ...d, [k]: v }));
  const text = (k: Exclude<keyof Draft, 'answerOnFirstClientMessage'>, type = 'text') => (
    <input name={`chat-${k}`} type={type} value={draft[k]} onInput={(e) => set(k, e.currentTarget.value)} />
  );

  return (
    <section class="admin-section chats-admin">
      <h2>Chats</h2>
      <ErrorBox error={chats.error} />
      <table class="admin-table">
        <thead>
          <tr><th>Name</th><th>Bot</th><th>SL timers (s)</th><th>Embed code</th><th /></tr>
        </thead>
        <tbody>
          {(chats.items ?? []).map((c) => (
            <tr key={c.id} data-chat-id={c.id}>
              <td>{c.name}</td>
              <td>{c.botName ?? '—'}</td>
              <td>{c.timerFirstAnswer} / {c.timerNextAnswers}</td>
              <td><Snippet chatId={c.id} /></td>
              <td>
                <button type="button" onClick={() => { setEditing(c.id); setDraft(toDraft(c)); save.setError(null); }}>Edit</button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <form
        class="admin-form"
        onSubmit={(e) => {
          e.preventDefault();
          void save.run(async () => {
            const body = toBody(draft, editing !== null);
            await chats.save(editing, body);
            setEditing(null);
            setDraft(emptyDraft);
          });
        }}
      >
        <h3>{editing ? 'Edit chat' : 'New chat'}</h3>
        <Field label="Name">{text('name')}</Field>
        <Field label="Bot">
          <select name="chat-botId" value={draft.botId} onChange={(e) => set('botId', e.currentTarget.value)}>
            <option value="">No bot (straight to operators)</option>
            {(bots.items ?? []).map((b) => <option key={b.id} value={b.id}>{b.name} ({b.type})</option>)}
          </select>
        </Field>
        <Field label="Session TTL (s)" hint="Idle sessions close after this long (default 3600)">{text('sessionTtl', 'number')}</Field>
        <Field label="Busy message" hint="Said to the client when nobody is free (empty: nothing)">{text('operatorsBusyMessage')}</Field>
        <Field label="Allowable operator idle time (s)" hint="0 disables re-routing of unanswered chats">{text('allowableOperatorIdleTime', 'number')}</Field>
        <Field label="First answer timer (s)">{text('timerFirstAnswer', 'number')}</Field>
        <Field label="Next answers timer (s)">{text('timerNextAnswers', 'number')}</Field>
        <label class="check">
          <input type="checkbox" checked={draft.answerOnFirstClientMessage} onChange={(e) => set('answerOnFirstClientMessage', e.currentTarget.checked)} />
          The bot waits for the client's first message instead of greeting
        </label>
        <ErrorBox error={save.error} />
        <div class="row-buttons">
          <button type="submit" class="primary" disabled={save.busy}>{editing ? 'Save chat' : 'Create chat'}</button>
          {editing && <button type="button" onClick={() => { setEditing(null); setDraft(emptyDraft); }}>Cancel</button>}
        </div>
      </form>
    </section>
  );
}
