import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import {
  Configuration,
  ResponseError,
  TasksApi,
  UsersApi,
  type ConfigurationParameters,
  type Middleware,
} from '../../generated/sdk/dist/index.js';
import { DATABASE_KINDS, sharedTestDatabase, type DatabaseKind } from '../helpers/databases.js';
import { parseBody } from '../helpers/spec-conformance.js';
import { observeResponse } from '../helpers/spec-coverage.js';
import { startTestServer, type TestServer, type TestServerOptions } from '../helpers/test-server.js';
import { tokenFor } from '../helpers/tokens.js';

/** Passes every response the SDK receives through the contract check and coverage count. */
export const observeResponses: Middleware = {
  async post({ url, init, response }) {
    const copy = response.clone();
    const body = parseBody(await copy.text(), copy.headers);
    observeResponse({
      method: init.method ?? 'GET',
      path: new URL(url).pathname,
      status: copy.status,
      headers: copy.headers,
      body,
    });
  },
};

/** A user of its own, with the SDK's APIs authenticated by an async token provider (as a Better Auth client would be). */
export interface SdkUser {
  readonly id: string;
  readonly tasks: TasksApi;
  readonly users: UsersApi;
}

export interface SdkSuite {
  baseUrl(): string;
  /** An SDK configuration for the suite's server that observes every response. */
  configuration(parameters?: ConfigurationParameters): Configuration;
  newUser(): SdkUser;
}

/** Real PostgreSQL whenever it is reachable (CI requires it); PGlite only on a machine without it. */
export const SDK_DATABASE_KIND: DatabaseKind = DATABASE_KINDS.includes('postgres') ? 'postgres' : 'pglite';

/** Declares a suite that drives a server of its own (with `options`), over the shared database, only through the SDK. */
export function describeSdk(title: string, body: (suite: SdkSuite) => void, options: TestServerOptions = {}): void {
  describe(`${title} [${SDK_DATABASE_KIND}]`, function () {
    let server: TestServer | undefined;
    before(async function () {
      this.timeout(60_000);
      server = await startTestServer((await sharedTestDatabase(SDK_DATABASE_KIND)).knex, options);
    });
    after(async () => server?.close());
    const suite: SdkSuite = {
      baseUrl: () => server?.baseUrl ?? failNotStarted(),
      configuration: (parameters = {}) =>
        new Configuration({
          basePath: suite.baseUrl(),
          ...parameters,
          middleware: [observeResponses, ...(parameters.middleware ?? [])],
        }),
      newUser: () => {
        const id = `sdk-${randomUUID()}`;
        const configuration = suite.configuration({ accessToken: () => tokenFor(id) });
        return { id, tasks: new TasksApi(configuration), users: new UsersApi(configuration) };
      },
    };
    body(suite);
  });
}

/** The SDK's typed error for `promise`, which must reject with this status and a problem document that says the same. */
export async function expectResponseError(promise: Promise<unknown>, status: number): Promise<ResponseError> {
  const error: unknown = await promise.then(
    () => expect.fail(`expected a ${status} ResponseError, the call succeeded`),
    (reason: unknown) => reason,
  );
  expect(error).to.be.instanceOf(ResponseError);
  const responseError = error as ResponseError;
  expect(responseError.status, responseError.message).to.equal(status);
  expect(responseError.problem?.status).to.equal(status);
  expect(responseError.problem?.request_id).to.equal(responseError.response.headers.get('x-request-id'));
  return responseError;
}

function failNotStarted(): never {
  throw new Error('the suite server is not started yet: use it inside tests or hooks');
}
