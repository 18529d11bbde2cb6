// The script of the page test/sdk/browser.test.ts serves: a frontend's use of the SDK with Better
// Auth, bundled with esbuild for the browser.
import { createAuthClient } from 'better-auth/client';
import { jwtClient } from 'better-auth/client/plugins';
import { Configuration, FetchError, ResponseError, TasksApi, UsersApi } from '../../../generated/sdk/dist/index.js';

export interface Failure {
  readonly name: string;
  readonly status?: number | undefined;
  readonly problemType?: string | undefined;
  readonly message: string;
}

export interface Journey {
  /** The id Better Auth gave the new user, and the one the API knows it by. */
  readonly authUser: string;
  readonly apiUser: string;
  readonly apiEmail: string | null;
  readonly etag: string | null;
  readonly listed: string[];
  readonly completedAt: string | undefined;
  readonly stale: Failure;
}

export interface TodoPage {
  /**
   * Signs up with Better Auth (on the page's origin), then, with the README's token provider, creates
   * a task, lists, completes it, and writes with the ETag read before completing.
   */
  journey(apiUrl: string, email: string): Promise<Journey>;
  /** One call with this token that must fail: what it failed with. */
  failure(apiUrl: string, token: string): Promise<Failure>;
}

function failureOf(error: unknown): Failure {
  if (error instanceof ResponseError)
    return { name: error.name, status: error.status, problemType: error.problem?.type, message: error.message };
  if (error instanceof FetchError) return { name: error.name, message: error.message };
  throw error;
}

const page: TodoPage = {
  async journey(apiUrl, email) {
    // No baseURL: Better Auth's client calls /api/auth on the page's own origin.
    const authClient = createAuthClient({ plugins: [jwtClient()] });
    const signedUp = await authClient.signUp.email({ email, password: 'correct horse battery staple', name: 'Ada' });
    if (signedUp.error) throw new Error(`sign-up failed: ${signedUp.error.message ?? signedUp.error.statusText}`);
    const config = new Configuration({
      basePath: apiUrl,
      accessToken: async () => {
        const { data, error } = await authClient.token();
        if (error) throw new Error(`no token for the Todo API: ${error.message ?? error.statusText}`);
        return data.token;
      },
      timeoutMs: 10_000,
    });
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
      authUser: signedUp.data.user.id,
      apiUser: me.id,
      apiEmail: me.email,
      etag,
      listed: listed.items.map((item) => item.title),
      completedAt: completed.completed_at?.toISOString(),
      stale,
    };
  },

  async failure(apiUrl, token) {
    const users = new UsersApi(new Configuration({ basePath: apiUrl, accessToken: token, timeoutMs: 10_000 }));
    return users.getCurrentUser().then(
      () => ({ name: 'none', message: 'the call succeeded' }),
      (error: unknown) => failureOf(error),
    );
  },
};

(globalThis as unknown as { todoPage: TodoPage }).todoPage = page;
