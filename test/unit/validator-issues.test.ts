import { expect } from 'chai';
import {
  patternWords,
  toIssue,
  toIssues,
  type PatternWords,
  type ValidatorIssue,
} from '../../src/http/validator-issues.js';
import { loadContract } from '../helpers/contract.js';

const NO_WORDS: PatternWords = { complaints: new Map(), combinations: [] };

/** The validator appends a raw property name to the pointer; the issue must carry an RFC 6901 one. */
describe('validator issues to problem entries', () => {
  const extra = (path: string) => ({
    path,
    message: 'must NOT have additional properties',
    errorCode: 'additionalProperties.openapi.validation',
  });

  const cases: [string, ValidatorIssue, unknown, string][] = [
    ['a plain field', { path: '/body/title', message: 'must be string' }, { title: 1 }, '/title'],
    ['a top-level name with a slash', extra('/body/a/b'), { 'a/b': 1 }, '/a~1b'],
    ['a top-level name with a tilde', extra('/body/a~b'), { 'a~b': 1 }, '/a~0b'],
    ['a nested name with a slash', extra('/body/recurrence/x/y'), { recurrence: { 'x/y': 1 } }, '/recurrence/x~1y'],
    ['a nested object whose own name was escaped', extra('/body/a~1b/c'), { 'a/b': { c: 1 } }, '/a~1b/c'],
    [
      'a name with slashes beside an object of the same prefix',
      extra('/body/a/b/c'),
      { title: 'ok', 'a/b/c': 1, a: { b: {} } },
      '/a~1b~1c',
    ],
    ['an empty name at the top', extra(''), { title: 'ok', '': 1 }, '/'],
    ['an empty name inside an object', extra(''), { title: 'ok', recurrence: { '': 1 } }, '/recurrence/'],
  ];
  for (const [name, item, body, pointer] of cases) {
    it(`points at ${name}: ${pointer}`, () => {
      expect(toIssue(item, body, NO_WORDS)).to.deep.equal({ location: 'body', pointer, message: item.message });
    });
  }

  for (const message of ['value of tag "op" must be in oneOf', 'tag "op" must be string']) {
    it(`points a discriminator's complaint (${message}) at the tag, not at its object`, () => {
      const item = { path: '/body/actions/3', message, errorCode: 'discriminator.openapi.validation' };
      expect(toIssue(item, {}, NO_WORDS)).to.deep.equal({ location: 'body', pointer: '/actions/3/op', message });
    });
  }

  it('keeps its own words for a path that is not a request location', () => {
    expect(toIssue({ path: '/x', message: "malformed uri'" }, undefined, NO_WORDS)).to.deep.equal({
      location: 'path',
      pointer: '',
      message: 'must be a well-formed URL path',
    });
  });
});

