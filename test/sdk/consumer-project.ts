import { execFile } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
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

export type Resolution = 'NodeNext' | 'bundler';

/**
 * A Node project (NodeNext, @types/node, no DOM library; emits to dist/), or a browser project
 * (bundler, DOM library, no @types/node: `process.env` is declared as bundlers provide it). Both
 * strict and checking the SDK's .d.ts files; TypeScript's own lib files are not re-checked (slow).
 */
function tsconfig(resolution: Resolution, files: readonly string[]) {
  const shared = { strict: true, target: 'ES2022', skipDefaultLibCheck: true };
  if (resolution === 'NodeNext') {
    const compilerOptions = {
      ...shared,
      module: 'NodeNext',
      moduleResolution: 'NodeNext',
      lib: ['ES2022'],
      typeRoots: [TYPE_ROOTS],
      types: ['node'],
      outDir: 'dist',
      rootDir: 'src',
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
  return { compilerOptions, files: [...files, BUNDLER_ENV].map((file) => `src/${file}`) };
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
    const installed = await run(
      'npm',
      ['install', '--offline', '--no-audit', '--no-fund', '--ignore-scripts', path.join(dir, filename)],
      {
        cwd: project.dir,
      },
    );
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

  /** Runs dist/<file>.js (compiled from src/<file>.ts) with these extra environment variables. */
  runCompiled(file: string, env: Record<string, string>): Promise<Finished> {
    return run(process.execPath, [`dist/${file.replace(/\.ts$/, '.js')}`], {
      cwd: this.dir,
      env: { ...process.env, ...env },
    });
  }
}
