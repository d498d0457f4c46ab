/**
 * Request authentication, decided per route (never by URL prefix): operator JWTs,
 * and the bootstrap ADMIN_TOKEN which acts as an admin of the first company.
 */
import { timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { ErrorCode } from '@parley/protocol';
import type { AppContext } from '../../context.js';
import { AppError } from '../../domain/errors.js';
import { actorFromToken, requireAdmin, type OperatorActor } from '../../auth/actor.js';
import type { TokenService } from '../../auth/tokens.js';

export interface AdminActor {
  companyId: number;
  /** Absent when the bootstrap admin token was used. */
  operator?: OperatorActor;
}

export interface HttpAuth {
  /** True when the request carries `Authorization: Bearer …`. */
  hasBearer(req: FastifyRequest): boolean;
  /** The calling operator; UNAUTHORIZED / TOKEN_EXPIRED / TOKEN_REVOKED / OPERATOR_BLOCKED otherwise. */
  operator(req: FastifyRequest): Promise<OperatorActor>;
  /** An admin operator, or the bootstrap admin token. */
  admin(req: FastifyRequest): Promise<AdminActor>;
  /** The company of any operator (or of the bootstrap admin token): for read-only directory calls. */
  member(req: FastifyRequest): Promise<number>;
}

function bearer(req: FastifyRequest): string | null {
  const h = req.headers.authorization;
  if (typeof h !== 'string') return null;
  const m = /^Bearer\s+(\S+)$/i.exec(h.trim());
  return m ? m[1]! : null;
}

function isBootstrapToken(token: string, expected: string): boolean {
  const a = Buffer.from(token);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

export function createHttpAuth(ctx: AppContext, tokens: TokenService, bootstrapCompanyId: () => number): HttpAuth {
  const operator = async (req: FastifyRequest) => {
    const token = bearer(req);
    if (!token) throw new AppError(ErrorCode.UNAUTHORIZED, 'send Authorization: Bearer <token>');
    return actorFromToken(ctx, tokens, token);
  };
  return {
    hasBearer: (req) => bearer(req) !== null,
    operator,
    async member(req) {
      const token = bearer(req);
      if (token && isBootstrapToken(token, ctx.config.adminToken)) return bootstrapCompanyId();
      return (await operator(req)).companyId;
    },
    async admin(req) {
      const token = bearer(req);
      if (token && isBootstrapToken(token, ctx.config.adminToken)) return { companyId: bootstrapCompanyId() };
      const actor = await operator(req);
      requireAdmin(actor);
      return { companyId: actor.companyId, operator: actor };
    },
  };
}
