// The script of the page test/sdk/browser.test.ts serves: a frontend's use of the SDK, bundled with
// esbuild for the browser. The test hands it the API's URL and a token, as a sign-in would.
import { Configuration, FetchError, ResponseError, TasksApi, UsersApi } from '../../../generated/sdk/dist/index.js';

export interface Failure {
  readonly name: string;
  readonly status?: number | undefined;
  readonly problemType?: string | undefined;
  readonly message: string;
}

export interface Journey {
  readonly user: string;
  readonly etag: string | null;
  readonly listed: string[];
  readonly completedAt: string | undefined;
  readonly stale: Failure;
}

export interface TodoPage {
  /** Signs in (the token), creates a task, lists, completes it, then writes with the ETag read before completing. */
  journey(apiUrl: string, token: string): Promise<Journey>;
  /** One call that must fail: what it failed with. */
  failure(apiUrl: string, token: string): Promise<Failure>;
}

function configuration(apiUrl: string, token: string): Configuration {
  // An async provider, as a Better Auth client's `authClient.token()` is.
  return new Configuration({ basePath: apiUrl, accessToken: async () => token, timeoutMs: 10_000 });
}

function failureOf(error: unknown): Failure {
  if (error instanceof ResponseError)
    return { name: error.name, status: error.status, problemType: error.problem?.type, message: error.message };
  if (error instanceof FetchError) return { name: error.name, message: error.message };
  throw error;
}

const page: TodoPage = {
  async journey(apiUrl, token) {
    const config = configuration(apiUrl, token);
    const me = await new UsersApi(config).getCurrentUser();
    const tasks = new TasksApi(config);
    const created = await tasks.createTaskRaw({ userId: me.id, taskCreate: { title: 'From the browser' } });
    const task = await created.value();
    // Readable across origins only because the API's CORS policy exposes it.
    const etag = created.raw.headers.get('etag');
    const listed = await tasks.listTasks({ userId: me.id });
    const completed = await tasks.completeTask({
      userId: me.id,
      taskId: task.id,
      ifMatch: etag ?? undefined,
      taskCompletion: { completed: true },
    });
    const stale = await tasks
      .updateTask({ userId: me.id, taskId: task.id, ifMatch: etag ?? undefined, taskPatch: { title: 'Too late' } })
      .then(
        () => ({ name: 'none', message: 'the stale write succeeded' }),
        (error: unknown) => failureOf(error),
      );
    return {
      user: me.id,
      etag,
      listed: listed.items.map((item) => item.title),
      completedAt: completed.completed_at?.toISOString(),
      stale,
    };
  },

  async failure(apiUrl, token) {
    return new UsersApi(configuration(apiUrl, token)).getCurrentUser().then(
      () => ({ name: 'none', message: 'the call succeeded' }),
      (error: unknown) => failureOf(error),
    );
  },
};

(globalThis as unknown as { todoPage: TodoPage }).todoPage = page;
