/**
 * Login, token refresh and logout. Login puts an offline operator online (ACTIVE);
 * logout takes them offline, revokes every token and hands their sessions back to routing.
 */
import { ErrorCode } from '@parley/protocol';
import type { AppContext } from '../context.js';
import { AppError } from '../domain/errors.js';
import { hashPassword, verifyPassword } from '../auth/password.js';
import { hashRefreshToken, newRefreshToken, type TokenService } from '../auth/tokens.js';
import { findOperator, findOperatorByEmail } from '../persistence/repos/operators.js';
import type { OperatorRow } from '../persistence/schema.js';
import { openSessionIdsOf } from '../persistence/repos/routing.js';

export interface TokenPair {
  token: string;
  refreshToken: string;
}

const MAX_TTL = 30 * 86_400;
/** Compared against when the e-mail is unknown, so both paths cost one KDF run. */
let dummyHash: Promise<string> | null = null;

async function issuePair(ctx: AppContext, tokens: TokenService, op: OperatorRow, ttl: number): Promise<TokenPair> {
  const token = await tokens.issue({ operatorId: op.id, companyId: op.company_id, role: op.role, version: op.token_version }, ttl);
  const refresh = newRefreshToken();
  const now = ctx.clock.now();
  await ctx.db.kysely
    .insertInto('refresh_tokens')
    .values({ id: refresh.id, operator_id: op.id, token_version: op.token_version, expires_at: now + ctx.config.refreshTokenTtlSeconds * 1000, created_at: now })
    .execute();
  return { token, refreshToken: refresh.token };
}

export async function login(ctx: AppContext, tokens: TokenService, email: string, password: string, ttl?: number): Promise<TokenPair> {
  const op = await findOperatorByEmail(ctx.db.kysely, email);
  dummyHash ??= hashPassword('not a password');
  const ok = await verifyPassword(password, op?.password_hash ?? (await dummyHash));
  if (!op || !ok) throw new AppError(ErrorCode.INVALID_CREDENTIALS, 'wrong e-mail or password');
  if (op.blocked === 1) throw new AppError(ErrorCode.OPERATOR_BLOCKED, 'the operator is blocked');
  if (op.status === 'OFFLINE') {
    const now = ctx.clock.now();
    await ctx.uow.run(async (tx) => {
      await tx.db.updateTable('operators').set({ status: 'ACTIVE', updated_at: now }).where('id', '=', op.id).execute();
      tx.record({ type: 'operator.loggedIn', companyId: op.company_id, operatorId: String(op.id) });
    });
  }
  return issuePair(ctx, tokens, op, Math.min(ttl ?? ctx.config.tokenTtlSeconds, MAX_TTL));
}

/** Exchanges a refresh token for a new pair; the old refresh token is consumed. */
export async function refresh(ctx: AppContext, tokens: TokenService, refreshToken: string, ttl?: number): Promise<TokenPair> {
  const id = hashRefreshToken(refreshToken);
  const row = await ctx.db.kysely.selectFrom('refresh_tokens').selectAll().where('id', '=', id).executeTakeFirst();
  if (!row || row.expires_at < ctx.clock.now()) throw new AppError(ErrorCode.UNAUTHORIZED, 'invalid or expired refresh token');
  const consumed = await ctx.db.kysely.deleteFrom('refresh_tokens').where('id', '=', id).executeTakeFirst();
  if (consumed.numDeletedRows === 0n) throw new AppError(ErrorCode.UNAUTHORIZED, 'refresh token already used');
  const op = await findOperator(ctx.db.kysely, row.operator_id);
  if (!op) throw new AppError(ErrorCode.UNAUTHORIZED, 'unknown operator');
  if (op.blocked === 1) throw new AppError(ErrorCode.OPERATOR_BLOCKED, 'the operator is blocked');
  if (op.token_version !== row.token_version) throw new AppError(ErrorCode.TOKEN_REVOKED, 'the refresh token was revoked; log in again');
  return issuePair(ctx, tokens, op, Math.min(ttl ?? ctx.config.tokenTtlSeconds, MAX_TTL));
}

/** Takes the operator offline and revokes all their tokens; routing re-homes their sessions. */
export async function logout(ctx: AppContext, operatorId: number): Promise<void> {
  const now = ctx.clock.now();
  await ctx.uow.run(async (tx) => {
    const op = await findOperator(tx.db, operatorId);
    if (!op) return;
    await tx.db
      .updateTable('operators')
      .set((eb) => ({ status: 'OFFLINE', token_version: eb('token_version', '+', 1), updated_at: now }))
      .where('id', '=', operatorId)
      .execute();
    await tx.db.deleteFrom('refresh_tokens').where('operator_id', '=', operatorId).execute();
    const sessionIds = await openSessionIdsOf(tx.db, operatorId);
    tx.record({ type: 'operator.loggedOut', companyId: op.company_id, operatorId: String(operatorId), sessionIds });
  });
}
