import { expect } from 'chai';
import { DomainError } from '../../src/contract/domain-error.js';
import { HttpProblem } from '../../src/http/problem.js';

describe('errors that answer the client', () => {
  for (const make of [() => new DomainError('not_found', 'No task 7.'), () => new HttpProblem(404, 'No task 7.')]) {
    const error = make();
    it(`${error.name} captures no stack trace (it is never logged), and leaves the limit as it was`, () => {
      const limit = Error.stackTraceLimit;
      expect(error.stack).to.equal(`${error.name}: No task 7.`);
      expect(error).to.be.instanceOf(Error);
      expect(Error.stackTraceLimit).to.equal(limit);
      expect(new Error('a fault').stack).to.match(/\n\s+at /);
    });
  }
});
