/**
 * The scenario runner: a pure function from (scenario, state, client input) to the bot's
 * messages, what happens to the session next, and the new state to store.
 * Semantics are documented in docs/BOTS.md.
 */
import type { Answer, Scenario, ScenarioAnswer, ScenarioNode } from '@parley/protocol';
import { type VarsContext, containsAnyWord, normalizeReply, renderTemplate, testRegex } from './text.js';

export type { VarsContext } from './text.js';

/** Where a conversation stands; stored per session between client messages. */
export interface ScenarioState {
  /** The node waiting for the client's reply; null before the start and after the dialog ended. */
  node: string | null;
  /** Values saved by question nodes (`saveAs`). */
  vars: Record<string, string>;
  /** True after an end or handoff: the next input starts over at `start`. */
  done: boolean;
}

/** One bot message to post: the rendered body and its buttons. */
export interface ScenarioMessage {
  body: string;
  answers: Answer[];
}

/**
 * What the session does after the messages: keep waiting for the client, go to
 * operators, stay open with the dialog finished, or close.
 */
export type ScenarioOutcome = 'wait' | 'handoff' | 'end' | 'close';

/** Result of one runner call. */
export interface ScenarioStep {
  messages: ScenarioMessage[];
  outcome: ScenarioOutcome;
  state: ScenarioState;
}

/** Said by handoffs without their own text. */
export const DEFAULT_HANDOFF_TEXT = 'Переключаю на оператора';
/** Said when a reply matches nothing at a node without `next`. */
export const DEFAULT_FALLBACK_TEXT = 'Sorry, I did not understand. Please choose one of the options.';
/** Words that hand off from any waiting node unless the scenario sets its own. */
export const DEFAULT_HANDOFF_KEYWORDS: readonly string[] = ['operator', 'оператор'];
/**
 * Most nodes entered in one call. Validated scenarios cannot loop without waiting,
 * but a scenario stored before a validator change could; it then hands off instead of hanging.
 */
export const MAX_NODE_ENTRIES = 50;

/** Mutable scratch of one call. */
interface Walk {
  scenario: Scenario;
  ctx: VarsContext;
  vars: Record<string, string>;
  messages: ScenarioMessage[];
  entries: number;
}

/** Starts a conversation at `scenario.start` (a session with this bot has just begun). */
export function startScenario(scenario: Scenario, ctx: VarsContext): ScenarioStep {
  return enter(walk(scenario, ctx, {}), scenario.start);
}

/**
 * Feeds one client message to the conversation. At the waiting node, in this order:
 * a handoff keyword; an answer matched by id or text; (question) branches; `next`;
 * otherwise the fallback text with the node's answers again.
 * A finished (or never started) conversation starts over at `start`, keeping saved values.
 */
export function continueScenario(scenario: Scenario, state: ScenarioState, input: string, ctx: VarsContext): ScenarioStep {
  const w = walk(scenario, ctx, state.vars);
  if (state.done || state.node === null) return enter(w, scenario.start);
  const at = state.node;
  const node = nodeById(scenario, at);
  // The scenario may have been edited since the state was stored: start over rather than guess.
  if (node === undefined || !waits(node)) return enter(w, scenario.start);

  const reply = input.trim();
  if (containsAnyWord(reply, scenario.handoffKeywords ?? DEFAULT_HANDOFF_KEYWORDS)) return handOff(w);

  const leave = (next: string): ScenarioStep => {
    if (node.type === 'question' && node.saveAs !== undefined) {
      // Computed key: a variable named "__proto__" stays an ordinary own property.
      w.vars = { ...w.vars, [node.saveAs]: reply };
    }
    return enter(w, next);
  };

  const answer = findAnswer(w, at, node.answers ?? [], reply);
  if (answer !== undefined) return leave(answer.next);
  if (node.type === 'question') {
    for (const branch of node.branches ?? []) {
      const byWord = branch.keywords !== undefined && containsAnyWord(reply, branch.keywords);
      if (byWord || (branch.regex !== undefined && testRegex(branch.regex, reply))) return leave(branch.next);
    }
  }
  if (node.next !== undefined) return leave(node.next);

  say(w, render(w, scenario.fallbackText ?? DEFAULT_FALLBACK_TEXT), present(w, at, node.answers));
  return waitAt(w, at);
}