describe('validator issues in words', () => {
  const PATTERN = '^(?![\\s]*$)[^\\u0000"]*$';
  const words: PatternWords = { complaints: new Map([[PATTERN, 'must not be blank']]), combinations: [] };
  const pattern = (path: string, expression = PATTERN): ValidatorIssue => ({
    path,
    message: `must match pattern "${expression}"`,
    errorCode: 'pattern.openapi.validation',
  });
  const tooShort: ValidatorIssue = {
    path: '/body/title',
    message: 'must NOT have fewer than 1 characters',
    errorCode: 'minLength.openapi.validation',
  };

  it("says a pattern's rule in its schema's words, even when the expression holds quotes", () => {
    expect(toIssue(pattern('/body/title'), {}, words).message).to.equal('must not be blank');
  });

  it('never quotes an expression that has no words', () => {
    const { message } = toIssue(pattern('/body/title', '^[a-z]+$'), {}, words);
    expect(message).to.equal('does not have the form the contract describes');
  });

  it('keeps one issue per place: the pattern (the rule) before the length', () => {
    for (const items of [
      [tooShort, pattern('/body/title')],
      [pattern('/body/title'), tooShort],
    ]) {
      expect(toIssues(items, { title: '' }, words)).to.deep.equal([
        { location: 'body', pointer: '/title', message: 'must not be blank' },
      ]);
    }
  });

  it('keeps the allowed values before the type, and issues at other places apart, in their order', () => {
    const items: ValidatorIssue[] = [
      { path: '/body/op', message: 'must be string', errorCode: 'type.openapi.validation' },
      { path: '/body/title', message: 'must be string', errorCode: 'type.openapi.validation' },
      {
        path: '/body/op',
        message: 'must be equal to one of the allowed values: create, delete',
        errorCode: 'enum.openapi.validation',
      },
      { path: '/query/op', message: 'must be string', errorCode: 'type.openapi.validation' },
    ];
    expect(toIssues(items, { op: 5, title: 5 }, words)).to.deep.equal([
      { location: 'body', pointer: '/op', message: 'must be equal to one of the allowed values: create, delete' },
      { location: 'body', pointer: '/title', message: 'must be string' },
      { location: 'query', pointer: '/op', message: 'must be string' },
    ]);
  });

  it("reads every pattern's words from the spec", () => {
    const contract = loadContract();
    const { Title: title } = contract.components.schemas as Record<string, { pattern: string; 'x-rule': string }>;
    expect(patternWords(contract).complaints.get(title!.pattern)).to.equal(title!['x-rule']);
  });

  it('says a time zone outside the list in words, not by listing the 597 zones', () => {
    const zones = (loadContract().components.schemas as Record<string, { enum: unknown[] }>).TimeZone!.enum;
    const item: ValidatorIssue = {
      path: '/body/time_zone',
      message: `must be equal to one of the allowed values: ${zones.join(', ')}`,
      errorCode: 'enum.openapi.validation',
    };
    const { message } = toIssue(item, { time_zone: 'Mars/Base' }, patternWords(loadContract()));
    expect(message).to.match(/^must be an IANA time zone name/);
  });

  describe('a refused combination names the rule it breaks', () => {
    const words = patternWords(loadContract());
    const not = (path: string): ValidatorIssue => ({
      path,
      message: 'must NOT be valid',
      errorCode: 'not.openapi.validation',
    });
    const cases: [string, unknown, string][] = [
      [
        '/body',
        { title: 'x', due_date: '2026-12-01', due_at: '2026-12-01T10:00:00Z', time_zone: 'UTC' },
        'must not set both due_date and due_at',
      ],
      ['/body', { title: 'x', due_at: '2026-12-01T10:00:00Z' }, 'must give a time_zone with due_at'],
      ['/body', { title: 'x', time_zone: 'UTC' }, 'must not set time_zone without due_date or due_at'],
      [
        '/body/recurrence',
        { recurrence: { frequency: 'daily', until: '2027-01-01', count: 3 } },
        'must not set both until and count',
      ],
      [
        '/body/actions/1/patch',
        { actions: [{}, { patch: { due_at: '2026-12-01T10:00:00Z', time_zone: null } }] },
        'must give a time_zone with due_at; must not clear time_zone while setting due_at',
      ],
      // A reminder's rules on absent members are its own, not a task's that lacks them too.
      ['/body/reminders/0', { reminders: [{}] }, 'must set at or before_due'],
      ['/body/reminders/1', { reminders: [{ at: null }, { at: null, time: null }] }, 'must set at or before_due'],
      [
        '/body/reminders/0',
        { reminders: [{ time: '09:00' }] },
        'must set at or before_due; must not set time without before_due',
      ],
    ];
    for (const [path, body, expected] of cases) {
      it(`${path}: ${expected}`, () => {
        expect(toIssue(not(path), body, words).message).to.equal(expected);
      });
    }

    it('says every rule an object breaks at once, and has words even for an object it cannot read', () => {
      const body = { title: 'x', time_zone: 'UTC', recurrence: { frequency: 'daily' } };
      expect(toIssue(not('/body'), body, words).message).to.equal(
        'must not set time_zone without due_date or due_at; must not set recurrence without due_date or due_at',
      );
      expect(toIssue(not('/body/nowhere'), {}, words).message).to.equal('combines members that cannot go together');
    });
  });

  it('gives every refused combination of the spec its words', () => {
    const unworded: string[] = [];
    const visit = (node: unknown, at: string): void => {
      if (typeof node !== 'object' || node === null) return;
      const { not } = node as { not?: { anyOf?: { 'x-rule'?: unknown }[] } };
      for (const [index, branch] of (not?.anyOf ?? []).entries())
        if (typeof branch['x-rule'] !== 'string') unworded.push(`${at}/not/anyOf/${index}`);
      for (const [key, child] of Object.entries(node)) visit(child, `${at}/${key}`);
    };
    visit(loadContract(), '#');
    expect(unworded).to.deep.equal([]);
  });
});
