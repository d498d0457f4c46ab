/**
 * Transfer of a chat to a colleague or to a group. The operator and group lists come from
 * `GET /operators` and `GET /groups`; where the server refuses them to non-admins, the
 * operator or group id can be typed instead.
 */
import { useEffect, useState } from 'preact/hooks';
import type { GroupDto, OperatorDto } from '@parley/protocol';
import type { Api } from '../api.js';
import type { ChatActions } from '../actions.js';
import { ErrorBox, Field, useAction } from '../ui.js';

/** Props of the transfer dialog. */
export interface TransferProps {
  api: Api;
  me: OperatorDto;
  sessionId: string;
  actions: ChatActions;
  onDone: () => void;
}

type Loaded<T> = { items: T[] } | { refused: string } | null;

async function load<T>(api: Api, path: string): Promise<Loaded<T>> {
  try {
    return { items: (await api.request<{ items: T[] }>('GET', path)).items };
  } catch (err) {
    return { refused: err instanceof Error ? err.message : 'not available' };
  }
}

/** The transfer panel shown under the chat header. */
export function TransferDialog({ api, me, sessionId, actions, onDone }: TransferProps) {
  const [ops, setOps] = useState<Loaded<OperatorDto>>(null);
  const [groups, setGroups] = useState<Loaded<GroupDto>>(null);
  const [operatorId, setOperatorId] = useState('');
  const [groupId, setGroupId] = useState('');
  const act = useAction();
  useEffect(() => {
    void load<OperatorDto>(api, '/api/v1/operators').then(setOps);
    void load<GroupDto>(api, '/api/v1/groups').then(setGroups);
  }, [api]);

  const colleagues = ops && 'items' in ops ? ops.items.filter((o) => o.id !== me.id && !o.blocked && o.status !== 'OFFLINE') : null;
  const groupList = groups && 'items' in groups ? groups.items : null;
  const go = (fn: () => Promise<void>) => void act.run(async () => {
    await fn();
    onDone();
  });

  return (
    <div class="transfer panel">
      <h3>Transfer this chat</h3>
      <div class="transfer-grid">
        <form
          onSubmit={(e) => {
            e.preventDefault();
            go(() => actions.transferToOperator(sessionId, operatorId));
          }}
        >
          {colleagues ? (
            <Field label="To an operator">
              <select name="transfer-operator" value={operatorId} onChange={(e) => setOperatorId(e.currentTarget.value)}>
                <option value="">Choose…</option>
                {colleagues.map((o) => (
                  <option key={o.id} value={o.id}>
                    {o.name} — {o.status === 'ACTIVE' ? 'active' : 'paused'}
                    {o.online ? '' : ', not connected'} ({o.activeSessionCount} chats)
                  </option>
                ))}
              </select>
            </Field>
          ) : (
            <Field label="To an operator (id)" hint={ops && 'refused' in ops ? 'The operator list is not available to your account; enter the id.' : 'Loading operators…'}>
              <input name="transfer-operator-id" inputMode="numeric" value={operatorId} onInput={(e) => setOperatorId(e.currentTarget.value)} />
            </Field>
          )}
          <button type="submit" disabled={act.busy || !operatorId.trim()}>
            Transfer to operator
          </button>
        </form>
        <form
          onSubmit={(e) => {
            e.preventDefault();
            go(() => actions.transferToGroup(sessionId, groupId));
          }}
        >
          {groupList ? (
            <Field label="To a group">
              <select name="transfer-group" value={groupId} onChange={(e) => setGroupId(e.currentTarget.value)}>
                <option value="">Choose…</option>
                {groupList.map((g) => (
                  <option key={g.id} value={String(g.id)}>
                    {g.name}
                  </option>
                ))}
              </select>
            </Field>
          ) : (
            <Field label="To a group (id)" hint={groups && 'refused' in groups ? 'The group list is not available to your account; enter the id.' : 'Loading groups…'}>
              <input name="transfer-group-id" inputMode="numeric" value={groupId} onInput={(e) => setGroupId(e.currentTarget.value)} />
            </Field>
          )}
          <button type="submit" disabled={act.busy || !groupId.trim()}>
            Transfer to group
          </button>
        </form>
      </div>
      <ErrorBox error={act.error} />
      <button type="button" class="link" onClick={onDone}>
        Cancel
      </button>
    </div>
  );
}
