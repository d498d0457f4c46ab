/**
 * Admin: bots — list, create, edit, delete. Scenario bots are edited as JSON; when the server
 * rejects a scenario (400 INVALID_SCENARIO) every problem is listed next to the editor with
 * its JSON pointer, as docs/BOTS.md describes.
 */
import { useState } from 'preact/hooks';
import type { BotDto, SaveBotBody } from '@parley/protocol';
import { ApiError, type Api } from '../api.js';
import { ErrorBox, Field, intOrUndefined, useAction } from '../ui.js';
import { useList } from './useList.js';

const EXAMPLE = {
  start: 'ask',
  nodes: {
    ask: { type: 'question', text: 'Hi {{client.name}}! How can we help?', answers: [{ text: 'Prices', next: 'prices' }, { text: 'Talk to a person', next: 'human' }] },
    prices: { type: 'end', text: 'Our prices are on the website.' },
    human: { type: 'handoff' },
  },
};

interface Draft {
  name: string;
  type: 'scenario' | 'webhook';
  scenario: string;
  url: string;
  timeoutMs: string;
  secret: string;
}

const emptyDraft: Draft = { name: '', type: 'scenario', scenario: JSON.stringify(EXAMPLE, null, 2), url: '', timeoutMs: '', secret: '' };

const toDraft = (b: BotDto): Draft => ({
  name: b.name, type: b.type, scenario: b.scenario === null ? '' : JSON.stringify(b.scenario, null, 2),
  url: b.webhook?.url ?? '', timeoutMs: b.webhook?.timeoutMs === undefined ? '' : String(b.webhook.timeoutMs), secret: '',
});

function toBody(d: Draft): SaveBotBody {
  if (d.type === 'webhook') {
    const webhook: NonNullable<SaveBotBody['webhook']> = { url: d.url.trim() };
    const timeout = intOrUndefined(d.timeoutMs);
    if (timeout !== undefined) webhook.timeoutMs = timeout;
    // Secrets are write-only: an empty field keeps nothing, so it must be entered on every save.
    if (d.secret) webhook.secret = d.secret;
    return { name: d.name.trim(), type: 'webhook', webhook };
  }
  let scenario: unknown;
  try {
    scenario = JSON.parse(d.scenario);
  } catch (err) {
    throw new ApiError(0, 'INVALID_JSON', `The scenario is not valid JSON: ${err instanceof Error ? err.message : String(err)}`);
  }
  return { name: d.name.trim(), type: 'scenario', scenario };
}

/** The problems of a rejected scenario, shown beside the editor. */
function Problems({ error }: { error: ApiError | null }) {
  if (!error) return <div class="scenario-problems ok">Problems with the scenario are listed here when you save.</div>;
  return (
    <div class="scenario-problems" role="alert">
      <p class="problems-title">
        <strong>{error.message}</strong> <span class="error-code">{error.code}</span>
      </p>
      {error.details.length > 0 && (
        <ul>
          {error.details.map((d) => (
            <li key={`${d.path}:${d.message}`} class="problem">
              <code class="problem-path">{d.path || '/'}</code>
              <span class="problem-message">{d.message}</span>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

/** The bots admin page. */
export function BotsAdmin({ api }: { api: Api }) {
  const bots = useList<BotDto>(api, '/api/v1/bots');
  const [editing, setEditing] = useState<string | null>(null);
  const [draft, setDraft] = useState<Draft>(emptyDraft);
  const save = useAction();
  const remove = useAction();
  const set = <K extends keyof Draft>(k: K, v: Draft[K]) => setDraft((d) => ({ ...d, [k]: v }));
  const reset = () => {
    setEditing(null);
    setDraft(emptyDraft);
    save.setError(null);
  };

  return (
    <section class="admin-section bots-admin">
      <h2>Bots</h2>
      <ErrorBox error={bots.error ?? remove.error} />
      <table class="admin-table">
        <thead>
          <tr><th>Name</th><th>Type</th><th>Updated</th><th /></tr>
        </thead>
        <tbody>
          {(bots.items ?? []).map((b) => (
            <tr key={b.id} data-bot-id={b.id}>
              <td>{b.name}</td>
              <td>{b.type}</td>
              <td>{new Date(b.updatedAt).toLocaleString()}</td>
              <td>
                <div class="row-buttons">
                  <button type="button" onClick={() => { setEditing(b.id); setDraft(toDraft(b)); save.setError(null); }}>Edit</button>
                  <button
                    type="button"
                    class="danger"
                    disabled={remove.busy}
                    onClick={() => {
                      if (!window.confirm(`Delete the bot "${b.name}"?`)) return;
                      void remove.run(async () => {
                        await api.request('DELETE', `/api/v1/bots/${b.id}`);
                        if (editing === b.id) reset();
                        await bots.reload();
                      });
                    }}
                  >
                    Delete
                  </button>
                </div>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <form
        class="admin-form bot-form"
        onSubmit={(e) => {
          e.preventDefault();
          void save.run(async () => {
            const body = toBody(draft);
            await bots.save(editing, body);
            reset();
          });
        }}
      >
        <h3>{editing ? 'Edit bot' : 'New bot'}</h3>
        <Field label="Name">
          <input name="bot-name" value={draft.name} onInput={(e) => set('name', e.currentTarget.value)} />
        </Field>
        <Field label="Type">
          <select name="bot-type" value={draft.type} onChange={(e) => set('type', e.currentTarget.value === 'webhook' ? 'webhook' : 'scenario')}>
            <option value="scenario">Scenario (runs in Parley)</option>
            <option value="webhook">Webhook (your service)</option>
          </select>
        </Field>
        {draft.type === 'scenario' ? (
          <div class="scenario-editor">
            <label class="field">
              <span class="field-label">Scenario (JSON, see docs/BOTS.md)</span>
              <textarea name="scenario" class="code" rows={20} spellcheck={false} value={draft.scenario} onInput={(e) => set('scenario', e.currentTarget.value)} />
            </label>
            <Problems error={save.error} />
          </div>
        ) : (
          <>
            <Field label="Webhook URL">
              <input name="webhook-url" type="url" value={draft.url} onInput={(e) => set('url', e.currentTarget.value)} />
            </Field>
            <Field label="Timeout (ms)" hint="100–60000; default 5000">
              <input name="webhook-timeout" type="number" value={draft.timeoutMs} onInput={(e) => set('timeoutMs', e.currentTarget.value)} />
            </Field>
            <Field label="Secret" hint="Sent as a bearer token; write-only, enter it again when saving">
              <input name="webhook-secret" type="password" autoComplete="off" value={draft.secret} onInput={(e) => set('secret', e.currentTarget.value)} />
            </Field>
            <ErrorBox error={save.error} />
          </>
        )}
        <div class="row-buttons">
          <button type="submit" class="primary" disabled={save.busy}>{editing ? 'Save bot' : 'Create bot'}</button>
          {editing && <button type="button" onClick={reset}>Cancel</button>}
        </div>
      </form>
    </section>
  );
}
