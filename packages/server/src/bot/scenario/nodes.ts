/**
 * Validation of a single scenario node, its answers and its branches.
 * Returns the normalised node (answer ids filled in); the caller uses it only
 * when the whole scenario turned out valid.
 */
import type { EndNode, HandoffNode, MessageNode, QuestionNode, ScenarioAnswer, ScenarioBranch, ScenarioNode } from '@parley/protocol';
import {
  type Checker,
  checkKeys,
  isRecord,
  nodeRef,
  optionalText,
  pointer,
  report,
  requiredText,
  show,
  wordList,
} from './checks.js';
import { normalizeReply } from './text.js';

/** Most buttons one node may offer (the widget lays them out in one block). */
export const MAX_ANSWERS = 20;
/** Longest branch regex: long patterns are where catastrophic backtracking hides. */
export const MAX_REGEX = 500;
const MAX_BRANCHES = 50;
const MAX_ANSWER_TEXT = 1000;

const NODE_KEYS = {
  message: ['type', 'text', 'answers', 'next'],
  question: ['type', 'text', 'answers', 'branches', 'saveAs', 'next'],
  handoff: ['type', 'text'],
  end: ['type', 'text', 'close'],
} as const satisfies Record<ScenarioNode['type'], readonly string[]>;
type NodeType = keyof typeof NODE_KEYS;

const SAVE_AS = /^[A-Za-z_][A-Za-z0-9_]*$/;

function isNodeType(value: unknown): value is NodeType {
  return typeof value === 'string' && Object.hasOwn(NODE_KEYS, value);
}

/** Checks one node found at `path` (`/nodes/<id>`). */
export function checkNode(c: Checker, id: string, raw: unknown, path: string): ScenarioNode | undefined {
  if (!isRecord(raw)) {
    report(c, path, `Node "${id}" must be an object with a "type", not ${show(raw)}.`);
    return undefined;
  }
  const type = raw.type;
  if (!isNodeType(type)) {
    // Without a known type we cannot tell which keys belong, so the node's other checks are skipped.
    report(c, `${path}/type`, `type must be one of "message", "question", "handoff", "end", not ${show(type)}.`);
    return undefined;
  }
  checkKeys(c, raw, NODE_KEYS[type], path, `a ${type} node`);
  switch (type) {
    case 'message':
      return checkMessage(c, id, raw, path);
    case 'question':
      return checkQuestion(c, id, raw, path);
    case 'handoff': {
      const node: HandoffNode = { type };
      const text = optionalText(c, raw.text, `${path}/text`, 'text');
      if (text !== undefined) node.text = text;
      return node;
    }
    case 'end': {
      const node: EndNode = { type };
      const text = optionalText(c, raw.text, `${path}/text`, 'text');
      if (text !== undefined) node.text = text;
      if (raw.close !== undefined && typeof raw.close !== 'boolean') {
        report(c, `${path}/close`, `close must be true or false, not ${show(raw.close)}.`);
      } else if (raw.close !== undefined) {
        node.close = raw.close;
      }
      return node;
    }
  }
}

function checkMessage(c: Checker, id: string, raw: Record<string, unknown>, path: string): MessageNode {
  const node: MessageNode = { type: 'message', text: requiredText(c, raw.text, `${path}/text`, 'text') ?? '' };
  const answers = checkAnswers(c, id, raw.answers, `${path}/answers`);
  if (answers !== undefined) node.answers = answers;
  if (raw.next !== undefined) {
    const next = nodeRef(c, raw.next, `${path}/next`, 'next');
    if (next !== undefined) node.next = next;
  } else if (raw.answers === undefined || (Array.isArray(raw.answers) && raw.answers.length === 0)) {
    // A message without answers does not wait, so it has to lead somewhere.
    report(c, `${path}/next`, 'A message node without answers must have "next": it does not wait for the client.');
  }
  return node;
}

