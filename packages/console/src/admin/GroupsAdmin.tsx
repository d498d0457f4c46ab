/** Admin: operator groups — name, SL timers, session limit, members and the chats they serve. */
import { useState } from 'preact/hooks';
import type { ChatDto, GroupDto, OperatorDto, SaveGroupBody } from '@parley/protocol';
import type { Api } from '../api.js';
import { ErrorBox, Field, intOrUndefined, useAction } from '../ui.js';
import { useList } from './useList.js';

interface Draft {
  name: string;
  timerFirstAnswer: string;
  timerNextAnswers: string;
  sessionLimit: string;
  operatorIds: string[];
  chatIds: string[];
}

const emptyDraft: Draft = { name: '', timerFirstAnswer: '', timerNextAnswers: '', sessionLimit: '', operatorIds: [], chatIds: [] };

const toggle = <T,>(list: T[], v: T, on: boolean) => (on ? [...list.filter((x) => x !== v), v] : list.filter((x) => x !== v));

/** Checkbox list for picking members or chats. */
function Picker<T extends { id: string }>({ legend, items, label, chosen, onChange }: {
  legend: string;
  items: T[] | null;
  label: (x: T) => string;
  chosen: string[];
  onChange: (ids: string[]) => void;
}) {
  return (
    <fieldset class="checks">
      <legend>{legend}</legend>
      {(items ?? []).length === 0 && <span class="muted">None yet.</span>}
      {(items ?? []).map((x) => (
        <label class="check" key={x.id}>
          <input type="checkbox" checked={chosen.includes(x.id)} onChange={(e) => onChange(toggle(chosen, x.id, e.currentTarget.checked))} />
          {label(x)}
        </label>
      ))}
    </fieldset>
  );
}

/** The groups admin page. */
export function GroupsAdmin({ api }: { api: Api }) {
  const groups = useList<GroupDto>(api, '/api/v1/groups');
  const ops = useList<OperatorDto>(api, '/api/v1/operators');
  const chats = useList<ChatDto>(api, '/api/v1/chats');
  const [editing, setEditing] = useState<number | null>(null);
  const [draft, setDraft] = useState<Draft>(emptyDraft);
  const save = useAction();
  const set = <K extends keyof Draft>(k: K, v: Draft[K]) => setDraft((d) => ({ ...d, [k]: v }));
  const opName = (id: string) => ops.items?.find((o) => o.id === id)?.name ?? `#${id}`;
  const chatName = (id: string) => chats.items?.find((c) => c.id === id)?.name ?? id.slice(0, 8);
  const reset = () => {
    setEditing(null);
    setDraft(emptyDraft);
  };
  const num = (k: 'timerFirstAnswer' | 'timerNextAnswers' | 'sessionLimit', label: string, hint: string) => (
    <Field label={label} hint={hint}>
      <input name={`group-${k}`} type="number" min={0} value={draft[k]} onInput={(e) => set(k, e.currentTarget.value)} />
    </Field>
  );

  return (
    <section class="admin-section groups-admin">
      <h2>Groups</h2>
      <ErrorBox error={groups.error} />
      <table class="admin-table">
        <thead>
          <tr><th>Name</th><th>First / next answer (s)</th><th>Session limit</th><th>Members</th><th>Chats</th><th /></tr>
        </thead>
        <tbody>
          {(groups.items ?? []).map((g) => (
            <tr key={g.id} data-group-id={g.id}>
              <td>{g.name}</td>
              <td>{g.timerFirstAnswer} / {g.timerNextAnswers}</td>
              <td>{g.sessionLimit}</td>
              <td>{g.operatorIds.map(opName).join(', ') || '—'}</td>
              <td>{g.chatIds.map(chatName).join(', ') || '—'}</td>
              <td>
                <button
                  type="button"
                  onClick={() => {
                    setEditing(g.id);
                    setDraft({
                      name: g.name, timerFirstAnswer: String(g.timerFirstAnswer), timerNextAnswers: String(g.timerNextAnswers),
                      sessionLimit: String(g.sessionLimit), operatorIds: g.operatorIds, chatIds: g.chatIds,
                    });
                    save.setError(null);
                  }}
                >
                  Edit
                </button>
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
            const body: SaveGroupBody = { name: draft.name.trim(), operatorIds: draft.operatorIds, chatIds: draft.chatIds };
            for (const k of ['timerFirstAnswer', 'timerNextAnswers', 'sessionLimit'] as const) {
              const v = intOrUndefined(draft[k]);
              if (v !== undefined) body[k] = v;
            }
            await groups.save(editing, body);
            reset();
          });
        }}
      >
        <h3>{editing !== null ? 'Edit group' : 'New group'}</h3>
        <Field label="Name">
          <input name="group-name" value={draft.name} onInput={(e) => set('name', e.currentTarget.value)} />
        </Field>
        {num('timerFirstAnswer', 'First answer timer (s)', 'Time to the first answer after assignment; 0 = no target')}
        {num('timerNextAnswers', 'Next answers timer (s)', 'Time to answer each new client message; 0 = no target')}
        {num('sessionLimit', 'Session limit', 'Open chats per operator for automatic routing')}
        <Picker legend="Members" items={ops.items} label={(o) => `${o.name} (${o.email})`} chosen={draft.operatorIds} onChange={(ids) => set('operatorIds', ids)} />
        <Picker legend="Chats served" items={chats.items} label={(c) => c.name} chosen={draft.chatIds} onChange={(ids) => set('chatIds', ids)} />
        <ErrorBox error={save.error} />
        <div class="row-buttons">
          <button type="submit" class="primary" disabled={save.busy}>{editing !== null ? 'Save group' : 'Create group'}</button>
          {editing !== null && <button type="button" onClick={reset}>Cancel</button>}
        </div>
      </form>
    </section>
  );
}
