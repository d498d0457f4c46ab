/**
 * The HTTP server: REST under /api/v1 (and the TWIN gateway alias /api/chats/v1),
 * OpenAPI at /docs generated from the route schemas, and /healthz.
 */
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyReply } from 'fastify';
import cors from '@fastify/cors';
import multipart from '@fastify/multipart';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { Ajv, type Options as AjvOptions } from 'ajv';
import addFormats from 'ajv-formats';
import type { AppContext } from '../../context.js';
import type { BotRunner } from '../../bot/runner.js';
import type { Router } from '../../routing/router.js';
import type { TokenService } from '../../auth/tokens.js';
import type { HttpAuth } from './auth.js';
import { operatorRoutes } from './routes/operator.js';
import { operatorAdminRoutes } from './routes/operatorAdmin.js';
import { fileRoutes } from './routes/files.js';
import { uiRoutes } from './routes/ui.js';
import sjson from 'secure-json-parse';
import { ErrorCode } from '@parley/protocol';
import { AppError } from '../../domain/errors.js';
import { errorHandler, notFoundHandler } from './errors.js';
import { clientRoutes } from './routes/client.js';
import { adminRoutes } from './routes/admin.js';
import { healthRoutes } from './routes/health.js';

export interface HttpDeps {
  ctx: AppContext;
  bots: BotRunner;
  router: Router;
  auth: HttpAuth;
  tokens: TokenService;
  /** Ids of operators connected to the live channel now. */
  online: () => ReadonlySet<number>;
}

/** The TWIN gateway prefixes that serve the same API. */
export const API_PREFIXES = ['/api/v1', '/api/chats/v1'] as const;

const UUID_ANY_CASE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The first problem a JSON body cannot be stored with: U+0000 in text, or nesting deeper than 64. */
function unstorable(value: unknown, path = '', depth = 0): { path: string; message: string } | null {
  if (typeof value === 'string') return value.includes('\u0000') ? { path: path || '/', message: 'must not contain U+0000' } : null;
  if (typeof value !== 'object' || value === null) return null;
  if (depth >= 64) return { path: path || '/', message: 'is nested too deeply (64 levels at most)' };
  for (const [k, v] of Object.entries(value)) {
    if (k.includes('\u0000')) return { path: path || '/', message: 'keys must not contain U+0000' };
    const hit = unstorable(v, `${path}/${k}`, depth + 1);
    if (hit) return hit;
  }
  return null;
}

function makeAjv(opts: AjvOptions): Ajv {
  const ajv = new Ajv({ allErrors: true, strict: false, ...opts });
  addFormats.default(ajv);
  return ajv;
}

export async function buildHttp(deps: HttpDeps): Promise<FastifyInstance> {
  const { ctx } = deps;
  const app = Fastify({
    loggerInstance: ctx.log as FastifyBaseLogger,
    bodyLimit: ctx.config.bodyLimitBytes,
    trustProxy: ctx.config.trustProxy,
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 200 },
    // Malformed URLs get the same error envelope as everything else.
    frameworkErrors: (err, _req, reply) => {
      void (reply as FastifyReply).code(400).send({ error: { code: ErrorCode.VALIDATION_FAILED, message: `bad request: ${err.message}` } });
    },
    logController: new LogController({ disableRequestLogging: ctx.config.logLevel !== 'debug' && ctx.config.logLevel !== 'trace' }),
  });
  // Bodies are validated strictly (a number is not a string); query strings and path
  // parameters are text on the wire, so they are coerced.
  const bodyAjv = makeAjv({ coerceTypes: false, useDefaults: true, removeAdditional: false });
  const paramAjv = makeAjv({ coerceTypes: true, useDefaults: true, removeAdditional: false });
  app.setValidatorCompiler(({ schema, httpPart }) => (httpPart === 'body' ? bodyAjv : paramAjv).compile(schema));
  app.setErrorHandler(errorHandler);
  // JSON bodies: an empty body is "no body" (DELETE and PATCH calls often send the
  // header without one); prototype-poisoning keys are refused.
  app.removeContentTypeParser('text/plain');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, text, done) => {
    const raw = String(text);
    if (raw.trim() === '') return done(null, undefined);
    let value: unknown;
    try {
      value = sjson.parse(raw, null, { protoAction: 'error', constructorAction: 'error' });
    } catch {
      return done(new AppError(ErrorCode.INVALID_JSON, 'the body is not valid JSON'), undefined);
    }
    const bad = unstorable(value);
    if (bad) return done(new AppError(ErrorCode.VALIDATION_FAILED, `${bad.path} ${bad.message}`, [bad]), undefined);
    done(null, value);
  });
  app.addHook('onRequest', async (req) => {
    // NUL cannot be stored (PostgreSQL text) and is never a valid id or filter.
    if (/%00|\u0000/i.test(req.url)) throw new AppError(ErrorCode.VALIDATION_FAILED, 'the URL must not contain U+0000');
  });
  app.addHook('preValidation', async (req) => {
    // Ids are lower-case UUIDs; accept any case on the way in.
    const params = req.params as Record<string, unknown> | undefined;
    if (params) for (const [k, v] of Object.entries(params)) if (typeof v === 'string' && UUID_ANY_CASE.test(v)) params[k] = v.toLowerCase();
  });
  app.setNotFoundHandler(notFoundHandler);

  await app.register(cors, {
    origin: ctx.config.corsOrigins,
    methods: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'],
    allowedHeaders: ['content-type', 'authorization', 'idempotency-key'],
    exposedHeaders: ['Idempotent-Replayed'],
  });
  await app.register(multipart, { limits: { fileSize: 10 * 1024 * 1024, files: 1, fields: 10 } });
  await app.register(swagger, {
    openapi: {
      info: { title: 'Parley API', version: '1', description: 'TWIN-compatible chat API. Errors are `{error: {code, message, details?}}`.' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });

  await app.register(healthRoutes(ctx));
  await app.register(uiRoutes(deps));
  for (const prefix of API_PREFIXES) {
    await app.register(clientRoutes(deps), { prefix });
    await app.register(adminRoutes(deps), { prefix });
    await app.register(operatorRoutes(deps), { prefix });
    await app.register(operatorAdminRoutes(deps), { prefix });
    await app.register(fileRoutes(deps), { prefix });
  }
  return app;
}
