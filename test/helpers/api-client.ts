import { randomUUID } from 'node:crypto';
import type { components } from '../../generated/api.js';
import { expect } from 'chai';
import { parseBody } from './spec-conformance.js';
import { observeResponse } from './spec-coverage.js';
import { tokenFor } from './tokens.js';

export type Task = components['schemas']['Task'];
export type Problem = components['schemas']['Problem'];

export interface RequestOptions {
  /** Sent as `Authorization: Bearer <token>`. */
  readonly token?: string;
  /** JSON-encoded with `Content-Type: application/json` unless `contentType` says otherwise. */
  readonly json?: unknown;
  /** Sent as is (bytes too: a body that is not UTF-8). */
  readonly rawBody?: string | Uint8Array;
  readonly contentType?: string;
  readonly headers?: Record<string, string>;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a JSON body whose shape each test asserts
export interface ApiResponse<T = any> {
  readonly status: number;
  readonly headers: Headers;
  readonly body: T;
}

/**
 * Sends a request and checks the response against the spec before returning it, so every
 * response any API test sees is validated against the contract (and counted for coverage).
 * JSON and YAML bodies are parsed; other bodies (HTML, metrics) are returned as text.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- as ApiResponse
export async function request<T = any>(
  baseUrl: string,
  method: string,
  path: string,
  options: RequestOptions = {},
): Promise<ApiResponse<T>> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`;
  let body: string | Uint8Array | undefined = options.rawBody;
  if (options.json !== undefined) body = JSON.stringify(options.json);
  if (body !== undefined) headers['content-type'] ??= options.contentType ?? 'application/json';
  const response = await fetch(new URL(path, baseUrl), { method, headers, body });
  const parsed = parseBody(await response.text(), response.headers) as T;
  observeResponse({
    method,
    path: new URL(path, baseUrl).pathname,
    status: response.status,
    headers: response.headers,
    body: parsed,
  });
  return { status: response.status, headers: response.headers, body: parsed };
}

/** A problem document with this status, its request id matching the `X-Request-Id` header. */
export function expectProblem(response: ApiResponse, status: number): Problem {
  expect(response.status, JSON.stringify(response.body)).to.equal(status);
  expect(response.headers.get('content-type')).to.match(/^application\/problem\+json(;|$)/);
  const problem = response.body as Problem;
  expect(problem.status).to.equal(status);
  expect(problem.request_id).to.be.a('string').and.equal(response.headers.get('x-request-id'));
  return problem;
}

/** A signed-in user of its own, so that tests never see each other's data. */
export class TestUser {
  private token: string | undefined;

  constructor(
    readonly baseUrl: string,
    readonly id = `user-${randomUUID()}`,
  ) {}

  async bearer(): Promise<string> {
    this.token ??= await tokenFor(this.id);
    return this.token;
  }

  /** `path` is relative to `/api/{user_id}` when it starts with `/tasks`, `/lists`, `/trash`, `/changes`, `/events` or `/webhooks`. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- as ApiResponse
  async call<T = any>(method: string, path: string, options: RequestOptions = {}): Promise<ApiResponse<T>> {
    const full = /^\/(tasks|lists|trash|changes|events|webhooks)\b/.test(path)
      ? `/api/${encodeURIComponent(this.id)}${path}`
      : path;
    return request<T>(this.baseUrl, method, full, { token: await this.bearer(), ...options });
  }

  async createTask(fields: Record<string, unknown> = {}): Promise<Task> {
    const response = await this.call<Task>('POST', '/tasks', { json: { title: 'A task', ...fields } });
    if (response.status !== 201) throw new Error(`create failed: ${response.status} ${JSON.stringify(response.body)}`);
    return response.body;
  }
}
