import { expect } from 'chai';
import { toIssue } from '../../src/http/validator-issues.js';

/** The validator appends a raw property name to the pointer; the issue must carry an RFC 6901 one. */
describe('validator issues to problem entries', () => {
  const extra = (path: string) => ({
    path,
    message: 'must NOT have additional properties',
    errorCode: 'additionalProperties.openapi.validation',
  });

  const cases: [string, ReturnType<typeof extra> | { path: string; message: string }, unknown, string][] = [
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
      expect(toIssue(item, body)).to.deep.equal({ location: 'body', pointer, message: item.message });
    });
  }

  for (const message of ['value of tag "op" must be in oneOf', 'tag "op" must be string']) {
    it(`points a discriminator's complaint (${message}) at the tag, not at its object`, () => {
      const item = { path: '/body/actions/3', message, errorCode: 'discriminator.openapi.validation' };
      expect(toIssue(item, {})).to.deep.equal({ location: 'body', pointer: '/actions/3/op', message });
    });
  }

  it('keeps its own words for a path that is not a request location', () => {
    expect(toIssue({ path: '/x', message: "malformed uri'" }, undefined)).to.deep.equal({
      location: 'path',
      pointer: '',
      message: 'must be a well-formed URL path',
    });
  });
});
