/**
 * Scenario bots: validation of admin-supplied scenarios, the pure runner that
 * turns client messages into bot replies, and the demo scenario.
 * No I/O here; the bot service stores `ScenarioState` and posts the messages.
 */
export { validateScenario, type ScenarioValidation, type ScenarioProblem } from './validate.js';
export {
  startScenario,
  continueScenario,
  DEFAULT_FALLBACK_TEXT,
  DEFAULT_HANDOFF_KEYWORDS,
  DEFAULT_HANDOFF_TEXT,
  MAX_NODE_ENTRIES,
  type ScenarioState,
  type ScenarioStep,
  type ScenarioMessage,
  type ScenarioOutcome,
  type VarsContext,
} from './run.js';
export { renderTemplate, containsWord } from './text.js';
export { demoScenario } from './demo.js';
