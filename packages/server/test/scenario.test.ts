import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Scenario } from '@parley/protocol';
import {
  type ScenarioStep,
  type VarsContext,
  continueScenario,
  demoScenario,
  startScenario,
  validateScenario,
} from '../src/bot/scenario/index.js';

const anna: VarsContext = { metadata: {}, client: { name: 'Anna', email: null, phone: null } };

function problemPaths(input: unknown): string[] {
  const result = validateScenario(input);
  assert.equal(result.ok, false, 'expected the scenario to be rejected');
  if (result.ok) return [];
  for (const p of result.problems) assert.ok(p.message.length > 10, `problem at ${p.path} needs a message`);
  return result.problems.map((p) => p.path).sort();
}

function bodies(step: ScenarioStep): string[] {
  return step.messages.map((m) => m.body);
}

describe('validateScenario', () => {
  it('reports every problem of a bad scenario with its JSON pointer', () => {
    const bad = {
      start: 'missing',
      nodes: {
        'bad id!': { type: 'end' },
        ask: {
          type: 'question',
          text: '',
          answers: [
            { text: 'Yes', next: 'done' },
            { text: 'No', next: 'nowhere' },
            { id: 'ask:0', text: 'Maybe', next: 'done' },
          ],
          branches: [{ regex: '([a-z', next: 'done' }, { next: 'done' }],
          saveAs: '1st',
          nxet: 'done',
        },
        hello: { type: 'message', text: 'Hi' },
        weird: { type: 'popup' },
        done: { type: 'end', close: 'yes' },
      },
      handoffKeywords: ['operator', ''],
      colour: 'blue',
    };
    assert.deepEqual(
      problemPaths(bad),
      [
        '/colour',
        '/handoffKeywords/1',
        '/nodes/ask/answers/1/next',
        '/nodes/ask/answers/2/id',
        '/nodes/ask/branches/0/regex',
        '/nodes/ask/branches/1',
        '/nodes/ask/nxet',
        '/nodes/ask/saveAs',
        '/nodes/ask/text',
        '/nodes/bad id!',
        '/nodes/done/close',
        '/nodes/hello/next',
        '/nodes/weird/type',
        '/start',
      ].sort(),
    );
  });

  it('rejects a non-object, empty nodes and bad answer lists', () => {
    assert.deepEqual(problemPaths('hello'), ['']);
    assert.deepEqual(problemPaths({ start: 'a', nodes: {} }), ['/nodes', '/start']);
    const tooMany = Array.from({ length: 21 }, (_, i) => ({ text: `Option ${i}`, next: 'q' }));
    assert.deepEqual(problemPaths({ start: 'q', nodes: { q: { type: 'question', text: 'Pick', answers: tooMany } } }), [
      '/nodes/q/answers',
    ]);
    assert.deepEqual(
      problemPaths({
        start: 'q',
        nodes: {
          q: { type: 'question', text: 'Pick', answers: [{ text: 'Same', next: 'q' }, { text: ' same ', next: 'q' }, 'x'] },
          stuck: { type: 'question', text: 'Say anything' },
        },
      }),
      ['/nodes/q/answers/1/text', '/nodes/q/answers/2', '/nodes/stuck'],
    );
  });

  it('detects loops of nodes that never wait, but not loops through waiting nodes', () => {
    const paths = problemPaths({
      start: 'a',
      nodes: {
        a: { type: 'message', text: 'A', next: 'b' },
        b: { type: 'message', text: 'B', next: 'a' },
        c: { type: 'message', text: 'C', next: 'c' },
        d: { type: 'message', text: 'D', next: 'q' },
        q: { type: 'question', text: 'Q', next: 'd' },
        m: { type: 'message', text: 'M', answers: [{ text: 'again', next: 'm' }] },
      },
    });
    assert.deepEqual(paths, ['/nodes/a/next', '/nodes/c/next']);
  });

  it('normalises a valid scenario: default answer ids, known keys only', () => {
    const result = validateScenario({
      start: 'q',
      nodes: { q: { type: 'question', text: 'Pick', answers: [{ text: 'One', next: 'e' }, { id: 'two', text: 'Two', next: 'e' }] }, e: { type: 'end' } },
    });
    assert.ok(result.ok);
    assert.deepEqual(result.scenario, {
      start: 'q',
      nodes: {
        q: { type: 'question', text: 'Pick', answers: [{ id: 'q:0', text: 'One', next: 'e' }, { id: 'two', text: 'Two', next: 'e' }] },
        e: { type: 'end' },
      },
    });
  });

  it('accepts the demo scenario unchanged', () => {
    const result = validateScenario(demoScenario);
    assert.ok(result.ok, JSON.stringify(result.ok ? null : result.problems));
    assert.deepEqual(result.scenario, demoScenario);
  });
});

