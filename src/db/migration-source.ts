import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Knex } from 'knex';

// Knex records each applied migration by the name its source gives it, and the file system source
// names a migration by its file, extension included. The server runs either from the sources under
// tsx (db/migrations/*.ts) or compiled (dist/db/migrations/*.js): with knex's own source the
// compiled server would find none of the recorded `.ts` names and take every migration for new.
// This source names every migration by its source file (`<name>.ts`, as databases already record
// them) whichever way it runs, and loads the module that runs beside this one.

/** db/migrations relative to this module: in the source tree, or in dist/ when compiled. */
const MIGRATIONS_DIR = fileURLToPath(new URL('../../db/migrations/', import.meta.url));
/** Compiled, this module is `.js` and so are the migrations beside it; under tsx both are `.ts`. */
const LOADED_EXTENSION = import.meta.url.endsWith('.js') ? '.js' : '.ts';
/** What every migration is recorded as in knex_migrations, compiled or not. */
const RECORDED_EXTENSION = '.ts';

/** A migration is its file name without the extension (`20261121000000_users_and_tasks`). */
export const migrationSource: Knex.MigrationSource<string> = {
  /** Sorted by name, as knex applies them in the order given (its own source sorts by file name). */
  async getMigrations() {
    const files = await readdir(MIGRATIONS_DIR);
    return files
      .filter((file) => file.endsWith(LOADED_EXTENSION))
      .map((file) => file.slice(0, -LOADED_EXTENSION.length))
      .sort();
  },
  getMigrationName: (migration) => migration + RECORDED_EXTENSION,
  getMigration: (migration) => import(pathToFileURL(path.join(MIGRATIONS_DIR, migration + LOADED_EXTENSION)).href),
};
