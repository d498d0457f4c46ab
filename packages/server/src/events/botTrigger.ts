/** Wakes the bot for new sessions and client messages while the bot handles the session. */
import type { BotRunner } from '../bot/runner.js';
import type { Subscriber } from './bus.js';

export function botTrigger(bots: BotRunner): Subscriber {
  return {
    name: 'bot-trigger',
    handlers: {
      'session.started': (e) => {
        if (e.botStatus === 'BOT') void bots.schedule(e.sessionId);
      },
      'message.created': (e) => {
        if (e.message.authorType === 'CLIENT' && e.botStatus === 'BOT') void bots.schedule(e.sessionId);
      },
    },
  };
}
