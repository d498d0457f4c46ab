/** Who is calling: an operator (or admin) identified by a valid, unrevoked token. */
import { ErrorCode } from '@parley/protocol';
import type { AppContext } from '../context.js';
import { AppError } from '../domain/errors.js';
import type { OperatorRow } from '../persistence/schema.js';
import { operatorReader } from '../persistence/repos/operators.js';
import type { Db } from '../persistence/db.js';
import type { TokenService } from './tokens.js';

export interface OperatorActor {
  operatorId: number;
  companyId: number;
  role: 'ADMIN' | 'OPERATOR';
  operator: OperatorRow;
  expiresAt: number;
}

/** One operator reader per database: concurrent authentications share its queries. */
const readers = new WeakMap<Db, ReturnType<typeof operatorReader>>();

/**
 * Resolves an access token to its operator, checking revocation and blocking on
 * every call so that a block or logout takes effect at once.
 */
export async function actorFromToken(ctx: AppContext, tokens: TokenService, token: string): Promise<OperatorActor> {
  const claims = await tokens.verify(token);
  let read = readers.get(ctx.db);
  if (!read) readers.set(ctx.db, (read = operatorReader(ctx.db, () => ctx.clock.now())));
  const operator = await read(claims.operatorId);
  if (!operator || operator.company_id !== claims.companyId) throw new AppError(ErrorCode.UNAUTHORIZED, 'unknown operator');
  if (operator.blocked === 1) throw new AppError(ErrorCode.OPERATOR_BLOCKED, 'the operator is blocked');
  if (operator.token_version !== claims.version) throw new AppError(ErrorCode.TOKEN_REVOKED, 'the token was revoked; log in again');
  return { operatorId: operator.id, companyId: operator.company_id, role: operator.role, operator, expiresAt: claims.expiresAt };
}

export function requireAdmin(actor: OperatorActor): void {
  if (actor.role !== 'ADMIN') throw new AppError(ErrorCode.FORBIDDEN, 'admins only');
}
