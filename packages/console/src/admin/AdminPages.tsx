/** Admin area: chats (with the embed snippet), bots (scenario editor), operators, groups. */
import { useState } from 'preact/hooks';
import type { OperatorDto } from '@parley/protocol';
import type { Api } from '../api.js';
import { ChatsAdmin } from './ChatsAdmin.js';
import { BotsAdmin } from './BotsAdmin.js';
import { OperatorsAdmin } from './OperatorsAdmin.js';
import { GroupsAdmin } from './GroupsAdmin.js';

type Section = 'chats' | 'bots' | 'operators' | 'groups';
const SECTIONS: { id: Section; label: string }[] = [
  { id: 'chats', label: 'Chats' },
  { id: 'bots', label: 'Bots' },
  { id: 'operators', label: 'Operators' },
  { id: 'groups', label: 'Groups' },
];

/** The admin pages (role ADMIN only; the server checks every call anyway). */
export function AdminPages({ api, me }: { api: Api; me: OperatorDto }) {
  const [section, setSection] = useState<Section>('chats');
  return (
    <div class="admin">
      <nav class="admin-nav">
        {SECTIONS.map((s) => (
          <button type="button" key={s.id} data-section={s.id} class={section === s.id ? 'tab active' : 'tab'} onClick={() => setSection(s.id)}>
            {s.label}
          </button>
        ))}
      </nav>
      <div class="admin-body">
        {section === 'chats' && <ChatsAdmin api={api} />}
        {section === 'bots' && <BotsAdmin api={api} />}
        {section === 'operators' && <OperatorsAdmin api={api} me={me} />}
        {section === 'groups' && <GroupsAdmin api={api} />}
      </div>
    </div>
  );
}
