import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { expect } from 'chai';
import { Configuration, ResponseError, SystemApi, UsersApi } from '../../generated/sdk/dist/index.js';
import { tokenFor } from '../helpers/tokens.js';
import { describeSdk, observeResponses } from './sdk-suite.js';

/** A fetch that answers every request with this response, and never reaches a server. */
const answering = (body: string, init: ResponseInit) => async () => new Response(body, init);

describeSdk('SDK runtime: fetch, tokens, base URL', (suite) => {
  it('uses the global fetch when no fetchApi is given, and takes a base URL with a trailing slash', async () => {
    const system = new SystemApi(
      new Configuration({ basePath: `${suite.baseUrl()}/`, middleware: [observeResponses] }),
    );
    expect((await system.getHealthRaw()).raw.url).to.equal(`${suite.baseUrl()}/health`);
  });

  it('awaits an async token provider before every request', async () => {
    const id = `sdk-${randomUUID()}`;
    let calls = 0;
    const accessToken = async () => {
      calls += 1;
      await sleep(5);
      return tokenFor(id);
    };
    const users = new UsersApi(suite.configuration({ accessToken }));
    expect((await users.getCurrentUser()).id).to.equal(id);
    expect((await users.getCurrentUser()).id).to.equal(id);
    expect(calls).to.equal(2);
  });

  it('accepts a plain token string', async () => {
    const id = `sdk-${randomUUID()}`;
    const users = new UsersApi(suite.configuration({ accessToken: await tokenFor(id) }));
    expect((await users.getCurrentUser()).id).to.equal(id);
  });
});

describe('SDK runtime: responses without a server', () => {
  it('raises a ResponseError without a problem when the body is not a problem document', async () => {
    const fetchApi = answering('<h1>Bad Gateway</h1>', {
      status: 502,
      statusText: 'Bad Gateway',
      headers: { 'content-type': 'text/html' },
    });
    const system = new SystemApi(new Configuration({ basePath: 'http://api.invalid', fetchApi }));
    const error: unknown = await system.getHealth().catch((reason: unknown) => reason);
    expect(error).to.be.instanceOf(ResponseError);
    expect(error).to.include({ status: 502, problem: undefined, message: '502 Bad Gateway' });
  });

  it('the test observer rejects a response that breaks the contract', async () => {
    const fetchApi = answering('{"status":"fine"}', { status: 200, headers: { 'content-type': 'application/json' } });
    const system = new SystemApi(
      new Configuration({ basePath: 'http://api.invalid', fetchApi, middleware: [observeResponses] }),
    );
    const error: unknown = await system.getHealth().catch((reason: unknown) => reason);
    expect(String(error)).to.match(/GET \/health -> 200: body does not match/);
  });
});
