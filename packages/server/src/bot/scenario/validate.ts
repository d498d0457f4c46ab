/**
 * The scenario validator behind `POST /bots` and `PUT /bots/{botId}`.
 * It reports every problem at once, each with a JSON pointer, so an editor can
 * mark all mistakes in one round trip instead of one per save attempt.
 */
import type { Scenario, ScenarioNode } from '@parley/protocol';
import { type Checker, type ScenarioProblem, checkKeys, isRecord, nodeRef, optionalText, pointer, report, wordList } from './checks.js';
import { checkNode } from './nodes.js';

export type { ScenarioProblem } from './checks.js';

/** Result of {@link validateScenario}. */
export type ScenarioValidation = { ok: true; scenario: Scenario } | { ok: false; problems: ScenarioProblem[] };

const NODE_ID = /^[A-Za-z0-9_.-]{1,64}$/;
const ROOT_KEYS = ['start', 'nodes', 'handoffKeywords', 'fallbackText'] as const;

/**
 * Checks an untrusted scenario document (as posted to the admin API).
 * On success returns it normalised: only known keys, every answer with an `id`
 * (`<nodeId>:<index>` when it had none). On failure lists every problem found.
 */
export function validateScenario(input: unknown): ScenarioValidation {
  if (!isRecord(input)) {
    return { ok: false, problems: [{ path: '', message: 'A scenario must be a JSON object with "start" and "nodes".' }] };
  }
  const c: Checker = { problems: [], ids: null };
  checkKeys(c, input, ROOT_KEYS, '', 'the scenario');

  const rawNodes = input.nodes;
  if (!isRecord(rawNodes)) {
    report(c, '/nodes', 'nodes must be an object mapping node ids to nodes.');
  } else {
    c.ids = new Set(Object.keys(rawNodes));
    if (c.ids.size === 0) report(c, '/nodes', 'nodes must contain at least one node.');
  }

  const start = nodeRef(c, input.start, '/start', 'start') ?? '';

  const nodes: Record<string, ScenarioNode> = {};
  if (isRecord(rawNodes)) {
    for (const [id, raw] of Object.entries(rawNodes)) {
      const path = '/nodes' + pointer(id);
      if (!NODE_ID.test(id)) {
        report(c, path, `Node id "${id}" must be 1 to 64 characters of letters A-Z a-z, digits, "_", "." or "-".`);
      }
      const node = checkNode(c, id, raw, path);
      // defineProperty: an id like "__proto__" must become a key, not replace the prototype.
      if (node !== undefined) Object.defineProperty(nodes, id, { value: node, enumerable: true, writable: true, configurable: true });
    }
    reportLoops(c, nodes);
  }

  const scenario: Scenario = { start, nodes };
  const keywords = wordList(c, input.handoffKeywords, '/handoffKeywords', 'handoffKeywords', 0);
  if (keywords !== undefined) scenario.handoffKeywords = keywords;
  const fallbackText = optionalText(c, input.fallbackText, '/fallbackText', 'fallbackText', undefined, false);
  if (fallbackText !== undefined) scenario.fallbackText = fallbackText;

  return c.problems.length === 0 ? { ok: true, scenario } : { ok: false, problems: c.problems };
}

/**
 * A message node without answers goes on to `next` at once. A cycle made only of such
 * nodes would never wait for the client, so the runner would spin until its guard.
 * Each of them has exactly one outgoing edge, so following `next` finds every cycle.
 */
function reportLoops(c: Checker, nodes: Record<string, ScenarioNode>): void {
  const nextOf = (id: string): string | undefined => {
    const node = Object.hasOwn(nodes, id) ? nodes[id] : undefined;
    if (node?.type !== 'message' || (node.answers?.length ?? 0) > 0) return undefined;
    return node.next;
  };
  const finished = new Set<string>();
  for (const first of Object.keys(nodes)) {
    const trail: string[] = [];
    let id: string | undefined = first;
    while (id !== undefined && !finished.has(id) && !trail.includes(id)) {
      trail.push(id);
      id = nextOf(id);
    }
    if (id !== undefined && trail.includes(id)) {
      const loop = trail.slice(trail.indexOf(id));
      const shown = [...loop, id].map((n) => `"${n}"`).join(' → ');
      report(c, `/nodes${pointer(id)}/next`, `Nodes ${shown} form a loop of message nodes without answers; it would never wait for the client.`);
    }
    for (const seen of trail) finished.add(seen);
  }
}
