import { expect } from 'chai';
import fc from 'fast-check';
import {
  entityTagCondition,
  ifMatchHolds,
  ifNoneMatchFails,
  parseEntityTags,
  strongEntityTag,
} from '../../src/contract/entity-tags.js';
import { DomainError } from '../../src/contract/domain-error.js';
import { domainProblem } from '../../src/http/error-mapping.js';
import { loadContract } from '../helpers/contract.js';

const { components } = loadContract() as unknown as {
  components: {
    schemas: Record<string, { pattern: string; properties: Record<string, { $ref: string }> }>;
    parameters: Record<string, { schema: { $ref: string } }>;
    headers: Record<string, { schema: { $ref: string } }>;
  };
};
/** The pattern the spec gives If-Match, If-None-Match and a bulk action's if_match (the validator's check before the parser's). */
const CONDITION_PATTERN = new RegExp(components.schemas.EntityTagCondition!.pattern);
const ETAG_PATTERN = new RegExp(components.schemas.EntityTag!.pattern);

describe('conditional requests', () => {
  describe('parseEntityTags', () => {
    const parsed: [string, ReturnType<typeof parseEntityTags>][] = [
      ['*', '*'],
      ['  *  ', '*'],
      ['"abc"', [{ weak: false, opaque: '"abc"' }]],
      ['W/"abc"', [{ weak: true, opaque: '"abc"' }]],
      ['""', [{ weak: false, opaque: '""' }]],
      [
        ' "a" ,W/"b",  "c" ',
        [
          { weak: false, opaque: '"a"' },
          { weak: true, opaque: '"b"' },
          { weak: false, opaque: '"c"' },
        ],
      ],
      // A comma is a valid character inside an opaque tag: the list is not split on it.
      [
        '"a,b", "c"',
        [
          { weak: false, opaque: '"a,b"' },
          { weak: false, opaque: '"c"' },
        ],
      ],
    ];
    for (const [value, expected] of parsed) {
      it(`reads ${JSON.stringify(value)}`, () => {
        expect(parseEntityTags(value)).to.deep.equal(expected);
      });
    }

    const malformed = [
      '',
      '   ',
      'abc',
      '"abc',
      'abc"',
      '"a"b"',
      '"a",',
      ',"a"',
      '"a",,"b"',
      '"a" "b"',
      '*, "a"',
      '"a", *',
      'w/"a"',
      'W/ "a"',
      'W/',
      '"a b"',
      '"é"',
    ];
    for (const value of malformed) {
      it(`refuses ${JSON.stringify(value)}`, () => {
        expect(parseEntityTags(value)).to.equal(undefined);
      });
    }

    it('accepts exactly what the spec pattern accepts', () => {
      const conditions = [
        components.parameters.IfMatch!.schema.$ref,
        components.parameters.IfNoneMatch!.schema.$ref,
        ...['BulkUpdateAction', 'BulkCompleteAction', 'BulkDeleteAction'].map(
          (name) => components.schemas[name]!.properties.if_match!.$ref,
        ),
      ];
      expect(conditions, 'one parser serves both headers and bulk actions').to.deep.equal(
        Array(5).fill('#/components/schemas/EntityTagCondition'),
      );
      // Whole tags as well as their parts, so that lists, valid or nearly so, come up often.
      const piece = fc.constantFrom(
        '"a"',
        'W/"b"',
        '"x,y"',
        '""',
        ', ',
        ',',
        ' ',
        '\t',
        '*',
        '"',
        'W/',
        'w/',
        'a',
        '#',
        '~',
        'é',
        '\\',
      );
      fc.assert(
        fc.property(
          fc.array(piece, { maxLength: 8 }).map((pieces) => pieces.join('')),
          (value) => {
            expect(parseEntityTags(value) !== undefined, JSON.stringify(value)).to.equal(CONDITION_PATTERN.test(value));
          },
        ),
        { numRuns: 5000 },
      );
    });
  });

  // RFC 9110 §8.8.3.2's table: strong comparison for If-Match, weak for If-None-Match.
  describe('comparison', () => {
    const cases: { listed: string; current: string; strong: boolean; weak: boolean }[] = [
      { listed: '"1"', current: '"1"', strong: true, weak: true },
      { listed: 'W/"1"', current: '"1"', strong: false, weak: true },
      { listed: '"2"', current: '"1"', strong: false, weak: false },
      { listed: 'W/"2"', current: '"1"', strong: false, weak: false },
      { listed: '"2", W/"3", "1"', current: '"1"', strong: true, weak: true },
      { listed: '"2", W/"1"', current: '"1"', strong: false, weak: true },
      { listed: '*', current: '"1"', strong: true, weak: true },
    ];
    for (const { listed, current, strong, weak } of cases) {
      it(`${listed} against ${current}: If-Match ${strong ? 'holds' : 'fails'}, If-None-Match ${weak ? 'fails' : 'holds'}`, () => {
        const condition = parseEntityTags(listed)!;
        expect(ifMatchHolds(condition, current)).to.equal(strong);
        expect(ifNoneMatchFails(condition, current)).to.equal(weak);
      });
    }
  });

  describe('strongEntityTag', () => {
    const task = {
      id: 1,
      title: 'Buy milk',
      description: null,
      completed: false,
      tags: ['a', 'b'],
      updated_at: '2026-11-21T09:30:00.000Z',
    };

    it('is a strong tag of the form the spec gives ETag', () => {
      expect(strongEntityTag(task)).to.match(ETAG_PATTERN);
    });

    it('is the same for the same representation', () => {
      expect(strongEntityTag(structuredClone(task))).to.equal(strongEntityTag(task));
    });

    it('changes when any field does, however little', () => {
      const variants = [
        { ...task, id: 2 },
        { ...task, title: 'Buy milk ' },
        { ...task, description: '' },
        { ...task, completed: true },
        { ...task, tags: ['b', 'a'] },
        { ...task, updated_at: '2026-11-21T09:30:00.001Z' },
      ];
      const tags = new Set([task, ...variants].map(strongEntityTag));
      expect(tags.size).to.equal(variants.length + 1);
    });
  });

  describe('entityTagCondition', () => {
    it('returns the parsed condition', () => {
      expect(entityTagCondition('If-Match', 'W/"a", "b"')).to.deep.equal(parseEntityTags('W/"a", "b"'));
    });

    it('refuses a malformed header as the client’s error, naming the header', () => {
      expect(problemOf(() => entityTagCondition('If-None-Match', 'abc'))).to.deep.include({
        status: 400,
        extras: {
          errors: [{ location: 'header', pointer: '/if-none-match', message: 'must be "*" or a list of entity tags' }],
        },
      });
    });

    it('refuses a malformed bulk if_match as the client’s error, pointing into the body', () => {
      expect(problemOf(() => entityTagCondition({ bodyPointer: '/actions/3/if_match' }, '*, "a"'))).to.deep.include({
        status: 400,
        extras: {
          errors: [
            { location: 'body', pointer: '/actions/3/if_match', message: 'must be "*" or a list of entity tags' },
          ],
        },
      });
    });
  });
});

/** The problem the client gets for what `run` throws: a DomainError, as the adapter's table maps it. */
function problemOf(run: () => unknown) {
  try {
    run();
  } catch (error) {
    expect(error).to.be.instanceOf(DomainError);
    return domainProblem(error as DomainError);
  }
  throw new Error('expected a DomainError, but nothing was thrown');
}
