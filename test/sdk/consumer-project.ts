import { execFile } from 'node:child_process';
import { mkdir, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

// A throwaway TypeScript project outside the repository that installs the packed SDK by file
// path (offline: the SDK has no dependencies) and is type-checked with the repository's tsc.

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const SDK_DIR = path.join(ROOT, 'generated/sdk');
const TSC = path.join(ROOT, 'node_modules/.bin/tsc');
const TYPE_ROOTS = path.join(ROOT, 'node_modules/@types');

export interface Finished {
  readonly code: number;
  readonly stdout: string;
  /** stdout and stderr together. */
  readonly output: string;
}

/** Runs a command to its end; a non-zero exit is returned, not thrown. */
function run(
  command: string,
  args: readonly string[],
  options: { cwd: string; env?: NodeJS.ProcessEnv },
): Promise<Finished> {
  return new Promise((resolve) => {
    execFile(command, args, { ...options, timeout: 60_000 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
      resolve({ code, stdout, output: `${stdout}${stderr}` });
    });
  });
}

export type Resolution = 'NodeNext' | 'node16' | 'bundler';

/** TypeScript's strictest checks, the ones `tsc --init` turns on beyond `strict`. */
const STRICTEST = { strict: true, exactOptionalPropertyTypes: true, noUncheckedIndexedAccess: true };

/**
 * A Node project (NodeNext or node16, @types/node, no DOM library; NodeNext emits to dist/), or a
 * browser project (bundler, DOM library, no @types/node: `process.env` is declared as bundlers
 * provide it). All with the strictest checks and checking the SDK's .d.ts files; TypeScript's own lib
 * files are not re-checked (slow). `.cts` files are CommonJS modules (Node projects only).
 */
function tsconfig(resolution: Resolution, files: readonly string[]) {
  const shared = { ...STRICTEST, target: 'ES2022', skipDefaultLibCheck: true };
  if (resolution !== 'bundler') {
    const compilerOptions = {
      ...shared,
      module: resolution,
      moduleResolution: resolution,
      lib: ['ES2022'],
      typeRoots: [TYPE_ROOTS],
      types: ['node'],
      ...(resolution === 'NodeNext' ? { outDir: 'dist', rootDir: 'src' } : { noEmit: true }),
    };
    return { compilerOptions, files: files.map((file) => `src/${file}`) };
  }
  const compilerOptions = {
    ...shared,
    module: 'ESNext',
    moduleResolution: 'bundler',
    lib: ['ES2022', 'DOM'],
    types: [],
    noEmit: true,
  };
  const esm = files.filter((file) => !file.endsWith('.cts'));
  return { compilerOptions, files: [...esm, BUNDLER_ENV].map((file) => `src/${file}`) };
}

const BUNDLER_ENV = 'bundler-env.d.ts';

export class ConsumerProject {
  constructor(readonly dir: string) {}

  /** Packs the SDK as npm would publish it and installs the tarball by its path. */
  static async create(dir: string): Promise<ConsumerProject> {
    const packed = await run('npm', ['pack', SDK_DIR, '--pack-destination', dir, '--json'], { cwd: dir });
    if (packed.code !== 0) throw new Error(`npm pack failed:\n${packed.output}`);
    const [{ filename }] = JSON.parse(packed.stdout) as [{ filename: string }];
    const project = new ConsumerProject(path.join(dir, 'consumer'));
    await mkdir(path.join(project.dir, 'src'), { recursive: true });
    await project.write('package.json', JSON.stringify({ name: 'sdk-consumer', private: true, type: 'module' }));
    await project.write(`src/${BUNDLER_ENV}`, 'declare const process: { env: Record<string, string | undefined> };\n');
    const installed = await run('npm', ['install', '--offline', '--no-audit', '--no-fund', path.join(dir, filename)], {
      cwd: project.dir,
    });
    if (installed.code !== 0) throw new Error(`npm install failed:\n${installed.output}`);
    return project;
  }

  write(file: string, text: string): Promise<void> {
    return writeFile(path.join(this.dir, file), text);
  }

  /** Type-checks these files of src/ (emitting them to dist/ under NodeNext). */
  async compile(resolution: Resolution, files: readonly string[]): Promise<Finished> {
    const config = `tsconfig.${resolution}.json`;
    await this.write(config, JSON.stringify(tsconfig(resolution, files)));
    return run(TSC, ['-p', config, '--pretty', 'false'], { cwd: this.dir });
  }

  /** Runs dist/<file>.js or .cjs (compiled from src/<file>.ts or .cts) with these extra environment variables. */
  runCompiled(file: string, env: Record<string, string>): Promise<Finished> {
    return run(process.execPath, [`dist/${file.replace(/\.(c?)ts$/, '.$1js')}`], {
      cwd: this.dir,
      env: { ...process.env, ...env },
    });
  }
}

/**
 * A project made as the SDK's README says: `npm init -y`, `"type": "module"`, the SDK installed by
 * the path of its folder, and the tsconfig.json `tsc --init --types node` writes, untouched. Two
 * differences keep it offline: the repository's tsc, and the packages it installs from the registry
 * (@types/node, and those of `links` such as better-auth) linked in from the repository's node_modules.
 */
export class ReadmeProject {
  private constructor(readonly dir: string) {}

  static async create(dir: string, links: readonly string[] = []): Promise<ReadmeProject> {
    await mkdir(dir, { recursive: true });
    for (const args of [
      ['init', '-y'],
      ['pkg', 'set', 'type=module'],
      // Before the links: npm removes what package.json does not list.
      ['install', '--offline', '--no-audit', '--no-fund', SDK_DIR],
    ]) {
      const done = await run('npm', args, { cwd: dir });
      if (done.code !== 0) throw new Error(`npm ${args.join(' ')} failed:\n${done.output}`);
    }
    for (const name of ['@types/node', ...links]) {
      await mkdir(path.dirname(path.join(dir, 'node_modules', name)), { recursive: true });
      await symlink(path.join(ROOT, 'node_modules', name), path.join(dir, 'node_modules', name));
    }
    const init = await run(TSC, ['--init', '--types', 'node'], { cwd: dir });
    if (init.code !== 0) throw new Error(`tsc --init failed:\n${init.output}`);
    return new ReadmeProject(dir);
  }

  write(file: string, text: string): Promise<void> {
    return writeFile(path.join(this.dir, file), text);
  }

  /** `npx tsc` as the README says: the whole project, emitting each .js beside its .ts. */
  compile(): Promise<Finished> {
    return run(TSC, ['--pretty', 'false'], { cwd: this.dir });
  }

  /** `node <file>.js`, with these extra environment variables. */
  runCompiled(file: string, env: Record<string, string>): Promise<Finished> {
    return run(process.execPath, [file.replace(/\.ts$/, '.js')], { cwd: this.dir, env: { ...process.env, ...env } });
  }
}