function walk(scenario: Scenario, ctx: VarsContext, vars: Record<string, string>): Walk {
  return { scenario, ctx, vars: { ...vars }, messages: [], entries: 0 };
}

/** Own properties only, so `next: "constructor"` in a stored scenario is just a missing node. */
function nodeById(scenario: Scenario, id: string): ScenarioNode | undefined {
  return Object.hasOwn(scenario.nodes, id) ? scenario.nodes[id] : undefined;
}

function waits(node: ScenarioNode): node is Extract<ScenarioNode, { type: 'message' | 'question' }> {
  return node.type === 'question' || (node.type === 'message' && (node.answers?.length ?? 0) > 0);
}

/** Enters `id` and follows non-waiting nodes until one waits or the dialog leaves the bot. */
function enter(w: Walk, id: string | undefined): ScenarioStep {
  let current = id;
  for (;;) {
    const node = current === undefined ? undefined : nodeById(w.scenario, current);
    w.entries += 1;
    // A dangling reference or a loop can only come from an unvalidated scenario: let a human take over.
    if (current === undefined || node === undefined || w.entries > MAX_NODE_ENTRIES) {
      say(w, DEFAULT_HANDOFF_TEXT, []);
      return finish(w, 'handoff');
    }
    switch (node.type) {
      case 'message': {
        const answers = present(w, current, node.answers);
        say(w, render(w, node.text), answers);
        if (answers.length > 0) return waitAt(w, current);
        current = node.next;
        continue;
      }
      case 'question':
        say(w, render(w, node.text), present(w, current, node.answers));
        return waitAt(w, current);
      case 'handoff':
        say(w, render(w, node.text ?? DEFAULT_HANDOFF_TEXT), []);
        return finish(w, 'handoff');
      case 'end':
        say(w, render(w, node.text ?? ''), []);
        return finish(w, node.close === true ? 'close' : 'end');
    }
  }
}

/** A handoff keyword: the scenario's own first handoff node if it has one, else the default text. */
function handOff(w: Walk): ScenarioStep {
  const id = Object.keys(w.scenario.nodes).find((key) => nodeById(w.scenario, key)?.type === 'handoff');
  if (id !== undefined) return enter(w, id);
  say(w, DEFAULT_HANDOFF_TEXT, []);
  return finish(w, 'handoff');
}

/** A button matches by its id or by its text, raw or as shown to the client (placeholders filled). */
function findAnswer(w: Walk, nodeId: string, answers: ScenarioAnswer[], reply: string): ScenarioAnswer | undefined {
  const wanted = normalizeReply(reply);
  if (wanted === '') return undefined;
  return answers.find((answer, i) =>
    [answer.id ?? defaultAnswerId(nodeId, i), answer.text, render(w, answer.text)].some((candidate) => normalizeReply(candidate) === wanted),
  );
}

function defaultAnswerId(nodeId: string, index: number): string {
  return `${nodeId}:${index}`;
}

function present(w: Walk, nodeId: string, answers: ScenarioAnswer[] | undefined): Answer[] {
  return (answers ?? []).map((answer, i) => ({ id: answer.id ?? defaultAnswerId(nodeId, i), text: render(w, answer.text) }));
}

function render(w: Walk, text: string): string {
  return renderTemplate(text, w.vars, w.ctx);
}

/** Skips a message that would be blank and buttonless (e.g. `{{city}}` with no city): widgets show empty bubbles. */
function say(w: Walk, body: string, answers: Answer[]): void {
  if (body.trim() === '' && answers.length === 0) return;
  w.messages.push({ body, answers });
}

function waitAt(w: Walk, node: string): ScenarioStep {
  return { messages: w.messages, outcome: 'wait', state: { node, vars: w.vars, done: false } };
}

function finish(w: Walk, outcome: Exclude<ScenarioOutcome, 'wait'>): ScenarioStep {
  return { messages: w.messages, outcome, state: { node: null, vars: w.vars, done: true } };
}
