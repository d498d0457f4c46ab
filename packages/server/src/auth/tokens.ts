/**
 * Operator credentials: short-lived HS256 JWT access tokens and rotating opaque
 * refresh tokens (stored hashed). A token carries the operator's `token_version`;
 * bumping it (logout, block) revokes every token at once.
 */
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { SignJWT, errors as joseErrors, jwtVerify } from 'jose';
import { ErrorCode } from '@parley/protocol';
import type { Config } from '../config.js';
import { AppError } from '../domain/errors.js';

export interface TokenClaims {
  operatorId: number;
  companyId: number;
  role: 'ADMIN' | 'OPERATOR';
  version: number;
  expiresAt: number;
}

/** The signing key: JWT_SECRET, or a random key generated once and kept in DATA_DIR. */
export function loadSigningKey(config: Config): Uint8Array {
  if (config.jwtSecret) return new TextEncoder().encode(config.jwtSecret);
  const file = path.join(config.dataDir, 'jwt-secret');
  if (!fs.existsSync(file)) {
    fs.mkdirSync(config.dataDir, { recursive: true });
    fs.writeFileSync(file, randomBytes(48).toString('base64url'), { mode: 0o600, flag: 'wx' });
  }
  return new TextEncoder().encode(fs.readFileSync(file, 'utf8').trim());
}

/** Verified tokens remembered, so a busy operator's requests skip the signature check. */
const VERIFIED_CACHE = 10_000;

export class TokenService {
  /** token → claims, for tokens whose signature checked out; entries leave at expiry. Revocation is checked per request by the caller. */
  private readonly verified = new Map<string, TokenClaims>();

  constructor(private readonly key: Uint8Array) {}

  async issue(claims: Omit<TokenClaims, 'expiresAt'>, ttlSeconds: number): Promise<string> {
    return new SignJWT({ cid: claims.companyId, role: claims.role, ver: claims.version })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setSubject(String(claims.operatorId))
      .setIssuedAt()
      .setExpirationTime(Math.floor(Date.now() / 1000) + ttlSeconds)
      .setJti(randomBytes(8).toString('hex'))
      .sign(this.key);
  }

  /** Verifies signature and expiry; throws TOKEN_EXPIRED or UNAUTHORIZED. */
  async verify(token: string): Promise<TokenClaims> {
    const known = this.verified.get(token);
    if (known && known.expiresAt > Date.now()) return known;
    if (known) this.verified.delete(token);
    const claims = await this.check(token);
    if (this.verified.size >= VERIFIED_CACHE) this.verified.delete(this.verified.keys().next().value!);
    this.verified.set(token, claims);
    return claims;
  }

  private async check(token: string): Promise<TokenClaims> {
    try {
      const { payload } = await jwtVerify(token, this.key, { algorithms: ['HS256'] });
      const operatorId = Number(payload.sub);
      const { cid, role, ver } = payload as { cid?: unknown; role?: unknown; ver?: unknown };
      if (!Number.isInteger(operatorId) || typeof cid !== 'number' || (role !== 'ADMIN' && role !== 'OPERATOR') || typeof ver !== 'number') {
        throw new AppError(ErrorCode.UNAUTHORIZED, 'malformed token');
      }
      return { operatorId, companyId: cid, role, version: ver, expiresAt: (payload.exp ?? 0) * 1000 };
    } catch (err) {
      if (err instanceof AppError) throw err;
      if (err instanceof joseErrors.JWTExpired) throw new AppError(ErrorCode.TOKEN_EXPIRED, 'the token has expired');
      throw new AppError(ErrorCode.UNAUTHORIZED, 'invalid token');
    }
  }
}

/** A new opaque refresh token and the hash under which it is stored. */
export function newRefreshToken(): { token: string; id: string } {
  const token = randomBytes(32).toString('base64url');
  return { token, id: hashRefreshToken(token) };
}

export function hashRefreshToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}
