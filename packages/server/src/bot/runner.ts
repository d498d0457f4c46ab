/**
 * Runs bot turns, one session at a time (a per-session queue), in order of the
 * client's messages. A turn is idempotent: it answers only client messages after
 * `bot_processed_seq` and commits with a compare-and-set on it, so a replayed
 * event or a second runner never answers twice.
 */
import type { AppContext } from '../context.js';
import type { BotRow, ClientRow, SessionRow } from '../persistence/schema.js';
import { findBot, findChat, findClient } from '../persistence/repos/directory.js';
import { findSession } from '../persistence/repos/sessions.js';
import { clientMessagesAfter } from '../persistence/repos/messages.js';
import { appendMessage } from '../commands/appendMessage.js';
import { closeOpenSession, handOff } from '../commands/lifecycle.js';
import type { BotInput, BotProvider, BotReply } from './provider.js';

interface StoredBotState {
  started?: boolean;
  provider?: unknown;
}

export class BotRunner {
  private readonly queues = new Map<string, Promise<void>>();

  constructor(
    private readonly ctx: AppContext,
    private readonly providers: Record<BotRow['type'], BotProvider>,
  ) {}

  /** Queues a turn for the session; resolves when it (and everything queued before it) is done. */
  schedule(sessionId: string): Promise<void> {
    const prev = this.queues.get(sessionId) ?? Promise.resolve();
    const next = prev.then(() => this.turn(sessionId)).catch((err: unknown) => {
      this.ctx.log.error({ err, sessionId }, 'bot turn failed');
    });
    this.queues.set(sessionId, next);
    void next.finally(() => {
      if (this.queues.get(sessionId) === next) this.queues.delete(sessionId);
    });
    return next;
  }

  /**
   * Queues turns for sessions the bot still owes an answer (greeting or client
   * messages): work lost when the process stopped mid-turn.
   */
  async resumeStranded(): Promise<number> {
    const rows = await this.ctx.db.kysely
      .selectFrom('sessions as s')
      .select('s.id')
      .where('s.status', '=', 'OPEN')
      .where('s.bot_status', '=', 'BOT')
      .where((eb) =>
        eb.or([
          eb('s.bot_state', '=', '{}'),
          eb.exists(eb.selectFrom('messages as m').select('m.id').whereRef('m.session_id', '=', 's.id').where('m.author_type', '=', 'CLIENT').whereRef('m.seq', '>', 's.bot_processed_seq')),
        ]),
      )
      .execute();
    for (const r of rows) void this.schedule(r.id);
    return rows.length;
  }

  /** Resolves when no turn is queued for any session; for tests and shutdown. */
  async idle(): Promise<void> {
    while (this.queues.size > 0) await Promise.all([...this.queues.values()]);
  }

  isIdle(): boolean {
    return this.queues.size === 0;
  }

  private async turn(sessionId: string): Promise<void> {
    const { ctx } = this;
    let session = await findSession(ctx.db.kysely, sessionId);
    if (!session || session.status !== 'OPEN' || session.bot_status !== 'BOT') return;
    const bot = session.bot_id ? await findBot(ctx.db.kysely, session.bot_id) : undefined;
    const chat = await findChat(ctx.db.kysely, session.chat_id);
    const client = await findClient(ctx.db.kysely, session.client_id);
    if (!bot || !chat || !client) {
      await ctx.uow.run(async (tx) => session && handOff(ctx, tx, session));
      return;
    }
    const state = JSON.parse(session.bot_state) as StoredBotState;
    const pending = await clientMessagesAfter(ctx.db.kysely, session.id, session.bot_processed_seq);
    const inputs: { input: BotInput; seq: number }[] = [];
    if (!state.started) {
      // With answerOnFirstClientMessage the greeting waits for (and answers) the first client message.
      const first = pending[0];
      if (chat.answer_on_first_client_message === 1 && !first) return;
      const trigger = chat.answer_on_first_client_message === 1 && first ? first : undefined;
      inputs.push({
        input: trigger ? { kind: 'start', first: { messageId: trigger.id, body: trigger.body } } : { kind: 'start' },
        seq: trigger ? trigger.seq : session.bot_processed_seq,
      });
      if (chat.answer_on_first_client_message === 1) pending.shift();
    }
    for (const m of pending) inputs.push({ input: { kind: 'message', messageId: m.id, body: m.body }, seq: m.seq });

    let providerState = state.provider;
    for (const { input, seq } of inputs) {
      this.ctx.bus.publish({ type: 'session.typing', companyId: session.company_id, sessionId, authorType: 'BOT', authorId: bot.id });
      const reply = await this.callProvider(bot, session, client, providerState, input);
      providerState = reply.state;
      let next: SessionRow | null;
      try {
        next = await this.commit(session, bot, seq, reply);
      } catch (err) {
        // A reply that cannot be stored must not strand the client with a silent bot.
        this.ctx.log.error({ err, sessionId }, 'storing the bot reply failed; handing off');
        const current = session;
        await ctx.uow.run((tx) => handOff(ctx, tx, current));
        return;
      }
      if (!next || reply.action !== 'wait') return;
      session = next;
    }
  }

  private async callProvider(bot: BotRow, session: SessionRow, client: ClientRow, state: unknown, input: BotInput): Promise<BotReply> {
    const provider = this.providers[bot.type];
    try {
      return await provider.turn(
        {
          bot, sessionId: session.id, chatId: session.chat_id, state,
          client: {
            id: client.id, externalId: client.external_id, name: client.name, email: client.email, phone: client.phone,
            metadata: JSON.parse(client.metadata) as Record<string, string>,
          },
        },
        input,
      );
    } catch (err) {
      this.ctx.log.error({ err, botId: bot.id, sessionId: session.id }, 'bot provider failed; handing off');
      return { messages: [], action: 'handoff', state };
    }
  }

  /** Stores the replies and the action; returns the updated session, or null when another turn got there first. */
  private async commit(session: SessionRow, bot: BotRow, seq: number, reply: BotReply): Promise<SessionRow | null> {
    const { ctx } = this;
    return ctx.uow.run(async (tx) => {
      const botState = JSON.stringify({ started: true, provider: reply.state } satisfies StoredBotState);
      const claimed = await tx.db
        .updateTable('sessions')
        .set({ bot_state: botState, bot_processed_seq: seq })
        .where('id', '=', session.id)
        .where('status', '=', 'OPEN')
        .where('bot_status', '=', 'BOT')
        .where('bot_processed_seq', '=', session.bot_processed_seq)
        .where('bot_state', '=', session.bot_state)
        .executeTakeFirst();
      if (claimed.numUpdatedRows === 0n) return null;
      for (const m of reply.messages) {
        await appendMessage(ctx, tx, session, { authorType: 'BOT', authorId: bot.id, authorName: bot.name, body: m.body, answers: m.answers });
      }
      // Object.assign rather than a spread with more fields, which builds new hidden classes on every call (see appendMessage's messageRow).
      const updated: SessionRow = Object.assign({}, session, { bot_state: botState, bot_processed_seq: seq });
      if (reply.action === 'handoff') await handOff(ctx, tx, updated);
      if (reply.action === 'close') await closeOpenSession(ctx, tx, updated, 'BOT', 'closed by bot');
      return updated;
    });
  }
}
