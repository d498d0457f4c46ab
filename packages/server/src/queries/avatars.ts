/** Operator avatars for message payloads, resolved for a whole page at once. */
import type { FileObject } from '@parley/protocol';
import type { AvatarLookup } from './messageRefs.js';
import { findFiles } from '../persistence/repos/directory.js';
import { findOperators } from '../persistence/repos/operators.js';
import { presentFile } from '../presenters/file.js';

export function operatorAvatars(publicUrl: () => string): AvatarLookup {
  return async (db, companyId, operatorIds) => {
    const ids = operatorIds.map(Number).filter((n) => Number.isInteger(n));
    const operators = await findOperators(db, companyId, ids);
    const fileIds = operators.flatMap((o) => (o.avatar_file_id ? [o.avatar_file_id] : []));
    const files = new Map((await findFiles(db, companyId, fileIds)).map((f) => [f.id, presentFile(f, publicUrl())]));
    const out = new Map<string, FileObject>();
    for (const o of operators) {
      const file = o.avatar_file_id ? files.get(o.avatar_file_id) : undefined;
      if (file) out.set(String(o.id), file);
    }
    return out;
  };
}
