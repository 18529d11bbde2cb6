import { randomUUID } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { tokenFor } from '../helpers/tokens.js';
import { ConsumerProject, ReadmeProject, SDK_DIR, type Finished, type Resolution } from './consumer-project.js';
import { describeSdk } from './sdk-suite.js';

const RESOLUTIONS: Resolution[] = ['NodeNext', 'node16', 'bundler'];

/** A consumer that uses the SDK with full types: inferred results, Dates, the typed error. */
const MAIN = `
import { Configuration, ResponseError, SystemApi, TasksApi, UsersApi, type Task } from '@todo-tasks/sdk';

const config = new Configuration({ basePath: process.env.TODO_API_URL, accessToken: async () => process.env.TODO_API_TOKEN ?? '' });
const health = await new SystemApi(config).getHealth();
const me = await new UsersApi(config).getCurrentUser();
const tasks = new TasksApi(config);
const task: Task = await tasks.createTask({ userId: me.id, taskCreate: { title: 'From the consumer' } });
const createdAt: Date = task.created_at;
const page = await tasks.listTasks({ userId: me.id, limit: 10 });
let missing: number | undefined;
try {
  await tasks.getTask({ userId: me.id, taskId: 987654321 });
} catch (error) {
  if (error instanceof ResponseError) missing = error.problem?.status;
}
console.log(JSON.stringify({ health: health.status, user: me.id, titles: page.items.map((item) => item.title), createdAt: createdAt.toISOString(), missing }));
`;

/**
 * A CommonJS consumer (a .cts file): TypeScript compiles its imports to require(), which the
 * package's exports answer with its CommonJS build and that build's own types.
 */
const CJS = `
import { Configuration, ResponseError, SystemApi, UsersApi, type User } from '@todo-tasks/sdk';

async function main(): Promise<void> {
  const config = new Configuration({ basePath: process.env.TODO_API_URL, accessToken: process.env.TODO_API_TOKEN });
  const health = await new SystemApi(config).getHealth();
  const me: User = await new UsersApi(config).getCurrentUser();
  let unauthenticated: number | undefined;
  try {
    await new UsersApi(new Configuration({ basePath: process.env.TODO_API_URL })).getCurrentUser();
  } catch (error) {
    if (error instanceof ResponseError) unauthenticated = error.status;
  }
  console.log(JSON.stringify({ health: health.status, user: me.id, unauthenticated, loaded: require.resolve('@todo-tasks/sdk') }));
}
main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
`;

/** Mistakes the SDK's types must catch, each on a line of its own. */
const WRONG = `
import { Configuration, TasksApi } from '@todo-tasks/sdk';

const tasks = new TasksApi(new Configuration({ basePath: 'http://localhost:8000' }));
const task = await tasks.createTask({ userId: 'alice', taskCreate: { title: 42 } });
task.created_at.toUpperCase();
await tasks.getTask({ userId: 'alice' });
`;

/** Every error tsc printed, as `file:line TSnnnn` (`TSnnnn` alone for one without a place), wherever it is: src/ or the SDK's .d.ts files. */
function diagnostics(result: Finished): string[] {
  return [...result.output.matchAll(/^(?:(\S+)\((\d+),\d+\): )?error (TS\d+)/gm)].map(([, file, line, code]) =>
    file ? `${file}:${line} ${code}` : code!,
  );
}

/** The TypeScript blocks of a Markdown text. */
const tsBlocks = (markdown: string) => [...markdown.matchAll(/^```ts\n([\s\S]*?)^```$/gm)].map(([, code]) => code!);

