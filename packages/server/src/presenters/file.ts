import type { FileObject } from '@parley/protocol';
import { formatTimestamp } from '../domain/time.js';
import type { FileRow } from '../persistence/schema.js';

/** A stored file in TWIN's file-object shape; `url` shows it inline, `downloadLink` downloads it. */
export function presentFile(row: FileRow, publicUrl: string): FileObject {
  const dot = row.name.lastIndexOf('.');
  const extension = dot > 0 ? row.name.slice(dot + 1).toLowerCase() : '';
  const baseName = dot > 0 ? row.name.slice(0, dot) : row.name;
  const url = `${publicUrl}/api/v1/files/${row.id}`;
  return {
    id: row.id,
    isPrivate: row.is_private === 1,
    createdAt: formatTimestamp(row.created_at),
    contentType: row.content_type,
    name: row.name,
    baseName,
    extension,
    suggestedExtension: extension,
    path: '',
    size: row.size,
    url,
    downloadLink: `${url}?download=1`,
    ownerId: row.owner_id,
  };
}
