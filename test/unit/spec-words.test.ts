import { expect } from 'chai';
import { loadContract, type Json } from '../helpers/contract.js';

// The contract says each rule in words: every `pattern` has an `x-rule` (what a client is told
// when a value breaks it, and what the docs say), and no text meant for people quotes a regular
// expression. The blank rule of titles and tags is checked against Unicode's own classes.

/** Every node of the spec with its JSON Pointer, examples left out (they are values, not schemas). */
function* nodes(node: unknown, at = ''): Generator<[string, Json]> {
  if (typeof node !== 'object' || node === null) return;
  yield [at, node];
  for (const [key, child] of Object.entries(node)) {
    if (key !== 'example' && key !== 'examples') yield* nodes(child, `${at}/${key}`);
  }
}

/** What gives text away as a regular expression: an escape (`\u0000`, `\s`), a negated class, a group's `(?`. */
const EXPRESSION = /\\[a-zA-Z]|\[\^|\(\?/;

describe('the contract says its rules in words', () => {
  const contract = loadContract();
  const patterned = [...nodes(contract)].filter(([, node]) => typeof node.pattern === 'string');

  it('has patterns to word (the walk finds the schemas)', () => {
    expect(patterned.map(([at]) => at)).to.include('/components/schemas/Title');
  });

  for (const [at, node] of patterned) {
    it(`words the pattern at ${at}`, () => {
      const words: unknown = node['x-rule'];
      expect(words, 'x-rule')
        .to.be.a('string')
        .that.matches(/^must /);
      expect(words).not.to.match(EXPRESSION);
    });
  }

  it('gives one pattern the same words wherever it is', () => {
    const wordsOf = new Map<string, Set<unknown>>();
    for (const [, node] of patterned) {
      const pattern = String(node.pattern);
      wordsOf.set(pattern, (wordsOf.get(pattern) ?? new Set()).add(node['x-rule']));
    }
    const ambiguous = [...wordsOf].filter(([, words]) => words.size > 1);
    expect(ambiguous.map(([pattern]) => pattern)).to.deep.equal([]);
  });

  it('quotes no regular expression in a description or summary', () => {
    const quoting = [...nodes(contract)].flatMap(([at, node]) =>
      ['description', 'summary']
        .filter((key) => typeof node[key] === 'string' && EXPRESSION.test(node[key]))
        .map((key) => `${at}/${key}`),
    );
    expect(quoting).to.deep.equal([]);
  });
});

describe('blank titles and tags', () => {
  const contract = loadContract();
  const schemas = contract.components.schemas as Record<string, Json>;
  const patternOf = (name: string) => new RegExp(String(schemas[name]!.pattern), 'u');
  // Blank: white space, controls, format characters, the other code points Unicode says to
  // ignore when unsupported (variation selectors, Hangul fillers...), and the blank Braille pattern.
  const BLANK = /^[\s\p{Cc}\p{Cf}\p{Default_Ignorable_Code_Point}\u2800]$/u;
  const rules: { name: string; forbidden: RegExp }[] = [
    { name: 'Title', forbidden: /^[\0\uFEFF\p{Cs}]$/u },
    { name: 'Tag', forbidden: /^[\p{Cc}\uFEFF\p{Cs}]$/u },
  ];

  for (const { name, forbidden } of rules) {
    it(`${name}: text is valid when it holds a character that is not blank and none that is forbidden, over every code point`, () => {
      const pattern = patternOf(name);
      const wrong: string[] = [];
      for (let codePoint = 0; codePoint <= 0x10ffff; codePoint += 1) {
        const character = String.fromCodePoint(codePoint);
        const allowed = !forbidden.test(character);
        const visible = allowed && !BLANK.test(character);
        const cases: [string, boolean][] = [
          [character, visible],
          [` ${character}\u200b`, visible],
          [`a${character}`, allowed],
          [`${character}a`, allowed],
        ];
        if (cases.some(([text, valid]) => pattern.test(text) !== valid)) wrong.push(codePoint.toString(16));
      }
      expect(wrong.slice(0, 20), `${wrong.length} code points`).to.deep.equal([]);
    });
  }
});
