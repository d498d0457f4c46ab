/**
 * Resolves what message rows refer to by id (attachments, author avatars) in one
 * query per kind, for a whole page of messages at once.
 */
import type { Executor } from '../persistence/tx.js';
import type { MessageRow } from '../persistence/schema.js';
import { findFiles } from '../persistence/repos/directory.js';
import { presentFile } from '../presenters/file.js';
import type { MessageRefs } from '../presenters/message.js';
import type { FileObject } from '@parley/protocol';

/**
 * Looks up avatars of message authors. Bots have none (`avatar: null`, as TWIN sends);
 * operator avatars come from the operator directory.
 */
export type AvatarLookup = (db: Executor, companyId: number, operatorIds: string[]) => Promise<Map<string, FileObject>>;

export async function resolveMessageRefs(
  db: Executor,
  companyId: number,
  rows: readonly MessageRow[],
  publicUrl: string,
  avatars: AvatarLookup,
): Promise<Map<string, MessageRefs>> {
  const fileIds = new Set<string>();
  const operatorIds = new Set<string>();
  for (const row of rows) {
    for (const id of JSON.parse(row.attachments) as string[]) fileIds.add(id);
    if (row.author_type === 'OPERATOR') operatorIds.add(row.author_id);
  }
  const files = new Map((await findFiles(db, companyId, [...fileIds])).map((f) => [f.id, presentFile(f, publicUrl)]));
  const avatarMap = operatorIds.size > 0 ? await avatars(db, companyId, [...operatorIds]) : new Map<string, FileObject>();
  const out = new Map<string, MessageRefs>();
  for (const row of rows) {
    const attachments = (JSON.parse(row.attachments) as string[]).flatMap((id) => files.get(id) ?? []);
    const avatar = row.author_type === 'OPERATOR' ? (avatarMap.get(row.author_id) ?? null) : null;
    out.set(row.id, { attachments, avatar });
  }
  return out;
}
