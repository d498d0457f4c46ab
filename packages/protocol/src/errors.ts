/**
 * The catalogue of stable error codes. Every error Parley reports, over REST
 * (`{error: {code, message, details?}}`), over Socket.IO (`connect_error` data and
 * acknowledgements) and over the operator channel, carries one of these codes.
 * Codes never change meaning; new ones may be added.
 */
export const ErrorCode = {
  /** The request body, query or path failed validation; `details` names the fields. */
  VALIDATION_FAILED: 'VALIDATION_FAILED',
  /** The body is not parseable JSON. */
  INVALID_JSON: 'INVALID_JSON',
  /** The body exceeds the configured size limit. */
  PAYLOAD_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  /** The body's Content-Type is not supported by the route. */
  UNSUPPORTED_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  /** No route matches the method and path. */
  ROUTE_NOT_FOUND: 'ROUTE_NOT_FOUND',
  CHAT_NOT_FOUND: 'CHAT_NOT_FOUND',
  SESSION_NOT_FOUND: 'SESSION_NOT_FOUND',
  MESSAGE_NOT_FOUND: 'MESSAGE_NOT_FOUND',
  BOT_NOT_FOUND: 'BOT_NOT_FOUND',
  CLIENT_NOT_FOUND: 'CLIENT_NOT_FOUND',
  FILE_NOT_FOUND: 'FILE_NOT_FOUND',
  /** The session is closed; it takes no new messages or state changes. */
  SESSION_CLOSED: 'SESSION_CLOSED',
  /** The same Idempotency-Key was used before with a different request body. */
  IDEMPOTENCY_KEY_REUSED: 'IDEMPOTENCY_KEY_REUSED',
  /** The message cannot be used this way (e.g. a client marking its own message read). */
  INVALID_MESSAGE_STATE: 'INVALID_MESSAGE_STATE',
  /** A bot scenario failed validation; `details` lists every problem. */
  INVALID_SCENARIO: 'INVALID_SCENARIO',
  /** The bot is still used by a chat and cannot be deleted. */
  BOT_IN_USE: 'BOT_IN_USE',
  /** Missing, malformed or expired credentials. */
  UNAUTHORIZED: 'UNAUTHORIZED',
  /** The access token has expired; refresh it or log in again. */
  TOKEN_EXPIRED: 'TOKEN_EXPIRED',
  /** The token was revoked (logout, block, password change). */
  TOKEN_REVOKED: 'TOKEN_REVOKED',
  /** Wrong e-mail or password. */
  INVALID_CREDENTIALS: 'INVALID_CREDENTIALS',
  /** The operator is blocked by an admin. */
  OPERATOR_BLOCKED: 'OPERATOR_BLOCKED',
  OPERATOR_NOT_FOUND: 'OPERATOR_NOT_FOUND',
  GROUP_NOT_FOUND: 'GROUP_NOT_FOUND',
  /** An operator with this e-mail exists. */
  EMAIL_TAKEN: 'EMAIL_TAKEN',
  /** Another operator took the session first, or it is not in a state that allows this. */
  SESSION_CONFLICT: 'SESSION_CONFLICT',
  /** Only the author of a message may edit it. */
  NOT_MESSAGE_AUTHOR: 'NOT_MESSAGE_AUTHOR',
  /** Valid credentials that do not allow this action. */
  FORBIDDEN: 'FORBIDDEN',
  /** The Socket.IO handshake carried no `key` query parameter. */
  SESSION_KEY_MISSING: 'SESSION_KEY_MISSING',
  /** A Socket.IO event payload failed validation. */
  INVALID_EVENT: 'INVALID_EVENT',
  /** The server is shutting down or its database is unreachable. */
  UNAVAILABLE: 'UNAVAILABLE',
  /** An unexpected failure; details are in the server log under the request id. */
  INTERNAL: 'INTERNAL',
} as const;

export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** One problem found while validating input. `path` is a JSON pointer into the input. */
export interface ErrorDetail {
  path: string;
  message: string;
}

/** The error object carried by every error response and error acknowledgement. */
export interface ErrorBody {
  code: ErrorCode;
  message: string;
  details?: ErrorDetail[];
}

/** The JSON body of every non-2xx REST response. */
export interface ErrorResponse {
  error: ErrorBody;
}