describe('scenario runner', () => {
  const menuIds = ['hours', 'prices', 'delivery', 'order', 'operator'];

  it('walks the demo: buttons by text and id, keyword and regex branches, saveAs, handoff', () => {
    let step = startScenario(demoScenario, anna);
    assert.equal(step.outcome, 'wait');
    assert.equal(step.state.node, 'greeting');
    assert.equal(step.messages.length, 1);
    assert.match(step.messages[0]!.body, /Здравствуйте/);
    assert.match(step.messages[0]!.body, /Hello! I am the Parley demo bot/);
    assert.deepEqual(step.messages[0]!.answers.map((a) => a.id), menuIds);

    // A pressed button arrives as its text; case and spacing do not matter.
    step = continueScenario(demoScenario, step.state, '  часы работы / OPENING HOURS ', anna);
    assert.equal(step.outcome, 'wait');
    assert.equal(step.state.node, 'menu');
    assert.match(bodies(step)[0]!, /9:00/);
    assert.deepEqual(step.messages[1]!.answers.map((a) => a.id), menuIds);

    step = continueScenario(demoScenario, step.state, 'delivery', anna);
    assert.match(bodies(step)[0]!, /1–3/);

    step = continueScenario(demoScenario, step.state, 'How much is the price?', anna);
    assert.match(bodies(step)[0]!, /990/);
    assert.equal(step.state.node, 'menu');

    step = continueScenario(demoScenario, step.state, 'I want to check my order', anna);
    assert.equal(step.state.node, 'askOrder');
    assert.equal(step.messages.length, 1);
    assert.match(bodies(step)[0]!, /Enter your order number/);

    step = continueScenario(demoScenario, step.state, ' #12345 ', anna);
    assert.equal(step.state.vars.orderNumber, '#12345');
    assert.match(bodies(step)[0]!, /Заказ #12345 передан/);
    assert.match(bodies(step)[0]!, /Order #12345 has been shipped/);
    assert.equal(step.state.node, 'menu');

    step = continueScenario(demoScenario, step.state, 'Оператор, пожалуйста', anna);
    assert.equal(step.outcome, 'handoff');
    assert.deepEqual(step.messages, [{ body: 'Переключаю на оператора', answers: [] }]);
    assert.equal(step.state.done, true);
  });

  it('saves the reply on every leaving path and understands inflected handoff words', () => {
    let step = continueScenario(demoScenario, { node: 'askOrder', vars: {}, done: false }, 'no idea', anna);
    assert.equal(step.state.vars.orderNumber, 'no idea');
    assert.match(bodies(step)[0]!, /does not look like an order number/);
    step = continueScenario(demoScenario, step.state, 'позовите оператора', anna);
    assert.equal(step.outcome, 'handoff');
  });

  it('on unmatched input says the fallback and offers the answers again', () => {
    const step = continueScenario(demoScenario, { node: 'menu', vars: {}, done: false }, 'qwerty', anna);
    assert.equal(step.outcome, 'wait');
    assert.equal(step.state.node, 'menu');
    assert.equal(step.messages.length, 1);
    assert.equal(step.messages[0]!.body, demoScenario.fallbackText);
    assert.deepEqual(step.messages[0]!.answers.map((a) => a.id), menuIds);
  });

  const yesNo: Scenario = {
    start: 'ask',
    nodes: {
      ask: {
        type: 'question',
        text: 'Done, {{client.name}}?',
        answers: [
          { text: 'Yes, {{client.name}}', next: 'bye' },
          { text: 'No', next: 'close' },
        ],
      },
      bye: { type: 'end', text: 'Bye {{client.name}}' },
      close: { type: 'end', close: true },
    },
  };

  it('uses default ids, default texts and whole-word default handoff keywords', () => {
    const start = startScenario(yesNo, anna);
    assert.deepEqual(start.messages, [{ body: 'Done, Anna?', answers: [{ id: 'ask:0', text: 'Yes, Anna' }, { id: 'ask:1', text: 'No' }] }]);
    assert.equal(continueScenario(yesNo, start.state, 'my cooperator', anna).outcome, 'wait');
    const fallback = continueScenario(yesNo, start.state, 'operators are great', anna);
    assert.equal(fallback.outcome, 'wait');
    assert.equal(fallback.messages[0]!.body, 'Sorry, I did not understand. Please choose one of the options.');
    const handoff = continueScenario(yesNo, start.state, 'talk to an OPERATOR', anna);
    assert.equal(handoff.outcome, 'handoff');
    assert.deepEqual(bodies(handoff), ['Переключаю на оператора']);
    const closed = continueScenario(yesNo, start.state, 'ask:1', anna);
    assert.equal(closed.outcome, 'close');
    assert.deepEqual(closed.messages, []);
  });

  it('restarts from start after an end without close, keeping saved values', () => {
    // The button as the client saw it, placeholders filled in.
    const ended = continueScenario(yesNo, { node: 'ask', vars: { topic: 'x' }, done: false }, 'YES, ANNA', anna);
    assert.equal(ended.outcome, 'end');
    assert.deepEqual(bodies(ended), ['Bye Anna']);
    assert.deepEqual(ended.state, { node: null, vars: { topic: 'x' }, done: true });
    const again = continueScenario(yesNo, ended.state, 'hello again', anna);
    assert.equal(again.outcome, 'wait');
    assert.deepEqual(again.state, { node: 'ask', vars: { topic: 'x' }, done: false });
    assert.deepEqual(bodies(again), ['Done, Anna?']);
    // `done` alone decides, even if a stored state still names a node.
    const stale = continueScenario(yesNo, { node: 'ask', vars: {}, done: true }, 'yes', anna);
    assert.deepEqual(bodies(stale), ['Done, Anna?']);
  });

  it('substitutes client fields, saved values over metadata, and blanks unknown names', () => {
    const s: Scenario = {
      start: 'hi',
      nodes: {
        hi: { type: 'message', text: 'Hi {{ client.name }} <{{client.email}}> from {{city}}{{nope}}!', next: 'where' },
        where: { type: 'question', text: 'Phone {{client.phone}}. Where now?', saveAs: 'city', next: 'show' },
        show: { type: 'end', text: 'Now in {{ city }}' },
      },
    };
    const ctx: VarsContext = { metadata: { city: 'Riga' }, client: { name: 'Ann', email: null, phone: '+371' } };
    const first = startScenario(s, ctx);
    assert.deepEqual(bodies(first), ['Hi Ann <> from Riga!', 'Phone +371. Where now?']);
    const second = continueScenario(s, first.state, '{{client.phone}}', ctx);
    assert.deepEqual(bodies(second), ['Now in {{client.phone}}'], 'a saved value is not expanded again');
    const third = continueScenario(s, { node: 'where', vars: {}, done: false }, ' Tallinn ', ctx);
    assert.deepEqual(bodies(third), ['Now in Tallinn']);
  });

  it('hands off instead of looping on an unvalidated looping or dangling scenario', () => {
    const loop: Scenario = {
      start: 'a',
      nodes: { a: { type: 'message', text: 'A', next: 'b' }, b: { type: 'message', text: 'B', next: 'a' } },
    };
    const step = startScenario(loop, anna);
    assert.equal(step.outcome, 'handoff');
    assert.equal(step.messages.length, 51);
    assert.equal(step.messages.at(-1)!.body, 'Переключаю на оператора');
    const dangling = startScenario({ start: 'a', nodes: { a: { type: 'message', text: 'A', next: 'constructor' } } }, anna);
    assert.equal(dangling.outcome, 'handoff');
  });

  it('enters the scenario handoff node on a keyword and branches by regex', () => {
    const s: Scenario = {
      start: 'q',
      handoffKeywords: ['human'],
      nodes: {
        q: { type: 'question', text: 'Code?', branches: [{ regex: '^[A-Z]{3}$', next: 'ok' }] },
        ok: { type: 'end', text: 'ok' },
        h: { type: 'handoff', text: 'A human will answer, {{client.name}}' },
      },
    };
    const state = startScenario(s, anna).state;
    assert.deepEqual(bodies(continueScenario(s, state, 'abc', anna)), ['ok']);
    assert.equal(continueScenario(s, state, 'abcd', anna).outcome, 'wait');
    assert.equal(continueScenario(s, state, 'operator', anna).outcome, 'wait', 'custom keywords replace the defaults');
    const handoff = continueScenario(s, state, 'A HUMAN please', anna);
    assert.equal(handoff.outcome, 'handoff');
    assert.deepEqual(bodies(handoff), ['A human will answer, Anna']);
  });
});
