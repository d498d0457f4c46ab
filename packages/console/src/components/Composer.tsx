/** The reply box: Enter sends, Shift+Enter breaks the line; typing notifies the client (throttled by the live connection). */
import { useState } from 'preact/hooks';
import { ErrorBox, useAction } from '../ui.js';

/** Props of the composer. */
export interface ComposerProps {
  sessionId: string;
  onSend: (body: string) => Promise<void>;
  onTyping: () => void;
}

/** The message composer of the chat pane. */
export function Composer({ sessionId, onSend, onTyping }: ComposerProps) {
  const [drafts, setDrafts] = useState<Record<string, string>>({});
  const send = useAction();
  // Drafts are kept per chat, so switching chats does not lose a half-written answer.
  const text = drafts[sessionId] ?? '';
  const setText = (v: string) => setDrafts((d) => ({ ...d, [sessionId]: v }));
  const submit = () => {
    const body = text.trim();
    if (!body || send.busy) return;
    void send.run(async () => {
      await onSend(body);
      setDrafts((d) => ({ ...d, [sessionId]: '' }));
    });
  };
  return (
    <form
      class="composer"
      onSubmit={(e) => {
        e.preventDefault();
        submit();
      }}
    >
      <ErrorBox error={send.error} onDismiss={() => send.setError(null)} />
      <div class="composer-row">
        <textarea
          name="reply"
          placeholder="Type a reply… (Enter to send, Shift+Enter for a new line)"
          rows={3}
          maxLength={10000}
          value={text}
          onInput={(e) => {
            setText(e.currentTarget.value);
            if (e.currentTarget.value.trim()) onTyping();
          }}
          onKeyDown={(e) => {
            if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
              e.preventDefault();
              submit();
            }
          }}
        />
        <button type="submit" class="primary send" disabled={send.busy || !text.trim()}>
          Send
        </button>
      </div>
    </form>
  );
}
