/** File upload (multipart) and download. Files live under DATA_DIR/files. */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import '@fastify/multipart';
import { Type } from '@sinclair/typebox';
import { ErrorCode, ErrorResponseSchema, FileObject } from '@parley/protocol';
import type { HttpDeps } from '../app.js';
import type { AppContext } from '../../../context.js';
import { AppError } from '../../../domain/errors.js';
import type { FileRow } from '../../../persistence/schema.js';
import { presentFile } from '../../../presenters/file.js';

const MAX_FILE_BYTES = 10 * 1024 * 1024;

/** Stores the first file part of a multipart request and returns its row. */
export async function storeUpload(ctx: AppContext, req: FastifyRequest, companyId: number, ownerId: string | null, opts: { imagesOnly?: boolean } = {}): Promise<FileRow> {
  if (!req.isMultipart()) throw new AppError(ErrorCode.UNSUPPORTED_MEDIA_TYPE, 'send the file as multipart/form-data');
  const part = await req.file({ limits: { fileSize: MAX_FILE_BYTES, files: 1 } });
  if (!part) throw new AppError(ErrorCode.VALIDATION_FAILED, 'file: no file part', [{ path: '/file', message: 'is required' }]);
  if (opts.imagesOnly && !/^image\/(png|jpeg|gif|webp)$/.test(part.mimetype)) {
    part.file.resume();
    throw new AppError(ErrorCode.VALIDATION_FAILED, 'file: must be a PNG, JPEG, GIF or WebP image', [{ path: '/file', message: 'not an image' }]);
  }
  const id = randomUUID();
  const now = ctx.clock.now();
  const rel = path.join('files', new Date(now).toISOString().slice(0, 10), id);
  const abs = path.join(ctx.config.dataDir, rel);
  fs.mkdirSync(path.dirname(abs), { recursive: true });
  await pipeline(part.file, fs.createWriteStream(abs));
  if (part.file.truncated) {
    fs.rmSync(abs, { force: true });
    throw new AppError(ErrorCode.PAYLOAD_TOO_LARGE, `files are limited to ${MAX_FILE_BYTES} bytes`);
  }
  const name = (part.filename || 'file').replace(/[\u0000-\u001f/\\]/g, '_').slice(0, 255);
  const row: FileRow = { id, company_id: companyId, owner_id: ownerId, is_private: 0, content_type: part.mimetype, name, size: fs.statSync(abs).size, storage_path: rel, created_at: now };
  await ctx.db.kysely.insertInto('files').values(row).execute();
  return row;
}

export function fileRoutes({ ctx, auth }: HttpDeps): FastifyPluginAsync {
  return async (app) => {
    app.post('/files', { schema: { tags: ['files'], security: [{ bearer: [] }], summary: 'Upload a file (multipart, one part) for attachments', response: { 201: Type.Array(FileObject), 400: ErrorResponseSchema, 401: ErrorResponseSchema, 413: ErrorResponseSchema, 415: ErrorResponseSchema } } }, async (req, reply) => {
      const actor = await auth.operator(req);
      const row = await storeUpload(ctx, req, actor.companyId, String(actor.operatorId));
      return reply.status(201).send([presentFile(row, ctx.config.publicUrl)]);
    });
    app.get<{ Params: { id: string }; Querystring: { download?: string } }>('/files/:id', { schema: { tags: ['files'], params: Type.Object({ id: Type.String({ maxLength: 64 }) }) } }, async (req, reply) => {
      const row = await ctx.db.kysely.selectFrom('files').selectAll().where('id', '=', req.params.id).executeTakeFirst();
      const abs = row ? path.join(ctx.config.dataDir, row.storage_path) : '';
      if (!row || row.is_private === 1 || !fs.existsSync(abs)) throw new AppError(ErrorCode.FILE_NOT_FOUND, `file ${req.params.id} not found`);
      // Only raster images are shown inline; anything else (HTML, SVG, …) downloads, so an
      // upload can never run script in Parley's origin.
      const inlineSafe = /^image\/(png|jpeg|gif|webp)$/.test(row.content_type);
      const disposition = req.query.download !== undefined || !inlineSafe ? 'attachment' : 'inline';
      void reply.header('content-security-policy', "default-src 'none'; sandbox");
      void reply.header('content-type', row.content_type);
      void reply.header('content-disposition', `${disposition}; filename*=UTF-8''${encodeURIComponent(row.name)}`);
      void reply.header('x-content-type-options', 'nosniff');
      void reply.header('cache-control', 'public, max-age=86400, immutable');
      return reply.send(fs.createReadStream(abs));
    });
  };
}
