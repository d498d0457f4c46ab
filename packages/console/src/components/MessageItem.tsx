/** One message of the chat pane: author, bot label, body, buttons, read ticks, and editing of one's own. */
import { useState } from 'preact/hooks';
import type { HistoryMessageDto } from '@parley/protocol';
import { timeOf } from '../format.js';
import { ErrorBox, useAction } from '../ui.js';

/** Props of a message row. */
export interface MessageItemProps {
  m: HistoryMessageDto;
  /** Written by the signed-in operator: editable. */
  own: boolean;
  canEdit: boolean;
  now: number;
  onEdit: (id: string, body: string) => Promise<void>;
}

/** A message bubble. */
export function MessageItem({ m, own, canEdit, now, onEdit }: MessageItemProps) {
  const [editing, setEditing] = useState(false);
  const [draft, setDraft] = useState(m.body);
  const save = useAction();
  const kind = m.authorType.toLowerCase();
  const outgoing = m.authorType !== 'CLIENT';
  return (
    <div class={`msg msg-${kind}${own ? ' own' : ''}${outgoing ? ' outgoing' : ''}`} data-message-id={m.id} data-author-type={m.authorType}>
      <div class="msg-meta">
        <span class="msg-author">{m.authorName}</span>
        {m.authorType === 'BOT' && <span class="bot-label">Bot</span>}
        <time dateTime={m.createdAt}>{timeOf(m.createdAt, now)}</time>
        {m.updatedAt && <span class="edited" title={`Edited ${timeOf(m.updatedAt, now)}`}>edited</span>}
      </div>
      {editing ? (
        <form
          class="edit-form"
          onSubmit={(e) => {
            e.preventDefault();
            const body = draft.trim();
            if (!body || body === m.body) return setEditing(false);
            void save.run(async () => {
              await onEdit(m.id, body);
              setEditing(false);
            });
          }}
        >
          <textarea name="edit-body" value={draft} rows={3} maxLength={10000} onInput={(e) => setDraft(e.currentTarget.value)} />
          <div class="row-buttons">
            <button type="submit" class="primary" disabled={save.busy}>
              Save
            </button>
            <button type="button" onClick={() => setEditing(false)}>
              Cancel
            </button>
          </div>
          <ErrorBox error={save.error} />
        </form>
      ) : (
        <div class="msg-body">{m.body}</div>
      )}
      {m.attachments.length > 0 && (
        <ul class="attachments">
          {m.attachments.map((f) => (
            <li key={f.id}>
              <a href={f.url} target="_blank" rel="noopener noreferrer">
                {f.name}
              </a>
            </li>
          ))}
        </ul>
      )}
      {m.answers.length > 0 && (
        <div class="answers" title="Buttons offered to the client">
          {m.answers.map((a) => (
            <span class="answer-chip" key={a.id}>
              {a.text}
            </span>
          ))}
        </div>
      )}
      <div class="msg-foot">
        {outgoing && (
          <span class={`ticks ${m.readAt ? 'read' : 'sent'}`} title={m.readAt ? `Read by the client ${timeOf(m.readAt, now)}` : 'Sent'}>
            {m.readAt ? '✓✓' : '✓'}
          </span>
        )}
        {own && canEdit && !editing && (
          <button
            type="button"
            class="link edit-btn"
            onClick={() => {
              setDraft(m.body);
              setEditing(true);
            }}
          >
            Edit
          </button>
        )}
      </div>
    </div>
  );
}
