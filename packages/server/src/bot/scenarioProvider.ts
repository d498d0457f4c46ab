/** Runs stored scenarios (validated on save) through the pure scenario engine. */
import type { Scenario } from '@parley/protocol';
import { continueScenario, startScenario, type ScenarioState } from './scenario/index.js';
import type { BotProvider, BotReply, BotTurnContext, BotInput } from './provider.js';

export const scenarioProvider: BotProvider = {
  async turn(ctx: BotTurnContext, input: BotInput): Promise<BotReply> {
    const scenario = JSON.parse(ctx.bot.config) as Scenario;
    const vars = { metadata: ctx.client.metadata, client: { name: ctx.client.name, email: ctx.client.email, phone: ctx.client.phone } };
    const step =
      input.kind === 'start' || ctx.state === undefined
        ? startScenario(scenario, vars)
        : continueScenario(scenario, ctx.state as ScenarioState, input.body, vars);
    const action = step.outcome === 'wait' ? 'wait' : step.outcome;
    return { messages: step.messages, action, state: step.state };
  },
};
