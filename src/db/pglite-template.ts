import { constants, existsSync, readFileSync } from 'node:fs';
import { copyFile, mkdir, readdir, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const NODE_MODULES = new URL('../../node_modules/', import.meta.url);
/** Read from its file: the package does not export its package.json. Undefined where it is not installed there (dist/). */
const PGLITE_VERSION = (() => {
  try {
    const manifest = readFileSync(new URL('@electric-sql/pglite/package.json', NODE_MODULES), 'utf8');
    return (JSON.parse(manifest) as { version: string }).version;
  } catch {
    return undefined;
  }
})();

/**
 * A freshly initialised, empty PGlite data directory, made once per install (`make run` makes it
 * through src/cli/pglite-template.ts) so that a new DATA_DIR starts from a copy of it instead of
 * running initdb, the slowest step of a first start (seconds). It lives in node_modules/.cache,
 * which a reinstall empties, and is named after the PGlite version that made it: a data directory
 * is only readable by the PostgreSQL it was made by. Never opened as a database itself.
 */
export const PGLITE_TEMPLATE: string | undefined =
  PGLITE_VERSION === undefined
    ? undefined
    : fileURLToPath(new URL(`.cache/pglite-template-${PGLITE_VERSION}`, NODE_MODULES));

/** A complete template has PostgreSQL's version file, written by initdb; a half-made one is never used. */
const isComplete = (directory: string) => existsSync(path.join(directory, 'PG_VERSION'));

/**
 * Gives a new embedded database directory the template's files, when there is a template; does
 * nothing when `pgdata` exists (the database is kept) or there is none (PGlite then runs initdb).
 * Copied beside and renamed into place, so that an interrupted copy is never taken for a database.
 */
export async function seedFromTemplate(pgdata: string, template = PGLITE_TEMPLATE): Promise<boolean> {
  if (existsSync(pgdata) || template === undefined || !isComplete(template)) return false;
  const copying = `${pgdata}.seeding`;
  await rm(copying, { recursive: true, force: true });
  await copyTree(template, copying);
  await rename(copying, pgdata);
  return true;
}

/**
 * Copies a directory tree, every file at once (libuv's threads copy them): about a thousand small
 * files take a fifth of the time of fs.cp, which copies one after the other. A copy-on-write clone
 * where the file system can (btrfs, XFS, APFS), a plain copy elsewhere.
 */
async function copyTree(from: string, to: string): Promise<void> {
  await mkdir(to);
  const entries = await readdir(from, { withFileTypes: true });
  await Promise.all(
    entries.map((entry) => {
      const [source, target] = [path.join(from, entry.name), path.join(to, entry.name)];
      return entry.isDirectory() ? copyTree(source, target) : copyFile(source, target, constants.COPYFILE_FICLONE);
    }),
  );
}

/** Makes the template with `initialise` (PGlite's initdb into the directory given, closed cleanly) unless it exists. */
export async function makeTemplate(
  initialise: (directory: string) => Promise<void>,
  template = PGLITE_TEMPLATE,
): Promise<boolean> {
  if (template === undefined || isComplete(template)) return false;
  await mkdir(path.dirname(template), { recursive: true });
  const making = `${template}.making-${process.pid}`;
  await rm(making, { recursive: true, force: true });
  try {
    await initialise(making);
    await rm(template, { recursive: true, force: true });
    await rename(making, template);
  } finally {
    await rm(making, { recursive: true, force: true });
  }
  return true;
}
