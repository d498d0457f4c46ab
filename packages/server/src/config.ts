/**
 * Environment → validated, frozen configuration. Every problem is reported at once.
 * The README's configuration table documents each variable.
 */
import { randomBytes } from 'node:crypto';
import path from 'node:path';

export interface Config {
  readonly host: string;
  readonly port: number;
  /**
   * Length of the kernel's queue of connections not yet accepted (the kernel caps it at
   * net.core.somaxconn). When every widget reconnects at once, after a restart or a
   * network blip, a short queue overflows while the event loop is busy and the kernel
   * resets the connections it cannot queue.
   */
  readonly listenBacklog: number;
  /** Public base URL used in printed links and file URLs. */
  readonly publicUrl: string;
  /** False when publicUrl was derived from PORT. */
  readonly publicUrlExplicit: boolean;
  /** `sqlite` (embedded default) or `postgres` (when DATABASE_URL is a postgres:// URL). */
  readonly database: { readonly kind: 'sqlite'; readonly file: string } | { readonly kind: 'postgres'; readonly url: string };
  readonly dataDir: string;
  readonly logLevel: string;
  /** Bearer token for the admin REST API until operator accounts exist. */
  readonly adminToken: string;
  /** True when ADMIN_TOKEN was not set and a random one was generated. */
  readonly adminTokenGenerated: boolean;
  readonly bodyLimitBytes: number;
  readonly botWebhookTimeoutMs: number;
  readonly sessionSweepIntervalMs: number;
  /**
   * PostgreSQL group commit: after a transaction of several messages, wait up to this long
   * (0 = never, the default) for more to join the next one when fewer than four are queued. See
   * docs/performance.md, "Gathering a transaction on PostgreSQL".
   */
  readonly commitGatherMs: number;
  /** `true` (any origin) or the allowed origins, for REST and Socket.IO alike. */
  readonly corsOrigins: true | string[];
  /** Trust X-Forwarded-For from proxies (client IPs); off unless Parley runs behind a proxy. */
  readonly trustProxy: boolean;
  /** HMAC key for operator JWTs; from JWT_SECRET, else generated once into DATA_DIR. */
  readonly jwtSecret: string | null;
  /** Default access-token lifetime in seconds (a login may ask for another, up to 30 days). */
  readonly tokenTtlSeconds: number;
  readonly refreshTokenTtlSeconds: number;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n  - ${problems.join('\n  - ')}`);
  }
}

type Env = Record<string, string | undefined>;

function intVar(env: Env, name: string, def: number, min: number, max: number, problems: string[]): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return def;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) {
    problems.push(`${name} must be an integer between ${min} and ${max} (got "${raw}")`);
    return def;
  }
  return n;
}

/** Reads the configuration from `env`; throws ConfigError listing every problem. */
export function loadConfig(env: Env = process.env): Config {
  const problems: string[] = [];
  const port = intVar(env, 'PORT', 8080, 0, 65535, problems);
  const host = env.HOST || '0.0.0.0';
  const listenBacklog = intVar(env, 'LISTEN_BACKLOG', 4096, 1, 65_535, problems);
  const dataDir = path.resolve(env.DATA_DIR || './data');
  const dbUrl = env.DATABASE_URL || '';
  let database: Config['database'];
  if (dbUrl === '' || dbUrl.startsWith('sqlite:') || dbUrl.startsWith('file:')) {
    const file = dbUrl.replace(/^(sqlite|file):(\/\/)?/, '');
    database = { kind: 'sqlite', file: file ? path.resolve(file) : path.join(dataDir, 'parley.db') };
  } else if (/^postgres(ql)?:\/\//.test(dbUrl)) {
    database = { kind: 'postgres', url: dbUrl };
  } else {
    problems.push(`DATABASE_URL must be postgres://… or sqlite:<file> (got "${dbUrl}")`);
    database = { kind: 'sqlite', file: path.join(dataDir, 'parley.db') };
  }
  const logLevel = env.LOG_LEVEL || 'info';
  if (!['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].includes(logLevel)) {
    problems.push(`LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent (got "${logLevel}")`);
  }
  const adminTokenGenerated = !env.ADMIN_TOKEN;
  const adminToken = env.ADMIN_TOKEN || randomBytes(24).toString('base64url');
  if (adminToken.length < 16) problems.push('ADMIN_TOKEN must be at least 16 characters');
  const bodyLimitBytes = intVar(env, 'BODY_LIMIT_BYTES', 1_048_576, 1024, 100 * 1_048_576, problems);
  const botWebhookTimeoutMs = intVar(env, 'BOT_WEBHOOK_TIMEOUT_MS', 5000, 100, 60_000, problems);
  const sessionSweepIntervalMs = intVar(env, 'SESSION_SWEEP_INTERVAL_MS', 30_000, 100, 3_600_000, problems);
  const commitGatherMs = intVar(env, 'COMMIT_GATHER_MS', 0, 0, 60_000, problems);
  const publicUrl = (env.PUBLIC_URL || `http://localhost:${port}`).replace(/\/+$/, '');
  const corsRaw = env.CORS_ORIGIN || '*';
  const corsOrigins: true | string[] = corsRaw === '*' ? true : corsRaw.split(',').map((o) => o.trim()).filter(Boolean);
  const trustProxy = env.TRUST_PROXY === 'true' || env.TRUST_PROXY === '1';
  const jwtSecret = env.JWT_SECRET || null;
  if (jwtSecret !== null && jwtSecret.length < 32) problems.push('JWT_SECRET must be at least 32 characters');
  const tokenTtlSeconds = intVar(env, 'TOKEN_TTL_SECONDS', 86_400, 60, 30 * 86_400, problems);
  const refreshTokenTtlSeconds = intVar(env, 'REFRESH_TOKEN_TTL_SECONDS', 30 * 86_400, 3600, 365 * 86_400, problems);
  // Read by runtime.ts before the configuration is loaded; checked here so that a typo is reported, not ignored.
  const v8Flags = env.PARLEY_V8_FLAGS ?? '';
  if (!['', 'on', 'off'].includes(v8Flags)) problems.push(`PARLEY_V8_FLAGS must be on or off (got "${v8Flags}")`);
  if (problems.length > 0) throw new ConfigError(problems);
  return Object.freeze({
    host, port, listenBacklog, publicUrl, publicUrlExplicit: Boolean(env.PUBLIC_URL), database, dataDir, logLevel, adminToken, adminTokenGenerated,
    bodyLimitBytes, botWebhookTimeoutMs, sessionSweepIntervalMs, commitGatherMs, corsOrigins, trustProxy, jwtSecret, tokenTtlSeconds, refreshTokenTtlSeconds,
  });
}
