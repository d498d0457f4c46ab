/**
 * The composition root: the one place that constructs infrastructure and wires
 * dependencies. `startParley` is what `main.ts` and the tests call.
 */
import type { AddressInfo } from 'node:net';
import pino, { type Logger } from 'pino';
import type { FastifyInstance } from 'fastify';
import type { Config } from './config.js';
import type { AppContext } from './context.js';
import { systemClock, type Clock } from './domain/time.js';
import { EventBus } from './events/bus.js';
import { botTrigger } from './events/botTrigger.js';
import { migrate, openDb } from './persistence/db.js';
import { createUnitOfWork, forgetDelivered, pendingEvents } from './persistence/tx.js';
import { insertCompany } from './persistence/repos/directory.js';
import { operatorAvatars } from './queries/avatars.js';
import { messagesById } from './queries/messages.js';
import { BotRunner } from './bot/runner.js';
import { scenarioProvider } from './bot/scenarioProvider.js';
import { webhookProvider } from './bot/webhookProvider.js';
import { buildHttp } from './transport/http/app.js';
import { createWidgetGateway, type WidgetServer } from './transport/widget-gateway/gateway.js';
import { widgetFanout } from './transport/widget-gateway/fanout.js';
import { expireSessions, purgeIdempotencyKeys, purgeRefreshTokens } from './commands/expireSessions.js';
import { rerouteIdleSessions } from './commands/idleOperators.js';
import { TokenService, loadSigningKey } from './auth/tokens.js';
import { createHttpAuth } from './transport/http/auth.js';
import { Router } from './routing/router.js';
import { routingTrigger } from './routing/subscriber.js';
import { createOperatorLive, type OperatorLive } from './transport/operator-events/live.js';
import { operatorFanout } from './transport/operator-events/fanout.js';

export interface Parley {
  readonly ctx: AppContext;
  readonly bots: BotRunner;
  readonly http: FastifyInstance;
  readonly io: WidgetServer;
  readonly router: Router;
  readonly live: OperatorLive;
  readonly tokens: TokenService;
  /** Base URL the server listens on, e.g. http://127.0.0.1:8080. */
  readonly url: string;
  /** The bootstrap company (the one the admin token acts for). */
  readonly companyId: number;
  /** Resolves when every queued event and bot turn is done. */
  settle(): Promise<void>;
  close(): Promise<void>;
}

export interface StartOptions {
  logger?: Logger;
  clock?: Clock;
}

/** Opens the database, migrates, replays undelivered events, and listens. */
export async function startParley(config: Config, opts: StartOptions = {}): Promise<Parley> {
  const log = opts.logger ?? pino({ level: config.logLevel });
  const clock = opts.clock ?? systemClock;
  const db = openDb(config.database);
  await migrate(db);
  const bus = new EventBus(log, forgetDelivered(db));
  const ctx: AppContext = {
    config, db, uow: createUnitOfWork(db, bus, () => clock.now(), log, { gatherMs: config.commitGatherMs }), bus, clock, log,
    avatars: operatorAvatars(() => ctx.config.publicUrl),
  };

  // Client connections did not survive the restart: nobody is online yet.
  await db.kysely
    .updateTable('sessions')
    .set({ client_offline_at: clock.now() })
    .where('status', '=', 'OPEN')
    .where('client_online_at', 'is not', null)
    .where((eb) => eb.or([eb('client_offline_at', 'is', null), eb('client_offline_at', '<', eb.ref('client_online_at'))]))
    .execute();

  const company = await db.kysely.selectFrom('companies').select('id').orderBy('id').limit(1).executeTakeFirst();
  const companyId = company?.id ?? (await insertCompany(db.kysely, 'Default company', clock.now()));

  const bots = new BotRunner(ctx, { scenario: scenarioProvider, webhook: webhookProvider(config.botWebhookTimeoutMs, log) });
  const tokens = new TokenService(loadSigningKey(config));
  // The router asks the live channel who is online; the live channel asks the router to serve the queue.
  let live: OperatorLive | null = null;
  const router = new Router(ctx, () => live?.online() ?? []);
  const auth = createHttpAuth(ctx, tokens, () => companyId);
  const http = await buildHttp({ ctx, bots, router, auth, tokens, online: () => live?.onlineSet() ?? new Set() });
  const io = createWidgetGateway(http.server, ctx);
  live = createOperatorLive(http.server, ctx, tokens, () => void router.drain());
  bus.register(widgetFanout(io));
  bus.register(botTrigger(bots));
  bus.register(routingTrigger(router));
  bus.register(operatorFanout(ctx, live));

  // Events committed before a crash but never delivered go out first, in order; then
  // bot turns cut short are redone.
  const pending = await pendingEvents(db, (companyId, ids) => messagesById(ctx, companyId, ids),
    (outboxId, err) => log.error({ err, outboxId }, 'an outbox row that is not events: left in place, not delivered'));
  bus.deliver(pending);
  await bus.idle();
  await bots.resumeStranded();
  // Waiting sessions are routed once consoles reconnect (each first connection drains the
  // queue) or by the periodic sweep: draining now, with nobody connected yet, would queue
  // them all and send every client the busy message.

  await http.listen({ host: config.host, port: config.port, backlog: config.listenBacklog });
  const addr = http.server.address() as AddressInfo;
  const host = config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host;
  const url = `http://${host}:${addr.port}`;
  // With an ephemeral port (PORT=0) and no PUBLIC_URL, links must name the real port.
  if (!config.publicUrlExplicit && config.port === 0) {
    (ctx as { config: Config }).config = Object.freeze({ ...config, publicUrl: url });
  }


  let sweeping = false;
  const sweeper = setInterval(() => {
    if (sweeping) return;
    sweeping = true;
    // The periodic drain also catches capacity that appeared without an event (admin changes).
    Promise.all([expireSessions(ctx), rerouteIdleSessions(ctx, router), purgeIdempotencyKeys(ctx), purgeRefreshTokens(ctx), router.drain()])
      .catch((err: unknown) => log.error({ err }, 'timers failed'))
      .finally(() => {
        sweeping = false;
      });
  }, config.sessionSweepIntervalMs);
  sweeper.unref();

  const settle = async () => {
    do {
      await bus.idle();
      await bots.idle();
      await router.idle();
    } while (!bus.isIdle() || !bots.isIdle() || !router.isIdle());
  };

  return {
    ctx, bots, http, io, router, live, tokens, url, companyId, settle,
    async close() {
      clearInterval(sweeper);
      await live!.close();
      io.disconnectSockets(true);
      await new Promise<void>((resolve) => io.close(() => resolve()));
      await http.close().catch(() => undefined);
      await settle();
      await db.close();
    },
  };
}
