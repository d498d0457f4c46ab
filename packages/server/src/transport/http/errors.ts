/**
 * The one place where failures become HTTP responses: `{error: {code, message, details?}}`
 * with the status of the code. Unknown errors are logged and reported as INTERNAL.
 */
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { ErrorCode, type ErrorBody, type ErrorDetail } from '@parley/protocol';
import { AppError, httpStatusOf } from '../../domain/errors.js';

interface AjvError {
  instancePath: string;
  message?: string;
  keyword: string;
  params: Record<string, unknown>;
}

/** Turns schema-validation errors into details that name each offending field. */
function validationDetails(errors: readonly AjvError[], part: string): ErrorDetail[] {
  return errors.map((e) => {
    const missing = e.keyword === 'required' ? `/${String(e.params.missingProperty)}` : '';
    const path = `${e.instancePath}${missing}` || '/';
    const message = e.keyword === 'required' ? 'is required' : (e.message ?? 'is invalid');
    return { path: part === 'body' ? path : `${part}:${path}`, message };
  });
}

function fromFastify(err: FastifyError & { validation?: AjvError[]; validationContext?: string }): { status: number; body: ErrorBody } | null {
  if (err.validation) {
    const details = validationDetails(err.validation, err.validationContext ?? 'body');
    const first = details[0];
    return { status: 400, body: { code: ErrorCode.VALIDATION_FAILED, message: first ? `${first.path} ${first.message}` : 'invalid request', details } };
  }
  switch (err.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return { status: 413, body: { code: ErrorCode.PAYLOAD_TOO_LARGE, message: 'request body is too large' } };
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return { status: 415, body: { code: ErrorCode.UNSUPPORTED_MEDIA_TYPE, message: 'send the body as application/json' } };
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return { status: 400, body: { code: ErrorCode.INVALID_JSON, message: 'the body is not valid JSON' } };
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return { status: 400, body: { code: ErrorCode.VALIDATION_FAILED, message: 'content-length does not match the body' } };
  }
  if (err instanceof SyntaxError && err.statusCode === 400) {
    return { status: 400, body: { code: ErrorCode.INVALID_JSON, message: 'the body is not valid JSON' } };
  }
  if (typeof err.statusCode === 'number' && err.statusCode >= 400 && err.statusCode < 500) {
    return { status: err.statusCode, body: { code: ErrorCode.VALIDATION_FAILED, message: err.message } };
  }
  return null;
}

export function errorHandler(err: FastifyError, req: FastifyRequest, reply: FastifyReply): void {
  if (err instanceof AppError) {
    // A server-side failure (e.g. a commit with an unknown outcome) is logged with its cause.
    if (httpStatusOf[err.code] >= 500) req.log.error({ err, cause: err.cause }, err.message);
    const body: ErrorBody = { code: err.code, message: err.message, ...(err.details ? { details: err.details } : {}) };
    void reply.status(httpStatusOf[err.code]).send({ error: body });
    return;
  }
  const known = fromFastify(err);
  if (known) {
    void reply.status(known.status).send({ error: known.body });
    return;
  }
  // Safety net: PostgreSQL refusing a value (bad encoding, out of range) is the client's input.
  const pgCode = (err as { code?: unknown }).code;
  if (pgCode === '22021' || pgCode === '22P05' || pgCode === '22003' || pgCode === '22P02') {
    req.log.warn({ err }, 'database refused a value');
    void reply.status(400).send({ error: { code: ErrorCode.VALIDATION_FAILED, message: 'a value cannot be stored (encoding or range)' } });
    return;
  }
  req.log.error({ err }, 'unhandled error');
  void reply.status(500).send({ error: { code: ErrorCode.INTERNAL, message: `internal error (request ${req.id})` } });
}

export function notFoundHandler(req: FastifyRequest, reply: FastifyReply): void {
  void reply.status(404).send({ error: { code: ErrorCode.ROUTE_NOT_FOUND, message: `no route ${req.method} ${req.url.split('?')[0]}` } });
}
