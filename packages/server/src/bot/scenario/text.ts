/**
 * Text helpers of the scenario runner: `{{placeholder}}` substitution and the
 * Unicode-aware, case-insensitive matching used for answers, keywords and regexes.
 */

/** Values a scenario text may refer to with `{{name}}` placeholders. */
export interface VarsContext {
  /** The client's `clientMetadata`, e.g. `{ city: "Riga" }` for `{{city}}`. */
  metadata: Record<string, string>;
  client: { name: string | null; email: string | null; phone: string | null };
}

// Non-greedy and brace-free inside, so `{{a}} and {{b}}` are two placeholders, not one.
const PLACEHOLDER = /\{\{\s*([^{}]*?)\s*\}\}/g;

/**
 * Replaces `{{name}}` placeholders: `client.name`, `client.email`, `client.phone`,
 * then saved variables, then metadata keys; anything unknown becomes an empty string.
 * Substituted values are not scanned again, so a client who types `{{client.email}}`
 * into a `saveAs` question cannot make the bot reveal other values.
 */
export function renderTemplate(text: string, vars: Record<string, string>, ctx: VarsContext): string {
  return text.replace(PLACEHOLDER, (_match, name: string) => resolve(name, vars, ctx));
}

function resolve(name: string, vars: Record<string, string>, ctx: VarsContext): string {
  switch (name) {
    case 'client.name':
      return ctx.client.name ?? '';
    case 'client.email':
      return ctx.client.email ?? '';
    case 'client.phone':
      return ctx.client.phone ?? '';
  }
  // Own properties only: `{{constructor}}` must not print Object's prototype members.
  if (Object.hasOwn(vars, name)) return vars[name] ?? '';
  if (Object.hasOwn(ctx.metadata, name)) return ctx.metadata[name] ?? '';
  return '';
}

/** Canonical form for comparing a reply with an answer's id or text. */
export function normalizeReply(text: string): string {
  return text.normalize('NFC').trim().toLowerCase();
}

// Only ECMAScript syntax characters: with the `u` flag, escaping anything else
// (for example `\-`) is itself a syntax error.
function escapeRegExp(text: string): string {
  return text.replace(/[\\^$.*+?()[\]{}|/]/g, '\\$&');
}

// A "word character" for whole-word matching: letters, combining marks, digits and `_`
// in any script. `\b` would not do, because it only knows ASCII letters.
const WORD_CHAR = '[\\p{L}\\p{M}\\p{N}_]';

/**
 * True when `word` occurs in `text` as a whole word, case-insensitively, in any script:
 * "Оператор, пожалуйста" contains "оператор"; "operators" does not contain "operator".
 * A multi-word keyword ("talk to human") matches as a phrase.
 */
export function containsWord(text: string, word: string): boolean {
  const needle = word.normalize('NFC').trim();
  if (needle === '') return false;
  const pattern = new RegExp(`(?<!${WORD_CHAR})${escapeRegExp(needle)}(?!${WORD_CHAR})`, 'iu');
  return pattern.test(text.normalize('NFC'));
}

/** True when any of `words` occurs in `text` as a whole word. */
export function containsAnyWord(text: string, words: readonly string[]): boolean {
  return words.some((word) => containsWord(text, word));
}

/**
 * Tests a scenario regex (flags `iu`) against `text`. A stored scenario that was
 * never validated may hold a broken pattern; it then simply does not match
 * rather than failing the whole conversation.
 */
export function testRegex(source: string, text: string): boolean {
  try {
    return new RegExp(source, 'iu').test(text);
  } catch {
    return false;
  }
}
