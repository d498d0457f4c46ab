/**
 * Small building blocks of the scenario validator. Every check records its problem
 * and returns the value only when it is valid, so one pass finds every mistake.
 */

/** One mistake in a scenario: a JSON pointer into the submitted document and an English message. */
export interface ScenarioProblem {
  path: string;
  message: string;
}

/** What the checks share while walking one scenario. */
export interface Checker {
  problems: ScenarioProblem[];
  /** Ids of all nodes, or null when `nodes` itself is unusable (references are then not checked). */
  ids: ReadonlySet<string> | null;
}

/** Longest node, handoff, end and fallback text. */
export const MAX_TEXT = 10_000;

/** Records a problem. */
export function report(c: Checker, path: string, message: string): void {
  c.problems.push({ path, message });
}

/** A plain JSON object (not null, not an array). */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Escapes one JSON-pointer segment (RFC 6901), so ids containing `/` or `~` still point right. */
export function pointer(segment: string | number): string {
  return `/${String(segment).replaceAll('~', '~0').replaceAll('/', '~1')}`;
}

/** Shows a value in a message without flooding it. */
export function show(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

/** Reports every key of `obj` that is not in `allowed`: a misspelt `nxet` would otherwise be ignored silently. */
export function checkKeys(c: Checker, obj: Record<string, unknown>, allowed: readonly string[], path: string, what: string): void {
  for (const key of Object.keys(obj)) {
    if (!allowed.includes(key)) {
      report(c, path + pointer(key), `Unknown key "${key}" on ${what} (allowed: ${allowed.join(', ')}).`);
    }
  }
}

/** A string with visible content and at most `max` characters. */
export function requiredText(c: Checker, value: unknown, path: string, what: string, max = MAX_TEXT): string | undefined {
  if (value === undefined) {
    report(c, path, `${what} is required.`);
    return undefined;
  }
  return optionalText(c, value, path, what, max, false);
}

/**
 * A string of at most `max` characters, or undefined when absent.
 * `allowEmpty` is for texts whose emptiness has a meaning (an end node that says nothing).
 */
export function optionalText(
  c: Checker,
  value: unknown,
  path: string,
  what: string,
  max = MAX_TEXT,
  allowEmpty = true,
): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string') {
    report(c, path, `${what} must be a string, not ${show(value)}.`);
    return undefined;
  }
  if (!allowEmpty && value.trim() === '') {
    report(c, path, `${what} must not be empty.`);
    return undefined;
  }
  if (value.length > max) {
    report(c, path, `${what} is ${value.length} characters long; the limit is ${max}.`);
    return undefined;
  }
  return value;
}

/** A reference to another node: a string naming an existing node. */
export function nodeRef(c: Checker, value: unknown, path: string, what: string): string | undefined {
  if (typeof value !== 'string' || value === '') {
    report(c, path, `${what} must be a string naming a node, not ${show(value)}.`);
    return undefined;
  }
  if (c.ids !== null && !c.ids.has(value)) {
    report(c, path, `${what} names node "${value}", which does not exist.`);
    return undefined;
  }
  return value;
}

/** An optional array of non-empty strings (keywords). `minItems` 1 forbids an empty list. */
export function wordList(c: Checker, value: unknown, path: string, what: string, minItems: number): string[] | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value)) {
    report(c, path, `${what} must be an array of strings, not ${show(value)}.`);
    return undefined;
  }
  const items: unknown[] = value;
  if (items.length < minItems) report(c, path, `${what} must contain at least ${minItems} word.`);
  const words: string[] = [];
  items.forEach((item, i) => {
    const word = requiredText(c, item, path + pointer(i), `Each entry of ${what}`, 200);
    if (word !== undefined) words.push(word);
  });
  return words;
}