function checkQuestion(c: Checker, id: string, raw: Record<string, unknown>, path: string): QuestionNode {
  const node: QuestionNode = { type: 'question', text: requiredText(c, raw.text, `${path}/text`, 'text') ?? '' };
  const answers = checkAnswers(c, id, raw.answers, `${path}/answers`);
  if (answers !== undefined) node.answers = answers;
  const branches = checkBranches(c, raw.branches, `${path}/branches`);
  if (branches !== undefined) node.branches = branches;
  if (raw.saveAs !== undefined) {
    if (typeof raw.saveAs === 'string' && SAVE_AS.test(raw.saveAs) && raw.saveAs.length <= 64) node.saveAs = raw.saveAs;
    else report(c, `${path}/saveAs`, `saveAs must be a variable name of letters, digits and "_" not starting with a digit (at most 64), not ${show(raw.saveAs)}.`);
  }
  if (raw.next !== undefined) {
    const next = nodeRef(c, raw.next, `${path}/next`, 'next');
    if (next !== undefined) node.next = next;
  }
  const empty = (value: unknown): boolean => value === undefined || (Array.isArray(value) && value.length === 0);
  if (empty(raw.answers) && empty(raw.branches) && raw.next === undefined) {
    // Only a handoff keyword could ever leave such a node: the client would be stuck in the fallback.
    report(c, path, 'A question node needs answers, branches or "next"; otherwise no reply can leave it.');
  }
  return node;
}

function checkAnswers(c: Checker, nodeId: string, value: unknown, path: string): ScenarioAnswer[] | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value)) {
    report(c, path, `answers must be an array, not ${show(value)}.`);
    return undefined;
  }
  const items: unknown[] = value;
  if (items.length > MAX_ANSWERS) report(c, path, `A node may offer at most ${MAX_ANSWERS} answers, not ${items.length}.`);
  const answers: ScenarioAnswer[] = [];
  // Matching is case-insensitive, so uniqueness is too: "Yes" and "yes" could not be told apart.
  const ids = new Map<string, number>();
  const texts = new Map<string, number>();
  items.forEach((item, i) => {
    const at = path + pointer(i);
    if (!isRecord(item)) {
      report(c, at, `Each answer must be an object with "text" and "next", not ${show(item)}.`);
      return;
    }
    checkKeys(c, item, ['id', 'text', 'next'], at, 'an answer');
    let id = `${nodeId}:${i}`;
    if (item.id !== undefined) {
      const explicit = requiredText(c, item.id, `${at}/id`, 'answer id', 200);
      if (explicit !== undefined) id = explicit;
    }
    const seenId = ids.get(normalizeReply(id));
    if (seenId !== undefined) {
      report(c, item.id !== undefined ? `${at}/id` : at, `Answer id "${id}" is already used by answer ${seenId} of this node.`);
    } else {
      ids.set(normalizeReply(id), i);
    }
    const text = requiredText(c, item.text, `${at}/text`, 'answer text', MAX_ANSWER_TEXT);
    if (text !== undefined) {
      const seenText = texts.get(normalizeReply(text));
      if (seenText !== undefined) report(c, `${at}/text`, `Answer text "${text}" is already used by answer ${seenText} of this node.`);
      else texts.set(normalizeReply(text), i);
    }
    const next = nodeRef(c, item.next, `${at}/next`, 'next');
    answers.push({ id, text: text ?? '', next: next ?? '' });
  });
  return answers;
}

function checkBranches(c: Checker, value: unknown, path: string): ScenarioBranch[] | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value)) {
    report(c, path, `branches must be an array, not ${show(value)}.`);
    return undefined;
  }
  const items: unknown[] = value;
  if (items.length > MAX_BRANCHES) report(c, path, `A node may have at most ${MAX_BRANCHES} branches, not ${items.length}.`);
  const branches: ScenarioBranch[] = [];
  items.forEach((item, i) => {
    const at = path + pointer(i);
    if (!isRecord(item)) {
      report(c, at, `Each branch must be an object with "next" and "keywords" or "regex", not ${show(item)}.`);
      return;
    }
    checkKeys(c, item, ['keywords', 'regex', 'next'], at, 'a branch');
    const branch: ScenarioBranch = { next: nodeRef(c, item.next, `${at}/next`, 'next') ?? '' };
    const keywords = wordList(c, item.keywords, `${at}/keywords`, 'keywords', 1);
    if (keywords !== undefined) branch.keywords = keywords;
    const regex = optionalText(c, item.regex, `${at}/regex`, 'regex', MAX_REGEX, false);
    if (regex !== undefined) {
      try {
        new RegExp(regex, 'iu');
        branch.regex = regex;
      } catch (err) {
        report(c, `${at}/regex`, `regex does not compile with flags "iu": ${err instanceof Error ? err.message : String(err)}.`);
      }
    }
    if (item.keywords === undefined && item.regex === undefined) {
      report(c, at, 'A branch needs "keywords" or "regex" (or both).');
    }
    branches.push(branch);
  });
  return branches;
}