/** The TypeScript blocks of the SDK README's section with this heading. */
async function readmeBlocks(heading: string): Promise<string[]> {
  const readme = await readFile(path.join(SDK_DIR, 'README.md'), 'utf8');
  return tsBlocks(readme.split(/^## /m).find((part) => part.startsWith(`${heading}\n`)) ?? '');
}

/** The repository README's TypeScript blocks that use the SDK, wherever they are. */
async function mainReadmeSdkBlocks(): Promise<string[]> {
  const readme = await readFile(path.join(SDK_DIR, '../../README.md'), 'utf8');
  const blocks = tsBlocks(readme).filter((code) => code.includes("from '@todo-tasks/sdk'"));
  expect(blocks, "TypeScript blocks using '@todo-tasks/sdk' in README.md").to.not.be.empty;
  return blocks;
}

/** The README's example: the one TypeScript block under "## Use". */
async function readmeExample(): Promise<string> {
  const blocks = await readmeBlocks('Use');
  expect(blocks, 'TypeScript blocks under "## Use" in generated/sdk/README.md').to.have.length(1);
  return blocks[0]!;
}

/** The README's live events example: the one TypeScript block under "## Live events". */
async function readmeEventsExample(): Promise<string> {
  const blocks = await readmeBlocks('Live events');
  expect(blocks, 'TypeScript blocks under "## Live events" in generated/sdk/README.md').to.have.length(1);
  return blocks[0]!;
}

/** The README's browser setup: the one TypeScript block of its Better Auth section, which needs better-auth. */
async function readmeBetterAuthExample(): Promise<string> {
  const blocks = await readmeBlocks('In a browser app signed in with Better Auth');
  expect(blocks, 'TypeScript blocks under the Better Auth heading in generated/sdk/README.md').to.have.length(1);
  return blocks[0]!;
}

describeSdk('SDK: a separate project installs it by path and calls the API', (suite) => {
  let tempDir = '';
  let project: ConsumerProject;
  const checks = new Map<Resolution, Promise<Finished>>();
  /**
   * One tsc run per resolution over the consumer, the README example and the mistakes (tsc is
   * slow to start), made by whichever test needs it first; under NodeNext it also emits dist/.
   */
  const check = (resolution: Resolution) => {
    if (!checks.has(resolution))
      checks.set(resolution, project.compile(resolution, ['main.ts', 'readme.ts', 'wrong.ts', 'cjs.cts']));
    return checks.get(resolution)!;
  };

  before(async function () {
    this.timeout(60_000);
    tempDir = await mkdtemp(path.join(os.tmpdir(), 'todo-sdk-consumer-'));
    project = await ConsumerProject.create(tempDir);
    await project.write('src/main.ts', MAIN);
    await project.write('src/readme.ts', await readmeExample());
    await project.write('src/wrong.ts', WRONG);
    await project.write('src/cjs.cts', CJS);
    // Started together (each tsc is a process of its own, and slow), awaited by the tests that need them.
    for (const resolution of RESOLUTIONS) void check(resolution);
  });
  after(async () => rm(tempDir, { recursive: true, force: true }));

  /** The environment the consumer and the README example read: the test server and a fresh user's token. */
  async function asNewUser(): Promise<{ id: string; env: Record<string, string> }> {
    const id = `sdk-${randomUUID()}`;
    return { id, env: { TODO_API_URL: suite.baseUrl(), TODO_API_TOKEN: await tokenFor(id) } };
  }

  it('installs a package with no dependencies that ships only dist/ (ES modules and CommonJS) and the README', async () => {
    const installed = path.join(project.dir, 'node_modules/@todo-tasks/sdk');
    expect((await readdir(installed)).sort()).to.deep.equal(['README.md', 'dist', 'package.json']);
    const manifest = JSON.parse(await readFile(path.join(installed, 'package.json'), 'utf8')) as Record<
      string,
      unknown
    >;
    expect(manifest).to.include({ type: 'module' });
    // Nothing runs at install: npm 11 warns every consumer of a package with an install script.
    expect(manifest).to.not.have.any.keys('dependencies', 'peerDependencies', 'scripts');
    expect(manifest.exports).to.deep.equal({
      '.': {
        import: { types: './dist/index.d.ts', default: './dist/index.js' },
        require: { types: './dist/cjs/index.d.ts', default: './dist/cjs/index.js' },
      },
      './package.json': './package.json',
    });
    const cjsManifest = JSON.parse(await readFile(path.join(installed, 'dist/cjs/package.json'), 'utf8')) as unknown;
    expect(cjsManifest).to.deep.equal({ type: 'commonjs' });
  });

  for (const resolution of RESOLUTIONS) {
    it(`type-checks the consumer and the README example, strict, under moduleResolution ${resolution}, reporting only the deliberate mistakes`, async function () {
      this.timeout(30_000);
      const result = await check(resolution);
      expect(diagnostics(result), result.output).to.deep.equal([
        'src/wrong.ts:5 TS2322',
        'src/wrong.ts:6 TS2339',
        'src/wrong.ts:7 TS2345',
      ]);
    });
  }

  it('runs the compiled consumer against the API', async function () {
    this.timeout(30_000);
    await check('NodeNext');
    const { id, env } = await asNewUser();
    const result = await project.runCompiled('main.ts', env);
    expect(result.code, result.output).to.equal(0);
    const summary = JSON.parse(result.stdout) as Record<string, unknown>;
    expect(summary).to.deep.include({ health: 'ok', user: id, titles: ['From the consumer'], missing: 404 });
    expect(summary.createdAt).to.match(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  });

  it('runs the compiled CommonJS consumer against the API, through the CommonJS build', async function () {
    this.timeout(30_000);
    await check('NodeNext');
    const { id, env } = await asNewUser();
    const result = await project.runCompiled('cjs.cts', env);
    expect(result.code, result.output).to.equal(0);
    const summary = JSON.parse(result.stdout) as Record<string, unknown>;
    expect(summary).to.deep.include({ health: 'ok', user: id, unauthenticated: 401 });
    expect(summary.loaded).to.match(/node_modules\/@todo-tasks\/sdk\/dist\/cjs\/index\.js$/);
  });

  describe("in a project made as the SDK's README says (the SDK's folder installed by path, `tsc --init`'s settings)", () => {
    let readmeProject: ReadmeProject;
    let compiled: Finished;

    before(async function () {
      this.timeout(60_000);
      // With better-auth too, as a frontend has it, for the README's Better Auth block.
      readmeProject = await ReadmeProject.create(path.join(tempDir, 'todo-client'), ['better-auth']);
      await readmeProject.write('main.ts', await readmeExample());
      await readmeProject.write('auth.ts', await readmeBetterAuthExample());
      await readmeProject.write('events.ts', await readmeEventsExample());
      for (const [index, code] of (await mainReadmeSdkBlocks()).entries())
        await readmeProject.write(`repository-readme-${index}.ts`, code);
      compiled = await readmeProject.compile();
    });

    it("compiles the README's examples verbatim (the Node one, the live events one, and the Better Auth token provider against better-auth's own types), and the repository README's, without an error", () => {
      expect(compiled.code, compiled.output).to.equal(0);
    });

    it("runs the README's example against the API, every failure typed", async function () {
      this.timeout(30_000);
      const { env } = await asNewUser();
      const result = await readmeProject.runCompiled('main.ts', env);
      expect(result.code, result.output).to.equal(0);
      expect(result.stdout).to.match(/^completed at \d{4}-/m);
      expect(result.stdout).to.match(/ Buy milk \d{4}-/);
      expect(result.stdout).to.match(/^400 body \/title /m);
      expect(result.stdout).to.match(
        /^cannot reach the API: GET http:\/\/127\.0\.0\.1:65535\/health failed: .*ECONNREFUSED/m,
      );
      expect(result.stdout).to.match(/^cancelled$/m);
    });
  });
});
