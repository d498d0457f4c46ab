/**
 * The HTTP server: REST under /api/v1 (and the TWIN gateway alias /api/chats/v1),
 * OpenAPI at /docs generated from the route schemas, and /healthz.
 */
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import cors from '@fastify/cors';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { Ajv, type Options as AjvOptions } from 'ajv';
import addFormats from 'ajv-formats';
import type { AppContext } from '../../context.js';
import type { BotRunner } from '../../bot/runner.js';
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
  /** The company the bootstrap admin token acts for. */
  adminCompanyId: () => number;
}

/** The TWIN gateway prefixes that serve the same API. */
export const API_PREFIXES = ['/api/v1', '/api/chats/v1'] as const;

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
    trustProxy: true,
    routerOptions: { ignoreTrailingSlash: true },
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
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, text, done) => {
    const raw = String(text);
    if (raw.trim() === '') return done(null, undefined);
    try {
      done(null, sjson.parse(raw, null, { protoAction: 'error', constructorAction: 'error' }));
    } catch {
      done(new AppError(ErrorCode.INVALID_JSON, 'the body is not valid JSON'), undefined);
    }
  });
  app.setNotFoundHandler(notFoundHandler);

  await app.register(cors, { origin: ctx.config.corsOrigin === '*' ? true : ctx.config.corsOrigin.split(','), exposedHeaders: ['Idempotent-Replayed'] });
  await app.register(swagger, {
    openapi: {
      info: { title: 'Parley API', version: '1', description: 'TWIN-compatible chat API. Errors are `{error: {code, message, details?}}`.' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });

  await app.register(healthRoutes(ctx));
  for (const prefix of API_PREFIXES) {
    await app.register(clientRoutes(deps), { prefix });
    await app.register(adminRoutes(deps), { prefix });
  }
  return app;
}
