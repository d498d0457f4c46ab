/** Admin: operators — list with live status, create, edit (role, groups, password), block and unblock. */
import { useState } from 'preact/hooks';
import type { GroupDto, OperatorDto, SaveOperatorBody } from '@parley/protocol';
import type { Api } from '../api.js';
import { ErrorBox, Field, useAction } from '../ui.js';
import { useList } from './useList.js';

interface Draft {
  email: string;
  name: string;
  role: 'ADMIN' | 'OPERATOR';
  password: string;
  groupIds: number[];
}

const emptyDraft: Draft = { email: '', name: '', role: 'OPERATOR', password: '', groupIds: [] };

/** The operators admin page. */
export function OperatorsAdmin({ api, me }: { api: Api; me: OperatorDto }) {
  const ops = useList<OperatorDto>(api, '/api/v1/operators');
  const groups = useList<GroupDto>(api, '/api/v1/groups');
  const [editing, setEditing] = useState<string | null>(null);
  const [draft, setDraft] = useState<Draft>(emptyDraft);
  const save = useAction();
  const block = useAction();
  const set = <K extends keyof Draft>(k: K, v: Draft[K]) => setDraft((d) => ({ ...d, [k]: v }));
  const groupName = (id: number) => groups.items?.find((g) => g.id === id)?.name ?? `#${id}`;
  const reset = () => {
    setEditing(null);
    setDraft(emptyDraft);
  };

  return (
    <section class="admin-section operators-admin">
      <h2>Operators</h2>
      <ErrorBox error={ops.error ?? block.error} />
      <table class="admin-table">
        <thead>
          <tr><th>Id</th><th>Name</th><th>Email</th><th>Role</th><th>Status</th><th>Groups</th><th>Chats</th><th /></tr>
        </thead>
        <tbody>
          {(ops.items ?? []).map((o) => (
            <tr key={o.id} data-operator-id={o.id} class={o.blocked ? 'blocked' : ''}>
              <td>{o.id}</td>
              <td>{o.name}</td>
              <td>{o.email}</td>
              <td>{o.role === 'ADMIN' ? 'admin' : 'operator'}</td>
              <td>
                <span class={`presence ${o.online ? 'online' : 'offline'}`} /> {o.blocked ? 'blocked' : o.status.toLowerCase()}
              </td>
              <td>{o.groupIds.map(groupName).join(', ') || '—'}</td>
              <td>{o.activeSessionCount}</td>
              <td>
                <div class="row-buttons">
                  <button
                    type="button"
                    onClick={() => {
                      setEditing(o.id);
                      setDraft({ email: o.email, name: o.name, role: o.role, password: '', groupIds: o.groupIds });
                      save.setError(null);
                    }}
                  >
                    Edit
                  </button>
                  {o.id !== me.id && (
                    <button
                      type="button"
                      class={o.blocked ? '' : 'danger'}
                      disabled={block.busy}
                      onClick={() =>
                        void block.run(async () => {
                          await api.request('PATCH', `/api/v1/operators/${o.id}/${o.blocked ? 'unblock' : 'block'}`);
                          await ops.reload();
                        })
                      }
                    >
                      {o.blocked ? 'Unblock' : 'Block'}
                    </button>
                  )}
                </div>
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
            const body: SaveOperatorBody = { email: draft.email.trim(), name: draft.name.trim(), role: draft.role, groupIds: draft.groupIds };
            // On edit an empty password keeps the current one (a new one signs the operator out everywhere).
            if (draft.password) body.password = draft.password;
            await ops.save(editing, body);
            reset();
          });
        }}
      >
        <h3>{editing ? 'Edit operator' : 'New operator'}</h3>
        <Field label="Email">
          <input name="operator-email" type="email" value={draft.email} onInput={(e) => set('email', e.currentTarget.value)} />
        </Field>
        <Field label="Name">
          <input name="operator-name" value={draft.name} onInput={(e) => set('name', e.currentTarget.value)} />
        </Field>
        <Field label="Role">
          <select name="operator-role" value={draft.role} onChange={(e) => set('role', e.currentTarget.value === 'ADMIN' ? 'ADMIN' : 'OPERATOR')}>
            <option value="OPERATOR">Operator</option>
            <option value="ADMIN">Admin</option>
          </select>
        </Field>
        <Field label={editing ? 'New password (optional)' : 'Password'} hint="At least 8 characters">
          <input name="operator-password" type="password" autoComplete="new-password" value={draft.password} onInput={(e) => set('password', e.currentTarget.value)} />
        </Field>
        <fieldset class="checks">
          <legend>Groups</legend>
          {(groups.items ?? []).length === 0 && <span class="muted">No groups yet.</span>}
          {(groups.items ?? []).map((g) => (
            <label class="check" key={g.id}>
              <input
                type="checkbox"
                checked={draft.groupIds.includes(g.id)}
                onChange={(e) => set('groupIds', e.currentTarget.checked ? [...draft.groupIds, g.id] : draft.groupIds.filter((x) => x !== g.id))}
              />
              {g.name}
            </label>
          ))}
        </fieldset>
        <ErrorBox error={save.error} />
        <div class="row-buttons">
          <button type="submit" class="primary" disabled={save.busy}>{editing ? 'Save operator' : 'Create operator'}</button>
          {editing && <button type="button" onClick={reset}>Cancel</button>}
        </div>
      </form>
    </section>
  );
}
