import { ErrorCode, type ErrorDetail } from '@parley/protocol';

/** Default HTTP status of each error code; transports translate from here in one place. */
export const httpStatusOf: Record<ErrorCode, number> = {
  VALIDATION_FAILED: 400,
  INVALID_JSON: 400,
  INVALID_SCENARIO: 400,
  INVALID_EVENT: 400,
  SESSION_KEY_MISSING: 400,
  UNAUTHORIZED: 401,
  TOKEN_EXPIRED: 401,
  TOKEN_REVOKED: 401,
  INVALID_CREDENTIALS: 401,
  OPERATOR_BLOCKED: 403,
  OPERATOR_NOT_FOUND: 404,
  GROUP_NOT_FOUND: 404,
  EMAIL_TAKEN: 409,
  SESSION_CONFLICT: 409,
  NOT_MESSAGE_AUTHOR: 403,
  FORBIDDEN: 403,
  ROUTE_NOT_FOUND: 404,
  CHAT_NOT_FOUND: 404,
  SESSION_NOT_FOUND: 404,
  MESSAGE_NOT_FOUND: 404,
  BOT_NOT_FOUND: 404,
  CLIENT_NOT_FOUND: 404,
  FILE_NOT_FOUND: 404,
  SESSION_CLOSED: 409,
  BOT_IN_USE: 409,
  IDEMPOTENCY_KEY_REUSED: 422,
  INVALID_MESSAGE_STATE: 422,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  UNAVAILABLE: 503,
  INTERNAL: 500,
};

/** An expected failure with a stable code. Anything else that is thrown is an internal error. */
export class AppError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: ErrorDetail[],
  ) {
    super(message);
    this.name = 'AppError';
  }
}

export const notFound = (code: ErrorCode, what: string, id: string | number) => new AppError(code, `${what} ${id} not found`);

export const invalid = (path: string, message: string) =>
  new AppError(ErrorCode.VALIDATION_FAILED, `${path}: ${message}`, [{ path, message }]);
