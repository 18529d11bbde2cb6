import { expect } from 'chai';
import { DomainError, quotaExceeded } from '../../src/contract/domain-error.js';
import { domainProblem } from '../../src/http/error-mapping.js';
import { problemDocument } from '../../src/http/problem.js';

const SOURCE = { requestId: 'r-1', path: '/api/alice/tasks' };

describe('a quota refusal', () => {
  it('is a 409 whose type points at the Quotas section and whose quota names the bound', () => {
    const problem = domainProblem(quotaExceeded({ name: 'tasks', limit: 10, used: 10 }));
    expect(problem.status).to.equal(409);
    expect(problem.extras.headers).to.equal(undefined);
    expect(problemDocument(SOURCE, problem)).to.deep.equal({
      type: '/docs#section/Quotas',
      title: 'Conflict',
      status: 409,
      detail: 'This request would exceed the tasks quota of 10 (10 in use); nothing was written.',
      instance: '/api/alice/tasks',
      request_id: 'r-1',
      quota: { name: 'tasks', limit: 10, used: 10 },
    });
  });

  it('says when to retry if waiting frees room', () => {
    const problem = domainProblem(quotaExceeded({ name: 'idempotency_keys', limit: 1000, used: 1000 }, 3600));
    expect(problem.extras.headers).to.deep.equal({ 'Retry-After': '3600' });
  });

  it('leaves every other problem about:blank and without a quota', () => {
    const document = problemDocument(SOURCE, domainProblem(new DomainError('conflict', 'busy')));
    expect(document.type).to.equal('about:blank');
    expect(document).not.to.have.property('quota');
  });
});
