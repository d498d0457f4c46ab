import type { FastifyPluginAsync } from 'fastify';
import { Type } from '@sinclair/typebox';
import type { AppContext } from '../../../context.js';

/** `GET /healthz`: 200 when the database answers, 503 otherwise. */
export function healthRoutes(ctx: AppContext): FastifyPluginAsync {
  return async (app) => {
    app.get(
      '/healthz',
      {
        schema: {
          tags: ['health'],
          response: { 200: Type.Object({ status: Type.Literal('ok'), database: Type.String() }), 503: Type.Object({ status: Type.Literal('unavailable'), database: Type.String() }) },
        },
      },
      async (_req, reply) => {
        try {
          await ctx.db.ping();
          return { status: 'ok' as const, database: ctx.db.dialect };
        } catch (err) {
          ctx.log.warn({ err }, 'health check: database unreachable');
          return reply.status(503).send({ status: 'unavailable' as const, database: ctx.db.dialect });
        }
      },
    );
  };
}
